import type { Box, Point } from '../../graph/values.js';

/**
 * The CPU side of the MTCNN cascade: pyramid scales, P-Net map decoding, NMS, box
 * regression, square-ing and crop geometry. Boxes are [x1, y1, x2, y2] in continuous
 * source-pixel coordinates (pixel i covers [i, i + 1)).
 */

/** P-Net looks at 12x12 windows, one every 2 pixels of a pyramid level. */
export const PNET_CELL = 12;
export const PNET_STRIDE = 2;

export interface PyramidLevel {
  scale: number;
  width: number;
  height: number;
}

/** Box regression (dx1, dy1, dx2, dy2) as fractions of the box's width and height. */
export type Regression = [number, number, number, number];

/** A window a stage scored, with the regression it predicted for it (applied by the next stage). */
export interface Candidate {
  box: Box;
  score: number;
  reg: Regression;
}

/** Which boxes NMS compares: the scored windows (as the original MTCNN does) or the refined boxes the next stage will crop. */
export type NmsBoxes = 'window' | 'refined';

export type NmsMode = 'union' | 'min';

/**
 * Pyramid scales: the first maps `minFaceSize` to the 12-px cell, then each level is
 * `scaleFactor` times the previous while the shorter side stays >= 12 px.
 */
export function pyramidLevels(width: number, height: number, minFaceSize = 20, scaleFactor = 0.709): PyramidLevel[] {
  if (!(scaleFactor > 0 && scaleFactor < 1)) throw new Error(`scaleFactor must be in (0, 1), got ${scaleFactor}`);
  if (!(minFaceSize > 0)) throw new Error(`minFaceSize must be > 0, got ${minFaceSize}`);
  const levels: PyramidLevel[] = [];
  const shorter = Math.min(width, height);
  for (let scale = PNET_CELL / minFaceSize; shorter * scale >= PNET_CELL; scale *= scaleFactor) {
    levels.push({ scale, width: Math.ceil(width * scale), height: Math.ceil(height * scale) });
  }
  return levels;
}

/** P-Net output grid size for a level: VALID 3x3 conv, 2x2/2 SAME pool, two VALID 3x3 convs. */
export function pnetMapSize(levelWidth: number, levelHeight: number): { width: number; height: number } {
  const f = (n: number) => Math.max(0, Math.ceil((n - 2) / 2) - 4);
  return { width: f(levelWidth), height: f(levelHeight) };
}

export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Decode one level's P-Net map ([h, w, 5]: logit diff, dx1, dy1, dx2, dy2) into candidate
 * windows in source pixels, and optionally write the face probabilities into `heatmap`.
 */
export function pnetCandidates(
  map: Float32Array,
  mapWidth: number,
  mapHeight: number,
  level: PyramidLevel,
  imageWidth: number,
  imageHeight: number,
  threshold: number,
  heatmap?: Float32Array,
): Candidate[] {
  // Exact level -> source factors (level sizes were rounded up).
  const sx = imageWidth / level.width;
  const sy = imageHeight / level.height;
  const minLogit = logit(threshold);
  const out: Candidate[] = [];
  for (let y = 0; y < mapHeight; y++) {
    for (let x = 0; x < mapWidth; x++) {
      const j = (y * mapWidth + x) * 5;
      const d = map[j];
      if (heatmap) heatmap[y * mapWidth + x] = sigmoid(d);
      if (d < minLogit) continue;
      const lx = x * PNET_STRIDE;
      const ly = y * PNET_STRIDE;
      out.push({
        box: [lx * sx, ly * sy, (lx + PNET_CELL) * sx, (ly + PNET_CELL) * sy],
        score: sigmoid(d),
        reg: [map[j + 1], map[j + 2], map[j + 3], map[j + 4]],
      });
    }
  }
  return out;
}

export function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Overlap of two boxes: intersection over union, or over the smaller box ('min'). */
export function iou(a: Box, b: Box, mode: NmsMode = 'union'): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const denom = mode === 'min' ? Math.min(area(a), area(b)) : area(a) + area(b) - inter;
  return denom > 0 ? inter / denom : 0;
}

