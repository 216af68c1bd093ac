import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../models/fusion/common.js';
import { defaultGateConfig, initGate } from '../models/gate/gate.js';
import type { MobileFaceNet } from '../models/mobilefacenet/net.js';
import { pretrainedBackWeights, runBack, splitAt, STUDENT_KIND, type StudentConfig, type StudentSplit } from '../models/mobilefacenet/student.js';
import { AdamW } from './adamw.js';
import { gatherRows, tripletBatches } from './data.js';
import { bestThresholdAccuracy } from './loop.js';
import { Rng } from '../util/rng.js';
import { EarlyStopping, stepDecay } from './schedule.js';
import { mineFromDistances, pairwiseSquaredDistances, tripletLoss } from './triplet.js';

/**
 * Fine-tuning MobileFaceNet's later stages as a student of the frozen pretrained network
 * (template-level knowledge distillation, after Huber et al., FG 2021): the student's embedding
 * of an occluded face is pulled to the teacher's embedding of the same face without the occluder,
 * and its embedding of the clean face stays at the teacher's; plus the semi-hard triplet loss
 * across identities; plus a supervision of the gate's map by where the synthetic occluder lies
 * (so the map means "how much of this cell is face"). The frozen front runs once per image and
 * occluder pass; only the trained back runs per step.
 */

/** One aligned face of one image in one pass (clean or with a synthetic occluder). */
export interface FaceRow {
  image: number;
  label: number;
  /** 8-bit RGB, size x size x 3. */
  pixels: Uint8Array;
}

export interface StudentData {
  labels: Int32Array;
  /** For each row, the row of the same image in the clean pass. */
  cleanRow: Int32Array;
  /** Front maps at the cut [n, h, w, c]. */
  maps: Float32Array;
  shape: [number, number, number];
  /** Share of each cell's pixels the synthetic occluder changed, [n, h * w] (0 on clean rows). */
  coverage: Float32Array;
  /** Teacher's unit embedding of each row's clean face, [n, dim]. */
  targets: Float32Array;
  dim: number;
}

/** A pixel counts as occluded when some channel moved by more than this (JPEG noise is not involved: both crops come from one decode). */
const CHANGED = 6;

/** Per cell of an h x w grid over a size x size crop: the share of pixels that differ between two crops. */
export function coverageMap(clean: Uint8Array, occluded: Uint8Array, size: number, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w);
  const count = new Float32Array(h * w);
  for (let y = 0; y < size; y++) {
    const cy = Math.min(h - 1, Math.floor((y * h) / size));
    for (let x = 0; x < size; x++) {
      const cx = Math.min(w - 1, Math.floor((x * w) / size));
      const i = (y * size + x) * 3;
      const d = Math.max(Math.abs(clean[i] - occluded[i]), Math.abs(clean[i + 1] - occluded[i + 1]), Math.abs(clean[i + 2] - occluded[i + 2]));
      if (d > CHANGED) out[cy * w + cx]++;
      count[cy * w + cx]++;
    }
  }
  for (let k = 0; k < out.length; k++) out[k] /= count[k];
  return out;
}

/**
 * Rows of all passes (the first one clean) -> front maps, coverage and teacher targets. Rows whose
 * image has no clean row are dropped. The teacher is the frozen network: the pretrained back on
 * the clean row's front map.
 */
