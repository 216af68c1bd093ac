import * as tf from '@tensorflow/tfjs';
import type { Box, ImageValue, Point } from '../../graph/values.js';
import {
  type Candidate, type NmsBoxes, type NmsMode, type PyramidLevel, clip, cropBox, isUsable, landmarksInBox, nms, nmsCandidates,
  pnetCandidates, pnetMapSize, pyramidLevels, refined, regress, sigmoid,
} from './boxes.js';
import type { MtcnnNets } from './load.js';

/**
 * The MTCNN cascade on tensors. Each stage runs its net on all its inputs at once, reads the
 * outputs back in one go and leaves thresholds, regression and NMS to the CPU code in ./boxes.
 * A stage hands on the windows it scored with its regression; the next stage applies it,
 * squares the box and crops. No tensor outlives a stage call.
 */

/** Face-probability map of one pyramid level (row-major, `width` x `height` cells). */
export interface LevelHeatmap {
  scale: number;
  width: number;
  height: number;
  data: Float32Array;
}

export interface FaceDetection {
  box: Box;
  score: number;
  /** Left eye, right eye, nose, left and right mouth corners, in source pixels. */
  landmarks: Point[];
}

export interface MtcnnOptions {
  minFaceSize: number;
  scaleFactor: number;
  pnetThreshold: number;
  rnetThreshold: number;
  onetThreshold: number;
  /** NMS IoU within each pyramid level. */
  pnetNms: number;
  /** NMS IoU over all levels after P-Net, and after R-Net. */
  stageNms: number;
  /** What the NMS after P-Net (within and across levels) compares. */
  pnetNmsBoxes: NmsBoxes;
  /** What the NMS after R-Net compares. */
  rnetNmsBoxes: NmsBoxes;
  /** Final NMS on O-Net's boxes. */
  onetNms: number;
  onetNmsMode: NmsMode;
}

export const DEFAULT_MTCNN_OPTIONS: MtcnnOptions = {
  minFaceSize: 20,
  scaleFactor: 0.709,
  pnetThreshold: 0.6,
  rnetThreshold: 0.7,
  onetThreshold: 0.7,
  pnetNms: 0.5,
  stageNms: 0.7,
  pnetNmsBoxes: 'window',
  rnetNmsBoxes: 'window',
  onetNms: 0.7,
  onetNmsMode: 'min',
};

/** Crops per net call at most, bounding activation memory; typical images need one call. */
const RNET_MAX_BATCH = 1024;
const ONET_MAX_BATCH = 256;