/** Greedy non-maximum suppression; returns the indices kept, highest score first. */
export function nmsIndices(boxes: Box[], scores: ArrayLike<number>, threshold: number, mode: NmsMode = 'union'): number[] {
  const order = boxes.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const n = order.length;
  const x1 = new Float64Array(n), y1 = new Float64Array(n), x2 = new Float64Array(n), y2 = new Float64Array(n), ar = new Float64Array(n);
  order.forEach((i, k) => {
    const b = boxes[i];
    x1[k] = b[0]; y1[k] = b[1]; x2[k] = b[2]; y2[k] = b[3];
    ar[k] = area(b);
  });
  const suppressed = new Uint8Array(n);
  const kept: number[] = [];
  for (let k = 0; k < n; k++) {
    if (suppressed[k]) continue;
    kept.push(order[k]);
    for (let m = k + 1; m < n; m++) {
      if (suppressed[m]) continue;
      const w = Math.min(x2[k], x2[m]) - Math.max(x1[k], x1[m]);
      if (w <= 0) continue;
      const h = Math.min(y2[k], y2[m]) - Math.max(y1[k], y1[m]);
      if (h <= 0) continue;
      const inter = w * h;
      const denom = mode === 'min' ? Math.min(ar[k], ar[m]) : ar[k] + ar[m] - inter;
      if (denom > 0 && inter / denom > threshold) suppressed[m] = 1;
    }
  }
  return kept;
}

/** NMS over anything with a box and a score; the kept items, highest score first. */
export function nms<T extends { box: Box; score: number }>(items: T[], threshold: number, mode: NmsMode = 'union'): T[] {
  return nmsIndices(items.map((c) => c.box), items.map((c) => c.score), threshold, mode).map((i) => items[i]);
}

/** NMS over candidates, comparing either their windows or their refined boxes. */
export function nmsCandidates(items: Candidate[], threshold: number, mode: NmsMode = 'union', compare: NmsBoxes = 'window'): Candidate[] {
  const boxes = items.map((c) => (compare === 'refined' ? refined(c) : c.box));
  return nmsIndices(boxes, items.map((c) => c.score), threshold, mode).map((i) => items[i]);
}

/**
 * Apply box regression (dx1, dy1, dx2, dy2 at `r[at..at+3]`, fractions of the box's width and
 * height): each side moves by its offset times the box's size.
 */
export function regress(b: Box, r: ArrayLike<number>, at = 0): Box {
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  return [b[0] + r[at] * w, b[1] + r[at + 1] * h, b[2] + r[at + 2] * w, b[3] + r[at + 3] * h];
}

/** The square with the same centre whose side is the box's longer side. */
export function square(b: Box): Box {
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  const side = Math.max(w, h);
  const cx = b[0] + w / 2;
  const cy = b[1] + h / 2;
  return [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2];
}

/** What the next stage crops: the regression applied, then squared. */
export function refined(c: Candidate): Box {
  return square(regress(c.box, c.reg));
}

export function clip(b: Box, width: number, height: number): Box {
  return [Math.min(Math.max(b[0], 0), width), Math.min(Math.max(b[1], 0), height), Math.min(Math.max(b[2], 0), width), Math.min(Math.max(b[3], 0), height)];
}

/**
 * tf.image.cropAndResize box ([y1, x1, y2, x2], normalised to pixel centres 0..size-1) that
 * samples an n x n crop of `b` at the centres of its n x n cells (as a pixel-area resize would
 * place them); samples outside the image get the extrapolation value.
 */
export function cropBox(b: Box, n: number, width: number, height: number): [number, number, number, number] {
  const cellW = (b[2] - b[0]) / n;
  const cellH = (b[3] - b[1]) / n;
  const nx = Math.max(width - 1, 1);
  const ny = Math.max(height - 1, 1);
  return [
    (b[1] + 0.5 * cellH - 0.5) / ny,
    (b[0] + 0.5 * cellW - 0.5) / nx,
    (b[3] - 0.5 * cellH - 0.5) / ny,
    (b[2] - 0.5 * cellW - 0.5) / nx,
  ];
}

/** Landmarks predicted relative to a box (x1..x5, y1..y5 as fractions) -> source pixels. */
export function landmarksInBox(b: Box, rel: ArrayLike<number>, offset: number): Point[] {
  const w = b[2] - b[0];
  const h = b[3] - b[1];
  const pts: Point[] = [];
  for (let k = 0; k < 5; k++) pts.push([b[0] + rel[offset + k] * w, b[1] + rel[offset + 5 + k] * h]);
  return pts;
}

/** A box is worth cropping when it has some size and touches the image. */
export function isUsable(b: Box, width: number, height: number): boolean {
  return b[2] - b[0] >= 1 && b[3] - b[1] >= 1 && b[2] > 0 && b[3] > 0 && b[0] < width && b[1] < height;
}