export async function buildStudentData(net: MobileFaceNet, split: StudentSplit, passes: FaceRow[][], size: number, chunk = 64): Promise<StudentData> {
  const clean = new Map((passes[0] ?? []).map((r, k) => [r.image, k]));
  const rows = passes.flat().filter((r) => clean.has(r.image));
  if (!rows.length) throw new Error('no usable faces');
  const [h, w, c] = split.cutShape;
  const n = rows.length;
  const maps = new Float32Array(n * h * w * c);
  for (let s = 0; s < n; s += chunk) {
    const part = rows.slice(s, s + chunk);
    const px = new Float32Array(part.length * size * size * 3);
    part.forEach((r, k) => px.set(r.pixels, k * size * size * 3));
    const m = tf.tidy(() => {
      let x = tf.tensor4d(px, [part.length, size, size, 3]);
      if (size !== net.inputSize) x = tf.image.resizeBilinear(x, [net.inputSize, net.inputSize], false, true);
      return net.forwardTo(x, split.cut);
    });
    maps.set((await m.data()) as Float32Array, s * h * w * c);
    m.dispose();
  }
  const cleanPixels = passes[0];
  const cleanRow = new Int32Array(n);
  const coverage = new Float32Array(n * h * w);
  rows.forEach((r, i) => {
    const k = clean.get(r.image)!;
    cleanRow[i] = k; // the clean pass comes first, so its rows keep their indices
    if (r !== cleanPixels[k]) coverage.set(coverageMap(cleanPixels[k].pixels, r.pixels, size, h, w), i * h * w);
  });
  const teacher = pretrainedBackWeights(split);
  const cfg: StudentConfig = { kind: STUDENT_KIND, trainFrom: '', gate: null };
  let dim = 0;
  let cleanTargets = new Float32Array(0);
  try {
    const nClean = cleanPixels.length;
    for (let s = 0; s < nClean; s += chunk) {
      const count = Math.min(chunk, nClean - s);
      const e = tf.tidy(() => {
        const x = tf.tensor4d(maps.subarray(s * h * w * c, (s + count) * h * w * c), [count, h, w, c]);
        return l2Normalize(runBack(net.layers, split, cfg, teacher, x, false).embeddings);
      });
      const v = (await e.data()) as Float32Array;
      dim = e.shape[1];
      if (!cleanTargets.length) cleanTargets = new Float32Array(nClean * dim);
      cleanTargets.set(v, s * dim);
      e.dispose();
    }
  } finally {
    tf.dispose(Object.values(teacher));
  }
  return {
    labels: Int32Array.from(rows.map((r) => r.label)), cleanRow, maps, shape: [h, w, c], coverage,
    targets: gatherRows(cleanTargets, dim, cleanRow), dim,
  };
}

export interface StudentTrainOptions {
  epochs: number;
  seed: number;
  batchSize: number;
  perIdentity: number;
  /** Learning rate of the fine-tuned layers (the pretrained start is easy to wreck). */
  lr: number;
  /** Learning rate of the new gate. */
  gateLr: number;
  weightDecay: number;
  milestones: number[];
  decay: number;
  margin: number;
  patience: number;
  /** Loss weights: triplet term and gate-map supervision (the distillation terms weigh 1). */
  tripletWeight: number;
  gateWeight: number;
  /** Validation pairs (row indices into the validation set) for a per-epoch accuracy. */
  valPairs?: { a: number; b: number; same: boolean }[];
  onEpoch?: (log: StudentEpochLog) => void;
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface StudentEpochLog {
  epoch: number;
  lr: number;
  /** Mean over the epoch's batches of each term. */
  distill: number;
  triplet: number;
  gate: number;
  activeFraction: number;
  /** Validation distillation loss: mean 1 - cos(student, teacher's clean embedding), all rows. */
  valDistill?: number;
  /** Same, over the occluded rows only. */
  valDistillOccluded?: number;
  valAccuracy?: number;
  /** Mean gate weight on occluded cells / elsewhere, over the validation rows with an occluder. */
  valGateRatio?: number;
  best: boolean;
  seconds: number;
}

export interface StudentResult {
  config: StudentConfig;
  /** The best epoch's weights (caller disposes). */
  weights: Record<string, tf.Tensor>;
  logs: StudentEpochLog[];
  initial: Omit<StudentEpochLog, 'epoch' | 'lr' | 'distill' | 'triplet' | 'gate' | 'activeFraction' | 'best' | 'seconds'>;
  /** -1 when no epoch beat the pretrained start on validation. */
  bestEpoch: number;
  stoppedEarly: boolean;
}

export function studentConfig(trainFrom: string, channels: number, gate: boolean): StudentConfig {
  return { kind: STUDENT_KIND, trainFrom, gate: gate ? defaultGateConfig(channels) : null };
}

/** The fine-tuning start: the pretrained back plus an untrained (pass-through) gate. Caller owns the tensors. */
export function initialStudentWeights(net: MobileFaceNet, cfg: StudentConfig): Record<string, tf.Tensor> {
  const w = pretrainedBackWeights(splitAt(net.layers, cfg.trainFrom));
  if (cfg.gate) for (const [k, t] of Object.entries(initGate(cfg.gate))) w[`gate/${k}`] = t;
  return w;
}

interface Batch { maps: tf.Tensor4D; targets: tf.Tensor2D; coverage: tf.Tensor4D }

function gather(d: StudentData, idx: readonly number[]): Batch {
  const [h, w, c] = d.shape;
  return {
    maps: tf.tensor4d(gatherRows(d.maps, h * w * c, idx), [idx.length, h, w, c]),
    targets: tf.tensor2d(gatherRows(d.targets, d.dim, idx), [idx.length, d.dim]),
    coverage: tf.tensor4d(gatherRows(d.coverage, h * w, idx), [idx.length, h, w, 1]),
  };
}

/**
 * Binary cross-entropy of the gate map against sigmoid(b0) x (1 - coverage): the untrained gate's
 * level where the face shows, towards 0 where the occluder lies.
 */
function gateLoss(map: tf.Tensor4D, coverage: tf.Tensor4D, level: number): tf.Scalar {
  const t = tf.mul(tf.sub(1, coverage), level);
  const p = tf.clipByValue(map, 1e-6, 1 - 1e-6);
  return tf.neg(tf.mean(tf.add(tf.mul(t, tf.log(p)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, p)))))) as tf.Scalar;
}

