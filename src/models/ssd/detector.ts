import * as tf from '@tensorflow/tfjs';
import type { Box, ImageValue, Point } from '../../graph/values.js';
import { nmsIndices } from '../mtcnn/boxes.js';
import { LANDMARKS68_INPUT_SIZE, LANDMARKS68_MEAN_RGB, type FaceLandmark68Net } from './landmarks68.js';
import { SSD_INPUT_SIZE, type SsdMobileNetV1 } from './net.js';

export interface SsdOptions {
  /** Face score (sigmoid of the face class) a detection needs; face-api's default 0.5. */
  minConfidence: number;
  /** NMS IoU threshold; face-api's 0.5. */
  iouThreshold: number;
  /** Most faces kept per image; face-api's 100. */
  maxResults: number;
}

export const SSD_DEFAULTS: SsdOptions = { minConfidence: 0.5, iouThreshold: 0.5, maxResults: 100 };

export interface SsdFace {
  box: Box;
  score: number;
  /** Left eye, right eye, nose, left and right mouth corners (from the 68 points), source pixels. */
  landmarks: Point[];
  /** The 68 iBUG points, source pixels. */
  landmarks68: Point[];
}

/** The five alignment points from the 68: eye centres = means of 36-41 and 42-47, nose tip 30, mouth corners 48 and 54. */
export function fivePointsFrom68(p: Point[]): Point[] {
  if (p.length !== 68) throw new Error(`expected 68 landmarks, got ${p.length}`);
  const mean = (a: number, b: number): Point => {
    let x = 0, y = 0;
    for (let i = a; i <= b; i++) {
      x += p[i][0];
      y += p[i][1];
    }
    return [x / (b - a + 1), y / (b - a + 1)];
  };
  return [mean(36, 41), mean(42, 47), [p[30][0], p[30][1]], [p[48][0], p[48][1]], [p[54][0], p[54][1]]];
}

/** The image as a float [h, w, 3] tensor (gray repeated to 3 channels). */
function imageTensor(image: ImageValue): tf.Tensor3D {
  return tf.tidy(() => {
    const t = tf.tensor3d(image.data, [image.height, image.width, image.channels], 'int32').toFloat();
    return (image.channels === 1 ? tf.tile(t, [1, 1, 3]) : t) as tf.Tensor3D;
  });
}

/** Face boxes and scores: SSD on the image padded (bottom/right, black) to a square and resized to 512, then NMS. */
export async function detectSsdBoxes(net: SsdMobileNetV1, image: ImageValue, opts: SsdOptions = SSD_DEFAULTS): Promise<{ box: Box; score: number }[]> {
  const side = Math.max(image.width, image.height);
  const { boxes, scores } = tf.tidy(() => {
    const img = imageTensor(image);
    const padded = tf.pad(img, [[0, side - image.height], [0, side - image.width], [0, 0]]);
    const resized = tf.image.resizeBilinear(padded, [SSD_INPUT_SIZE, SSD_INPUT_SIZE], false, false);
    const x = tf.sub(tf.mul(resized, 0.007843137718737125), 1).expandDims(0) as tf.Tensor4D;
    return net.forward(x);
  });
  const [b, s] = await Promise.all([boxes.data(), scores.data()]);
  boxes.dispose();
  scores.dispose();
  const cand: Box[] = [];
  const candScores: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] < opts.minConfidence) continue;
    // (ymin, xmin, ymax, xmax) in [0, 1] of the padded square -> source pixels, clipped to the image
    const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v * side));
    cand.push([clamp(b[4 * i + 1], image.width), clamp(b[4 * i], image.height), clamp(b[4 * i + 3], image.width), clamp(b[4 * i + 2], image.height)]);
    candScores.push(s[i]);
  }
  return nmsIndices(cand, candScores, opts.iouThreshold)
    .slice(0, opts.maxResults)
    .filter((i) => cand[i][2] - cand[i][0] >= 1 && cand[i][3] - cand[i][1] >= 1)
    .map((i) => ({ box: cand[i], score: candScores[i] }));
}

/**
 * 68 landmarks for each box as face-api computes them: the box (floored, clipped to the image)
 * cropped, padded to a centred square with black, resized to 112x112; one batch for all boxes.
 */
export async function landmarks68For(net: FaceLandmark68Net, image: ImageValue, boxes: Box[]): Promise<Point[][]> {
  if (!boxes.length) return [];
  const crops = boxes.map(([x1, y1, x2, y2]) => {
    const x = Math.floor(Math.max(0, x1));
    const y = Math.floor(Math.max(0, y1));
    const w = Math.max(1, Math.floor(Math.min(x2, image.width) - x));
    const h = Math.max(1, Math.floor(Math.min(y2, image.height) - y));
    return { x, y, w: Math.min(w, image.width - x), h: Math.min(h, image.height - y) };
  });
  const out = tf.tidy(() => {
    const img = imageTensor(image);
    const size = LANDMARKS68_INPUT_SIZE;
    const batch = crops.map(({ x, y, w, h }) => {
      const face = tf.slice(img, [y, x, 0], [h, w, 3]);
      const side = Math.max(w, h);
      const dx = side - w, dy = side - h;
      const padded = tf.pad(face, [[Math.floor(dy / 2), dy - Math.floor(dy / 2)], [Math.floor(dx / 2), dx - Math.floor(dx / 2)], [0, 0]]);
      return tf.image.resizeBilinear(padded, [size, size], false, false);
    });
    const x = tf.div(tf.sub(tf.stack(batch), tf.tensor1d([...LANDMARKS68_MEAN_RGB])), 255) as tf.Tensor4D;
    return net.forward(x);
  });
  const v = await out.data();
  out.dispose();
  return crops.map(({ x, y, w, h }, f) => {
    const scale = LANDMARKS68_INPUT_SIZE / Math.max(w, h);
    const sw = w * scale, sh = h * scale;
    const padX = w < h ? Math.abs(sw - sh) / 2 : 0;
    const padY = h < w ? Math.abs(sw - sh) / 2 : 0;
    const pts: Point[] = [];
    for (let i = 0; i < 68; i++) {
      const px = (v[f * 136 + 2 * i] * LANDMARKS68_INPUT_SIZE - padX) / sw;
      const py = (v[f * 136 + 2 * i + 1] * LANDMARKS68_INPUT_SIZE - padY) / sh;
      pts.push([x + px * w, y + py * h]);
    }
    return pts;
  });
}

/** SSD boxes, then the 68 landmarks of each and the five alignment points derived from them. */
export async function detectSsdFaces(
  nets: { ssd: SsdMobileNetV1; landmarks: FaceLandmark68Net },
  image: ImageValue,
  opts: SsdOptions = SSD_DEFAULTS,
): Promise<{ faces: SsdFace[]; ms: { ssd: number; landmarks: number } }> {
  const t0 = performance.now();
  const found = await detectSsdBoxes(nets.ssd, image, opts);
  const t1 = performance.now();
  const lm = await landmarks68For(nets.landmarks, image, found.map((f) => f.box));
  const t2 = performance.now();
  return {
    faces: found.map((f, i) => ({ ...f, landmarks: fivePointsFrom68(lm[i]), landmarks68: lm[i] })),
    ms: { ssd: t1 - t0, landmarks: t2 - t1 },
  };
}