/** [1, h, w, 3] float32 RGB 0..255 (gray is replicated; float images are taken as 0..255). */
export function imageTensor(img: ImageValue): tf.Tensor4D {
  const n = img.width * img.height;
  const rgb = new Float32Array(n * 3);
  if (img.channels === 3) rgb.set(img.data);
  else {
    for (let i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = img.data[i];
  }
  return tf.tensor4d(rgb, [1, img.height, img.width, 3]);
}

/** P-Net over every pyramid level, NMS within each level. */
export async function runPnet(
  nets: MtcnnNets,
  image: tf.Tensor4D,
  levels: PyramidLevel[],
  threshold: number,
  nmsThreshold: number,
  nmsBoxes: NmsBoxes = 'window',
  withHeatmaps = false,
  onLevel?: (fractionOfPixels: number) => void,
): Promise<{ candidates: Candidate[]; heatmaps: LevelHeatmap[] }> {
  const [, height, width] = image.shape;
  const usable = levels.filter((l) => l.width >= 12 && l.height >= 12);
  if (!usable.length) return { candidates: [], heatmaps: [] };
  const sizes = usable.map((l) => pnetMapSize(l.width, l.height));
  // One tidy per level bounds memory to one level's activations; one readback for all levels.
  const total = usable.reduce((n, l) => n + l.width * l.height, 0);
  let scanned = 0;
  const maps = usable.map((l) => {
    const map = tf.tidy(() => tf.reshape(nets.pnet.forward(tf.image.resizeBilinear(image, [l.height, l.width], false, true)), [-1]));
    scanned += l.width * l.height;
    onLevel?.(scanned / total);
    return map;
  });
  const flat = maps.length === 1 ? maps[0] : tf.concat(maps);
  const all = (await flat.data()) as Float32Array;
  tf.dispose([...maps, flat]);
  const candidates: Candidate[] = [];
  const heatmaps: LevelHeatmap[] = [];
  let offset = 0;
  usable.forEach((level, k) => {
    const { width: mw, height: mh } = sizes[k];
    const map = all.subarray(offset, offset + mw * mh * 5);
    offset += mw * mh * 5;
    const heat = withHeatmaps ? new Float32Array(mw * mh) : undefined;
    const found = pnetCandidates(map, mw, mh, level, width, height, threshold, heat);
    if (heat) heatmaps.push({ scale: level.scale, width: mw, height: mh, data: heat });
    for (const c of nmsCandidates(found, nmsThreshold, 'union', nmsBoxes)) candidates.push(c);
  });
  return { candidates, heatmaps };
}

/** n x n crops of `boxes` in one batch; outside the image is black. */
function crops(image: tf.Tensor4D, boxes: Box[], n: number): tf.Tensor4D {
  const [, height, width] = image.shape;
  const coords = new Float32Array(boxes.length * 4);
  boxes.forEach((b, i) => coords.set(cropBox(b, n, width, height), i * 4));
  return tf.tidy(() =>
    tf.image.cropAndResize(image, tf.tensor2d(coords, [boxes.length, 4]), tf.zeros([boxes.length], 'int32'), [n, n], 'bilinear', 0),
  );
}

/** Crop `boxes` to n x n and run `forward` on them; rows of the output, concatenated. */
async function scoreCrops(image: tf.Tensor4D, boxes: Box[], n: number, maxBatch: number, forward: (x: tf.Tensor4D) => tf.Tensor2D): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for (let i = 0; i < boxes.length; i += maxBatch) {
    const y = tf.tidy(() => forward(crops(image, boxes.slice(i, i + maxBatch), n)));
    parts.push((await y.data()) as Float32Array);
    y.dispose();
  }
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The boxes the next stage crops: regression applied, squared, dropped when off the image or empty. */
function refinedBoxes(image: tf.Tensor4D, candidates: Candidate[]): Box[] {
  const [, height, width] = image.shape;
  return candidates.map(refined).filter((b) => isUsable(b, width, height));
}

/** R-Net on 24x24 crops of the refined candidates; survivors are those crops, with R-Net's score and regression. */
export async function runRnet(nets: MtcnnNets, image: tf.Tensor4D, candidates: Candidate[], threshold: number): Promise<Candidate[]> {
  const boxes = refinedBoxes(image, candidates);
  if (!boxes.length) return [];
  const rows = await scoreCrops(image, boxes, 24, RNET_MAX_BATCH, (x) => nets.rnet.forward(x));
  const out: Candidate[] = [];
  boxes.forEach((box, i) => {
    const j = i * 5;
    const score = sigmoid(rows[j]);
    if (score >= threshold) out.push({ box, score, reg: [rows[j + 1], rows[j + 2], rows[j + 3], rows[j + 4]] });
  });
  return out;
}

/** O-Net on 48x48 crops: final boxes and landmarks, NMS, boxes clipped to the image. */
export async function runOnet(
  nets: MtcnnNets,
  image: tf.Tensor4D,
  candidates: Candidate[],
  threshold: number,
  nmsThreshold: number,
  nmsMode: NmsMode,
): Promise<FaceDetection[]> {
  const [, height, width] = image.shape;
  const boxes = refinedBoxes(image, candidates);
  if (!boxes.length) return [];
  const rows = await scoreCrops(image, boxes, 48, ONET_MAX_BATCH, (x) => nets.onet.forward(x));
  const faces: FaceDetection[] = [];
  boxes.forEach((box, i) => {
    const j = i * 15;
    const score = sigmoid(rows[j]);
    if (score >= threshold) faces.push({ box: regress(box, rows, j + 1), score, landmarks: landmarksInBox(box, rows, j + 5) });
  });
  return nms(faces, nmsThreshold, nmsMode).map((f) => ({ ...f, box: clip(f.box, width, height) }));
}

export interface MtcnnResult {
  faces: FaceDetection[];
  /** Candidate counts: out of P-Net (after NMS per level), after NMS, out of R-Net, after NMS, faces. */
  funnel: { pnet: number; pnetNms: number; rnet: number; rnetNms: number; onet: number };
  /** Milliseconds per stage, each including its NMS and readback. */
  ms: { pnet: number; rnet: number; onet: number };
}

/** The whole cascade on one image. */
/**
 * Share of the cascade's time each stage takes on a typical photo (P-Net's by the pixels of the
 * levels scanned so far), for progress within the detector: a large photo takes seconds in P-Net.
 */
const STAGE_END = { pnet: 0.6, rnet: 0.85 };

export async function detectFaces(nets: MtcnnNets, img: ImageValue, options: Partial<MtcnnOptions> = {}, onProgress?: (fraction: number) => void): Promise<MtcnnResult> {
  const o = { ...DEFAULT_MTCNN_OPTIONS, ...options };
  const image = imageTensor(img);
  try {
    const t0 = performance.now();
    const levels = pyramidLevels(img.width, img.height, o.minFaceSize, o.scaleFactor);
    const { candidates: p } = await runPnet(nets, image, levels, o.pnetThreshold, o.pnetNms, o.pnetNmsBoxes, false, onProgress && ((f) => onProgress(f * STAGE_END.pnet)));
    const pKept = nmsCandidates(p, o.stageNms, 'union', o.pnetNmsBoxes);
    const t1 = performance.now();
    const r = await runRnet(nets, image, pKept, o.rnetThreshold);
    const rKept = nmsCandidates(r, o.stageNms, 'union', o.rnetNmsBoxes);
    onProgress?.(STAGE_END.rnet);
    const t2 = performance.now();
    const faces = await runOnet(nets, image, rKept, o.onetThreshold, o.onetNms, o.onetNmsMode);
    onProgress?.(1);
    const t3 = performance.now();
    return {
      faces,
      funnel: { pnet: p.length, pnetNms: pKept.length, rnet: r.length, rnetNms: rKept.length, onet: faces.length },
      ms: { pnet: t1 - t0, rnet: t2 - t1, onet: t3 - t2 },
    };
  } finally {
    image.dispose();
  }
}