interface ValStats { valDistill: number; valDistillOccluded: number; valAccuracy?: number; valGateRatio?: number }

/** Student outputs for every validation row (inference form), and the monitors computed from them. */
async function validate(net: MobileFaceNet, split: StudentSplit, cfg: StudentConfig, w: Record<string, tf.Tensor>, d: StudentData, pairs: StudentTrainOptions['valPairs'], chunk = 128): Promise<ValStats> {
  const n = d.labels.length;
  const [h, wd, c] = d.shape;
  const emb = new Float32Array(n * d.dim);
  let gateIn = 0, gateInN = 0, gateOut = 0, gateOutN = 0;
  for (let s = 0; s < n; s += chunk) {
    const count = Math.min(chunk, n - s);
    const { e, g } = tf.tidy(() => {
      const o = runBack(net.layers, split, cfg, w, tf.tensor4d(d.maps.subarray(s * h * wd * c, (s + count) * h * wd * c), [count, h, wd, c]), false);
      return { e: l2Normalize(o.embeddings), g: o.gateMap ?? tf.zeros([0]) };
    });
    emb.set((await e.data()) as Float32Array, s * d.dim);
    if (g.size) {
      const gm = (await g.data()) as Float32Array;
      for (let k = 0; k < count * h * wd; k++) {
        const row = s + Math.floor(k / (h * wd));
        if (d.cleanRow[row] === row) continue; // clean rows have no occluder: not part of the ratio
        const cov = d.coverage[s * h * wd + k];
        if (cov >= 0.5) { gateIn += gm[k]; gateInN++; } else if (cov === 0) { gateOut += gm[k]; gateOutN++; }
      }
    }
    tf.dispose([e, g]);
  }
  let all = 0, occ = 0, occN = 0;
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let k = 0; k < d.dim; k++) dot += emb[i * d.dim + k] * d.targets[i * d.dim + k];
    all += 1 - dot;
    if (d.cleanRow[i] !== i) { occ += 1 - dot; occN++; }
  }
  const stats: ValStats = { valDistill: all / n, valDistillOccluded: occN ? occ / occN : NaN };
  if (pairs?.length) {
    const scores = pairs.map(({ a, b }) => {
      let s = 0;
      for (let k = 0; k < d.dim; k++) s += emb[a * d.dim + k] * emb[b * d.dim + k];
      return s;
    });
    stats.valAccuracy = bestThresholdAccuracy(scores, pairs.map((p) => p.same));
  }
  if (gateInN && gateOutN) stats.valGateRatio = gateIn / gateInN / (gateOut / gateOutN);
  return stats;
}

/**
 * Fine-tunes the student's back from the pretrained weights: AdamW, step decay, early stopping
 * on the validation distillation loss, best epoch restored (the start counts as epoch -1: if no
 * epoch beats it, the result says so). Deterministic for a seed on cpu and wasm.
 */
