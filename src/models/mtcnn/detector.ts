import * as tf from '@tensorflow/tfjs';
import type { Box, ImageValue, Point } from '../../graph/values.js';
import {
  type Candidate, type NmsBoxes, type NmsMode, type PyramidLevel, clip, cropBox, isUsable, landmarksInBox, nms, nmsCandidates,
  pnetCandidates, pnetMapSize, pyramidLevels, refined, regress, sigmoid,
} from './boxes.js';
import type { MtcnnNets } from './load.js';
import { concatArrays } from '../../util/bytes.js';

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

/** [n, h, w, 3] float32 RGB 0..255 of images of one size (gray is replicated; float images are taken as 0..255). */
export function imagesTensor(imgs: ImageValue[]): tf.Tensor4D {
  const { width, height } = imgs[0];
  const n = width * height;
  const rgb = new Float32Array(imgs.length * n * 3);
  imgs.forEach((img, k) => {
    if (img.width !== width || img.height !== height) throw new Error(`images of one batch must share a size: ${img.width}x${img.height} vs ${width}x${height}`);
    const at = k * n * 3;
    if (img.channels === 3) rgb.set(img.data, at);
    else for (let i = 0; i < n; i++) rgb[at + 3 * i] = rgb[at + 3 * i + 1] = rgb[at + 3 * i + 2] = img.data[i];
  });
  return tf.tensor4d(rgb, [imgs.length, height, width, 3]);
}

/** [1, h, w, 3] float32 RGB 0..255 of one image. */
export function imageTensor(img: ImageValue): tf.Tensor4D {
  return imagesTensor([img]);
}

type PnetOutput = { candidates: Candidate[]; heatmaps: LevelHeatmap[] };

/** P-Net over every pyramid level of one image ([1, h, w, 3]), NMS within each level. */
export async function runPnet(
  nets: MtcnnNets,
  image: tf.Tensor4D,
  levels: PyramidLevel[],
  threshold: number,
  nmsThreshold: number,
  nmsBoxes: NmsBoxes = 'window',
  withHeatmaps = false,
  onLevel?: (fractionOfPixels: number) => void,
): Promise<PnetOutput> {
  return (await pnetBatch(nets, image, levels, threshold, nmsThreshold, nmsBoxes, withHeatmaps, onLevel))[0];
}

/** P-Net on each level of n images of one size at once ([n, h, w, 3]): per image, its candidates after NMS per level. */
async function pnetBatch(
  nets: MtcnnNets, images: tf.Tensor4D, levels: PyramidLevel[], threshold: number, nmsThreshold: number,
  nmsBoxes: NmsBoxes, withHeatmaps: boolean, onLevel?: (fractionOfPixels: number) => void,
): Promise<PnetOutput[]> {
  const [n, height, width] = images.shape;
  const out = Array.from({ length: n }, (): PnetOutput => ({ candidates: [], heatmaps: [] }));
  const usable = levels.filter((l) => l.width >= 12 && l.height >= 12);
  if (!usable.length) return out;
  const sizes = usable.map((l) => pnetMapSize(l.width, l.height));
  // One tidy per level bounds memory to one level's activations; one readback for all levels.
  const total = usable.reduce((sum, l) => sum + l.width * l.height, 0);
  let scanned = 0;
  const maps = usable.map((l) => {
    const map = tf.tidy(() => tf.reshape(nets.pnet.forward(tf.image.resizeBilinear(images, [l.height, l.width], false, true)), [-1]));
    scanned += l.width * l.height;
    onLevel?.(scanned / total);
    return map;
  });
  const flat = maps.length === 1 ? maps[0] : tf.concat(maps);
  const all = (await flat.data()) as Float32Array;
  tf.dispose([...maps, flat]);
  let offset = 0;
  usable.forEach((level, k) => {
    const { width: mw, height: mh } = sizes[k];
    const cells = mw * mh * 5;
    out.forEach((o, i) => {
      const map = all.subarray(offset + i * cells, offset + (i + 1) * cells);
      const heat = withHeatmaps ? new Float32Array(mw * mh) : undefined;
      const found = pnetCandidates(map, mw, mh, level, width, height, threshold, heat);
      if (heat) o.heatmaps.push({ scale: level.scale, width: mw, height: mh, data: heat });
      for (const c of nmsCandidates(found, nmsThreshold, 'union', nmsBoxes)) o.candidates.push(c);
    });
    offset += n * cells;
  });
  return out;
}

