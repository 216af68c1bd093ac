import type { Affine, Box, DetectionsValue, Point } from '../../src/graph/values.js';

/**
 * The usual LFW choice among several detections: the face that is large and near the
 * image centre, scored as box area - 2 * (squared offset of the box centre from the image centre).
 */
export function centralFaceIndex(det: DetectionsValue): number {
  const cx = det.imageWidth / 2, cy = det.imageHeight / 2;
  let best = -1, bestScore = -Infinity;
  det.boxes.forEach(([x1, y1, x2, y2], i) => {
    const area = (x2 - x1) * (y2 - y1);
    const off = ((x1 + x2) / 2 - cx) ** 2 + ((y1 + y2) / 2 - cy) ** 2;
    const s = area - 2 * off;
    if (s > bestScore) { bestScore = s; best = i; }
  });
  return best;
}

/** The centre square of side `fraction * min(w, h)`, scaled to `size`: the transform and its box. */
export function centerCropTransform(width: number, height: number, size: number, fraction: number): { transform: Affine; box: Box } {
  const side = Math.min(width, height) * fraction;
  const x1 = (width - side) / 2, y1 = (height - side) / 2;
  const s = size / side;
  // map the crop square's corners [x1, x1 + side] onto pixel centres [-0.5, size - 0.5]
  return { transform: [s, 0, -x1 * s - 0.5, 0, s, -y1 * s - 0.5], box: [x1, y1, x1 + side, y1 + side] };
}

/** A box (no landmarks) made square about its centre and scaled to the crop. */
export function boxTransform(box: Box, size: number): Affine {
  const [x1, y1, x2, y2] = box;
  const side = Math.max(x2 - x1, y2 - y1);
  const s = size / side;
  const cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
  return [s, 0, size / 2 - cx * s - 0.5, 0, s, size / 2 - cy * s - 0.5];
}

/** The bounding box of a set of points. */
export function landmarkBox(points: Point[]): Box {
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}