export async function trainStudent(
  net: MobileFaceNet, cfg: StudentConfig, train: StudentData, val: StudentData, opts: StudentTrainOptions, start?: Record<string, tf.Tensor>,
): Promise<StudentResult> {
  const split = splitAt(net.layers, cfg.trainFrom);
  const vars: Record<string, tf.Variable> = {};
  // From the pretrained network, or (continuing a run) from `start`, which the caller keeps.
  for (const [k, t] of Object.entries(start ? Object.fromEntries(Object.entries(start).map(([n, w]) => [n, tf.clone(w)])) : initialStudentWeights(net, cfg))) {
    vars[k] = tf.variable(t, true, `student/${k}_${variableSerial++}`);
    t.dispose();
  }
  const gateNames = Object.keys(vars).filter((k) => k.startsWith('gate/'));
  const backNames = Object.keys(vars).filter((k) => !k.startsWith('gate/'));
  const pick = (names: string[]) => Object.fromEntries(names.map((k) => [k, vars[k]]));
  const optBack = new AdamW({ lr: opts.lr, weightDecay: opts.weightDecay });
  const optGate = new AdamW({ lr: opts.gateLr, weightDecay: opts.weightDecay });
  const level = cfg.gate ? 1 / (1 + Math.exp(-cfg.gate.initBias)) : 1;
  const rng = new Rng(opts.seed);
  const stopper = new EarlyStopping(opts.patience);
  const logs: StudentEpochLog[] = [];
  const snapshot = () => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, tf.clone(v)]));
  const initial = await validate(net, split, cfg, vars, val, opts.valPairs);
  stopper.update(-1, initial.valDistill);
  let best: Record<string, tf.Tensor> = snapshot();
  let stoppedEarly = false;
  const varList = Object.values(vars);
  const names = Object.keys(vars);
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      if (opts.signal?.aborted) throw new Error('training cancelled');
      const t0 = performance.now();
      const lrScale = stepDecay(epoch, opts.milestones, opts.decay);
      const batches = tripletBatches(train.labels, opts.batchSize, opts.perIdentity, rng.fork(epoch));
      const sums = { distill: 0, triplet: 0, gate: 0, pairs: 0, active: 0 };
      for (let bi = 0; bi < batches.length; bi++) {
        const idx = batches[bi];
        const labels = idx.map((i) => train.labels[i]);
        const b = gather(train, idx);
        let terms: tf.Tensor[] = [];
        let mined = { pairs: 0, active: 0 };
        const { value, grads } = tf.variableGrads(() => {
          const o = runBack(net.layers, split, cfg, vars, b.maps, true);
          const e = l2Normalize(o.embeddings);
          const distill = tf.mean(tf.sub(1, tf.sum(tf.mul(e, b.targets), 1))) as tf.Scalar;
          // Mining is discrete: chosen on this forward pass's distances (cpu/wasm read back synchronously).
          const m = mineFromDistances(tf.tidy(() => pairwiseSquaredDistances(e)).dataSync() as Float32Array, labels, opts.margin);
          mined = m;
          const trip = tripletLoss(e, m, opts.margin);
          const gl = o.gateMap ? gateLoss(o.gateMap, b.coverage, level) : tf.scalar(0);
          terms = [tf.keep(distill.clone()), tf.keep(trip.clone()), tf.keep(gl.clone())];
          return tf.addN([distill, tf.mul(trip, opts.tripletWeight), tf.mul(gl, opts.gateWeight)]) as tf.Scalar;
        }, varList);
        tf.dispose([b.maps, b.targets, b.coverage]);
        const named: Record<string, tf.Tensor> = {};
        for (const [i, name] of names.entries()) named[name] = grads[varList[i].name];
        optBack.step(pick(backNames), named, lrScale);
        if (gateNames.length) optGate.step(pick(gateNames), named, lrScale);
        const [dv, tv, gv] = await Promise.all(terms.map((t) => t.data()));
        sums.distill += dv[0];
        sums.triplet += tv[0];
        sums.gate += gv[0];
        sums.pairs += mined.pairs;
        sums.active += mined.active;
        tf.dispose([value, ...terms, ...Object.values(grads)]);
        opts.onProgress?.((epoch + (bi + 1) / batches.length) / opts.epochs);
      }
      const stats = await validate(net, split, cfg, vars, val, opts.valPairs);
      const log: StudentEpochLog = {
        epoch, lr: opts.lr * lrScale,
        distill: sums.distill / batches.length, triplet: sums.triplet / batches.length, gate: sums.gate / batches.length,
        activeFraction: sums.pairs ? sums.active / sums.pairs : 0,
        ...stats, best: stopper.update(epoch, stats.valDistill), seconds: 0,
      };
      if (log.best) {
        tf.dispose(Object.values(best));
        best = snapshot();
      }
      log.seconds = (performance.now() - t0) / 1000;
      logs.push(log);
      opts.onEpoch?.(log);
      if (stopper.shouldStop) {
        stoppedEarly = epoch + 1 < opts.epochs;
        break;
      }
    }
  } catch (e) {
    tf.dispose(Object.values(best));
    throw e;
  } finally {
    optBack.dispose();
    optGate.dispose();
    tf.dispose(varList);
  }
  return { config: cfg, weights: best, logs, initial, bestEpoch: stopper.bestEpoch, stoppedEarly };
}
let variableSerial = 0;