/**
 * Crop each image's boxes to size x size and run `forward` on the crops of all images, at most
 * `maxBatch` per call; the output rows of every crop in order (image by image), concatenated.
 * Outside the image is black.
 */
async function scoreCrops(images: tf.Tensor4D, boxes: Box[][], size: number, maxBatch: number, forward: (x: tf.Tensor4D) => tf.Tensor): Promise<Float32Array> {
  const [, height, width] = images.shape;
  const crops = boxes.flatMap((bs, image) => bs.map((box) => ({ box, image })));
  const parts: Float32Array[] = [];
  for (let i = 0; i < crops.length; i += maxBatch) {
    const part = crops.slice(i, i + maxBatch);
    const coords = new Float32Array(part.length * 4);
    part.forEach((c, k) => coords.set(cropBox(c.box, size, width, height), k * 4));
    const y = tf.tidy(() => forward(tf.image.cropAndResize(
      images, tf.tensor2d(coords, [part.length, 4]), tf.tensor1d(part.map((c) => c.image), 'int32'), [size, size], 'bilinear', 0,
    )));
    parts.push((await y.data()) as Float32Array);
    y.dispose();
  }
  return concatArrays(parts, (n) => new Float32Array(n));
}

/** The boxes the next stage crops: regression applied, squared, dropped when off the image or empty. */
function refinedBoxes(images: tf.Tensor4D, candidates: Candidate[]): Box[] {
  const [, height, width] = images.shape;
  return candidates.map(refined).filter((b) => isUsable(b, width, height));
}

/** R-Net on 24x24 crops of the refined candidates; survivors are those crops, with R-Net's score and regression. */
export async function runRnet(nets: MtcnnNets, image: tf.Tensor4D, candidates: Candidate[], threshold: number): Promise<Candidate[]> {
  return (await rnetBatch(nets, image, [candidates], threshold))[0];
}

/** R-Net on the crops of n images of one size in one batch; per image, its survivors. */
async function rnetBatch(nets: MtcnnNets, images: tf.Tensor4D, candidates: Candidate[][], threshold: number): Promise<Candidate[][]> {
  const boxes = candidates.map((c) => refinedBoxes(images, c));
  if (!boxes.some((b) => b.length)) return boxes.map(() => []);
  const rows = await scoreCrops(images, boxes, 24, RNET_MAX_BATCH, (x) => nets.rnet.forward(x));
  let j = 0;
  return boxes.map((bs) => bs.flatMap((box) => {
    const score = sigmoid(rows[j]);
    const reg: [number, number, number, number] = [rows[j + 1], rows[j + 2], rows[j + 3], rows[j + 4]];
    j += 5;
    return score >= threshold ? [{ box, score, reg }] : [];
  }));
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
  return (await onetBatch(nets, image, [candidates], threshold, nmsThreshold, nmsMode))[0];
}

/** O-Net on the crops of n images of one size in one batch; per image, its faces. */
async function onetBatch(nets: MtcnnNets, images: tf.Tensor4D, candidates: Candidate[][], threshold: number, nmsThreshold: number, nmsMode: NmsMode): Promise<FaceDetection[][]> {
  const [, height, width] = images.shape;
  const boxes = candidates.map((c) => refinedBoxes(images, c));
  if (!boxes.some((b) => b.length)) return boxes.map(() => []);
  const rows = await scoreCrops(images, boxes, 48, ONET_MAX_BATCH, (x) => nets.onet.forward(x));
  let j = 0;
  return boxes.map((bs) => {
    const faces: FaceDetection[] = [];
    for (const box of bs) {
      const score = sigmoid(rows[j]);
      if (score >= threshold) faces.push({ box: regress(box, rows, j + 1), score, landmarks: landmarksInBox(box, rows, j + 5) });
      j += 15;
    }
    return nms(faces, nmsThreshold, nmsMode).map((f) => ({ ...f, box: clip(f.box, width, height) }));
  });
}

