import * as tf from '@tensorflow/tfjs';
import { drawOcclusion, type OcclusionKind } from '../context/occluders.js';
import {
  changedFraction, DEFAULT_OCC_CONFIG, initOcclusionClassifier, OCC_INPUT, occlusionInput, occlusionLogits, occlusionRegions,
  type OcclusionClassifierConfig,
} from '../context/occlusion-classifier.js';
import type { Point } from '../graph/values.js';
import { AdamW } from './adamw.js';
import { Rng } from '../util/rng.js';
import { defaultMilestones, EarlyStopping, stepDecay } from './schedule.js';

/** Aligned face crops, row-major [count, size, size, 3], 8-bit. */
export interface FaceCrops {
  size: number;
  count: number;
  data: Uint8Array;
}

export interface OcclusionTrainOptions {
  epochs: number;
  seed: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  patience: number;
  /** 0-based epochs where the rate drops x0.1 (default: 40/60/80% of the epochs). */
  milestones?: number[];
  /** The template's 5 landmarks in the crops (where occluders are drawn and regions measured). */
  landmarks: Point[];
  /** Augmented copies of each training face per epoch. */
  copies: number;
  onEpoch?: (log: OcclusionEpochLog) => void;
}

export interface OcclusionEpochLog {
  epoch: number;
  lr: number;
  trainLoss: number;
  valLoss: number;
  /** Accuracy of each head at 0.5 on the fixed validation set. */
  valAccuracy: { mask: number; eyes: number };
  best: boolean;
}

/** What is drawn on a face, and how often: a third clean, the rest masks, glasses, patches, or mask + glasses. */
const VARIANTS: { p: number; kinds: OcclusionKind[] }[] = [
  { p: 0.3, kinds: [] }, { p: 0.17, kinds: ['surgical-mask'] }, { p: 0.17, kinds: ['cloth-mask'] },
  { p: 0.17, kinds: ['sunglasses'] }, { p: 0.12, kinds: ['patch'] }, { p: 0.07, kinds: ['cloth-mask', 'sunglasses'] },
];

function pickVariant(rng: Rng): OcclusionKind[] {
  let u = rng.uniform();
  for (const v of VARIANTS) if ((u -= v.p) < 0) return v.kinds;
  return [];
}

/**
 * Build `copies` augmented samples per face: occluders drawn from the variants, labels from the
 * fraction of the mouth / eye regions the occluder changed (> 0.5 = occluded), a brightness gain
 * in [0.6, 1.4] and a horizontal flip half the time. Returns inputs [m, 28, 28, 3] and labels [m, 2].
 */
export function occlusionSamples(faces: FaceCrops, landmarks: Point[], copies: number, rng: Rng): { x: Float32Array; y: Float32Array; count: number } {
  const stride = faces.size * faces.size * 3;
  const m = faces.count * copies;
  const x = new Float32Array(m * OCC_INPUT * OCC_INPUT * 3);
  const y = new Float32Array(m * 2);
  const regions = occlusionRegions(landmarks);
  const work = new Uint8Array(stride);
  let k = 0;
  for (let i = 0; i < faces.count; i++) {
    const face = faces.data.subarray(i * stride, (i + 1) * stride);
    for (let c = 0; c < copies; c++, k++) {
      work.set(face);
      for (const kind of pickVariant(rng)) drawOcclusion({ width: faces.size, height: faces.size, channels: 3, data: work }, landmarks, kind, rng);
      y[2 * k] = changedFraction(face, work, faces.size, regions.mouth) > 0.5 ? 1 : 0;
      y[2 * k + 1] = Math.max(...regions.eyes.map((b) => changedFraction(face, work, faces.size, b))) > 0.5 ? 1 : 0;
      occlusionInput(work, faces.size, x, k * OCC_INPUT * OCC_INPUT * 3, rng.uniform() < 0.5, rng.range(0.6, 1.4));
    }
  }
  return { x, y, count: m };
}