export interface MtcnnResult {
  faces: FaceDetection[];
  /** Candidate counts: out of P-Net (after NMS per level), after NMS, out of R-Net, after NMS, faces. */
  funnel: { pnet: number; pnetNms: number; rnet: number; rnetNms: number; onet: number };
  /** Milliseconds per stage, each including its NMS and readback. */
  ms: { pnet: number; rnet: number; onet: number };
}

/**
 * Share of the cascade's time each stage takes on a typical photo (P-Net's by the pixels of the
 * levels scanned so far), for progress within the detector: a large photo takes seconds in P-Net.
 */
const STAGE_END = { pnet: 0.6, rnet: 0.85 };

/** Float pixels of one batch's images at most (the stacked input tensor stays under ~100 MB). */
const MAX_BATCH_PIXELS = 8_000_000;

/** The whole cascade on one image. */
export async function detectFaces(nets: MtcnnNets, img: ImageValue, options: Partial<MtcnnOptions> = {}, onProgress?: (fraction: number) => void): Promise<MtcnnResult> {
  return (await detectFacesBatch(nets, [img], options, onProgress))[0];
}

/**
 * The cascade on several images: those of one size go through each stage together (one P-Net
 * call per pyramid level, one R-Net and one O-Net call on all their crops), which keeps a GPU
 * busy; each image gets the result it gets alone. Stage times are shared out over the images.
 */
export async function detectFacesBatch(nets: MtcnnNets, imgs: ImageValue[], options: Partial<MtcnnOptions> = {}, onProgress?: (fraction: number) => void): Promise<MtcnnResult[]> {
  const o = { ...DEFAULT_MTCNN_OPTIONS, ...options };
  const results: MtcnnResult[] = new Array(imgs.length);
  for (const group of sizeGroups(imgs)) {
    const out = await detectGroup(nets, group.map((i) => imgs[i]), o, imgs.length === 1 ? onProgress : undefined);
    group.forEach((i, k) => (results[i] = out[k]));
  }
  return results;
}

/** Indices of the images, grouped by size, each group within MAX_BATCH_PIXELS (a group holds one image at least). */
function sizeGroups(imgs: ImageValue[]): number[][] {
  const groups: number[][] = [];
  const open = new Map<string, number[]>();
  imgs.forEach((img, i) => {
    const key = `${img.width}x${img.height}`;
    let g = open.get(key);
    if (!g || (g.length + 1) * img.width * img.height > MAX_BATCH_PIXELS) {
      g = [];
      groups.push(g);
      open.set(key, g);
    }
    g.push(i);
  });
  return groups;
}

async function detectGroup(nets: MtcnnNets, imgs: ImageValue[], o: MtcnnOptions, onProgress?: (fraction: number) => void): Promise<MtcnnResult[]> {
  const images = imagesTensor(imgs);
  try {
    const t0 = performance.now();
    const levels = pyramidLevels(imgs[0].width, imgs[0].height, o.minFaceSize, o.scaleFactor);
    const p = (await pnetBatch(nets, images, levels, o.pnetThreshold, o.pnetNms, o.pnetNmsBoxes, false, onProgress && ((f) => onProgress(f * STAGE_END.pnet)))).map((r) => r.candidates);
    const pKept = p.map((c) => nmsCandidates(c, o.stageNms, 'union', o.pnetNmsBoxes));
    const t1 = performance.now();
    const r = await rnetBatch(nets, images, pKept, o.rnetThreshold);
    const rKept = r.map((c) => nmsCandidates(c, o.stageNms, 'union', o.rnetNmsBoxes));
    onProgress?.(STAGE_END.rnet);
    const t2 = performance.now();
    const faces = await onetBatch(nets, images, rKept, o.onetThreshold, o.onetNms, o.onetNmsMode);
    onProgress?.(1);
    const t3 = performance.now();
    const n = imgs.length;
    return faces.map((f, i) => ({
      faces: f,
      funnel: { pnet: p[i].length, pnetNms: pKept[i].length, rnet: r[i].length, rnetNms: rKept[i].length, onet: f.length },
      ms: { pnet: (t1 - t0) / n, rnet: (t2 - t1) / n, onet: (t3 - t2) / n },
    }));
  } finally {
    images.dispose();
  }
}