async function evaluate(w: Record<string, tf.Tensor>, s: { x: Float32Array; y: Float32Array; count: number }): Promise<{ loss: number; mask: number; eyes: number }> {
  const [lossT, logits] = tf.tidy(() => {
    const l = occlusionLogits(w, tf.tensor4d(s.x, [s.count, OCC_INPUT, OCC_INPUT, 3]));
    return [tf.losses.sigmoidCrossEntropy(tf.tensor2d(s.y, [s.count, 2]), l), l];
  });
  const [lossV, pred] = await Promise.all([lossT.data(), logits.data()]);
  tf.dispose([lossT, logits]);
  let mask = 0;
  let eyes = 0;
  for (let i = 0; i < s.count; i++) {
    if ((pred[2 * i] > 0 ? 1 : 0) === s.y[2 * i]) mask++;
    if ((pred[2 * i + 1] > 0 ? 1 : 0) === s.y[2 * i + 1]) eyes++;
  }
  return { loss: lossV[0], mask: mask / s.count, eyes: eyes / s.count };
}

/**
 * Train the occlusion classifier with sigmoid cross-entropy, AdamW and step decay; early stopping
 * on the loss of a fixed augmented validation set (the best epoch's weights are returned).
 * Deterministic for a seed. The caller owns the returned tensors.
 */
export async function trainOcclusionClassifier(
  train: FaceCrops, val: FaceCrops, opts: OcclusionTrainOptions, cfg: OcclusionClassifierConfig = DEFAULT_OCC_CONFIG,
): Promise<{ weights: Record<string, tf.Tensor>; logs: OcclusionEpochLog[]; initial: { valLoss: number; valAccuracy: { mask: number; eyes: number } } }> {
  const rng = new Rng(opts.seed);
  const vars: Record<string, tf.Variable> = {};
  for (const [k, t] of Object.entries(initOcclusionClassifier(cfg, rng.fork(1)))) {
    vars[k] = tf.variable(t, true);
    t.dispose();
  }
  const valSet = occlusionSamples(val, opts.landmarks, 4, new Rng(opts.seed).fork(2));
  const opt = new AdamW({ lr: opts.lr, weightDecay: opts.weightDecay });
  const stopper = new EarlyStopping(opts.patience);
  const milestones = opts.milestones ?? defaultMilestones(opts.epochs);
  const e0 = await evaluate(vars, valSet);
  stopper.update(-1, e0.loss);
  let best: Record<string, tf.Tensor> = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, tf.clone(v)]));
  const logs: OcclusionEpochLog[] = [];
  const names = Object.keys(vars);
  const list = Object.values(vars);
  const S = OCC_INPUT * OCC_INPUT * 3;
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const lrScale = stepDecay(epoch, milestones);
      const erng = rng.fork(100 + epoch);
      const s = occlusionSamples(train, opts.landmarks, opts.copies, erng);
      const order = erng.shuffle(Array.from({ length: s.count }, (_, i) => i));
      let lossSum = 0;
      for (let b = 0; b < order.length; b += opts.batchSize) {
        const idx = order.slice(b, b + opts.batchSize);
        const bx = new Float32Array(idx.length * S);
        const by = new Float32Array(idx.length * 2);
        idx.forEach((r, i) => {
          bx.set(s.x.subarray(r * S, (r + 1) * S), i * S);
          by.set(s.y.subarray(2 * r, 2 * r + 2), 2 * i);
        });
        const x = tf.tensor4d(bx, [idx.length, OCC_INPUT, OCC_INPUT, 3]);
        const yt = tf.tensor2d(by, [idx.length, 2]);
        const { value, grads } = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(yt, occlusionLogits(vars, x)) as tf.Scalar, list);
        const named: Record<string, tf.Tensor> = {};
        names.forEach((n, i) => (named[n] = grads[list[i].name]));
        opt.step(vars, named, lrScale);
        lossSum += (await value.data())[0] * idx.length;
        tf.dispose([x, yt, value, ...Object.values(grads)]);
      }
      const ev = await evaluate(vars, valSet);
      const isBest = stopper.update(epoch, ev.loss);
      if (isBest) {
        tf.dispose(Object.values(best));
        best = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, tf.clone(v)]));
      }
      const log = { epoch, lr: opts.lr * lrScale, trainLoss: lossSum / s.count, valLoss: ev.loss, valAccuracy: { mask: ev.mask, eyes: ev.eyes }, best: isBest };
      logs.push(log);
      opts.onEpoch?.(log);
      await new Promise((r) => setTimeout(r, 0));
      if (stopper.shouldStop) break;
    }
  } finally {
    tf.dispose(Object.values(vars));
    opt.dispose();
  }
  return { weights: best, logs, initial: { valLoss: e0.loss, valAccuracy: { mask: e0.mask, eyes: e0.eyes } } };
}
