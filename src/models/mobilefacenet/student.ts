import * as tf from '@tensorflow/tfjs';
import { applyGate, type GateConfig } from '../gate/gate.js';
import type { ConvStep, MobileFaceNetGraph, Step } from './graph.js';

/**
 * MobileFaceNet split in two at the start of a block: a frozen front (the pretrained layers, run
 * by MobileFaceNet.forwardTo) and a trainable back, fine-tuned from the pretrained weights, with a
 * spatial attention gate on the map where the back starts (14x14 at Conv2d_5, 8 px per cell on a
 * 112 crop, fine enough to tell the mask rows from the eye rows). The gate is the paper's (1x1 conv
 * + sigmoid, multiplied in), placed earlier than the 7x7 tap so its map can localise an occluder.
 */
export interface StudentConfig {
  kind: 'mobilefacenet-student';
  /** Output-name prefix of the first trained step, e.g. "MobileFaceNet/MobileFaceNet/Conv2d_5_InvResBlock_0". */
  trainFrom: string;
  /** The gate on the map entering the trained part (its channels), or null for none. */
  gate: GateConfig | null;
}

export const STUDENT_KIND = 'mobilefacenet-student';

/** The first block each `--train-from` choice names, and where its map is. */
export const TRAIN_FROM: Record<string, string> = {
  'conv2d_4.3': 'MobileFaceNet/MobileFaceNet/Conv2d_4_InvResBlock_3/',
  'conv2d_5': 'MobileFaceNet/MobileFaceNet/Conv2d_5_InvResBlock_0/',
  'conv2d_6': 'MobileFaceNet/MobileFaceNet/Conv2d_6_InvResBlock_0/',
};

export interface StudentSplit {
  /** Tensor id of the map entering the trained part. */
  cut: number;
  /** Steps of the trained part, in order. */
  back: Step[];
  /** [h, w, c] of the cut map for a 112 input. */
  cutShape: [number, number, number];
}

/** Split the layer program at the first step named with `trainFrom`; the back must depend on the cut map alone. */
export function splitAt(graph: MobileFaceNetGraph, trainFrom: string): StudentSplit {
  const first = graph.steps.findIndex((s) => s.name.startsWith(trainFrom));
  if (first < 0) throw new Error(`MobileFaceNet has no layer named ${trainFrom}`);
  const s0 = graph.steps[first];
  if (s0.kind !== 'conv') throw new Error(`${trainFrom}: a trained part must start at a convolution`);
  const back = graph.steps.slice(first);
  const known = new Set([s0.input]);
  for (const s of back) {
    const inputs = s.kind === 'add' ? [s.a, s.b] : [s.input];
    if (!inputs.every((i) => known.has(i))) throw new Error(`${trainFrom}: step ${s.name} reads a map from before the cut`);
    known.add(s.output);
  }
  // Spatial size of the cut map: 112 halved at every stride-2 step before it.
  let size = graph.inputSize;
  for (const s of graph.steps.slice(0, first)) if (s.kind === 'conv' && s.stride === 2) size = Math.ceil(size / 2);
  return { cut: s0.input, back, cutShape: [size, size, s0.filter.shape[2]] };
}

/** Weight names of a conv step in a student weights file. */
export function stepWeightNames(s: ConvStep): { filter: string; bias: string; alpha: string } {
  return { filter: `${s.name}/filter`, bias: `${s.name}/bias`, alpha: `${s.name}/alpha` };
}

/** The pretrained weights of the back's convolutions, by weight name (the fine-tuning start). */
export function pretrainedBackWeights(split: StudentSplit): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const s of split.back) {
    if (s.kind !== 'conv') continue;
    const n = stepWeightNames(s);
    out[n.filter] = tf.tensor4d(s.filter.values, s.filter.shape);
    out[n.bias] = tf.tensor1d(s.bias);
    if (s.alpha) out[n.alpha] = tf.tensor1d(s.alpha);
  }
  return out;
}

/**
 * 3x3 depthwise conv, 'same' padding, stride 1 or 2, as nine shifted multiply-adds: the same
 * arithmetic as tf.depthwiseConv2d, but differentiable on wasm (which lacks the depthwise
 * gradients). Stride 2 takes the odd positions of the stride-1 result, which is TensorFlow's
 * 'same' for an even input (padding 0 before, 1 after).
 */
function depthwise3x3(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const k = tf.reshape(filter, [3, 3, c]);
  let y: tf.Tensor4D | undefined;
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) {
    const tap = tf.mul(tf.slice(xp, [0, dy, dx, 0], [n, h, w, c]), tf.reshape(tf.slice(k, [dy, dx, 0], [1, 1, c]), [c])) as tf.Tensor4D;
    y = y ? (tf.add(y, tap) as tf.Tensor4D) : tap;
  }
  if (stride === 1) return y!;
  if (h % 2 || w % 2) throw new Error(`depthwise stride 2 needs an even map, got ${h}x${w}`);
  // Odd rows, then odd columns, with rank-4 slices only (tfjs-wasm slices rank 6 ~35x slower).
  const rows = tf.slice(tf.reshape(y!, [n, h / 2, 2, w * c]), [0, 0, 1, 0], [n, h / 2, 1, w * c]);
  const cols = tf.slice(tf.reshape(rows, [n * (h / 2), w / 2, 2, c]), [0, 0, 1, 0], [n * (h / 2), w / 2, 1, c]);
  return tf.reshape(cols, [n, h / 2, w / 2, c]);
}

/**
 * x [m, k] @ w [k, j] with a gradient that transposes explicitly: tfjs-wasm's matMul with a
 * transposed operand (what the stock gradient uses) runs ~20x slower than a transpose + plain matMul.
 */
const linear = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, [sx, sw]: tf.Tensor[]) => [
      tf.matMul(dy as tf.Tensor2D, tf.transpose(sw) as tf.Tensor2D),
      tf.matMul(tf.transpose(sx) as tf.Tensor2D, dy as tf.Tensor2D),
    ],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** One conv step of the back, differentiable on every backend (1x1 as matMul, 3x3 depthwise as shifts, the 7x7 global conv as a weighted sum). */
function convTrainable(s: ConvStep, x: tf.Tensor4D, w: Record<string, tf.Tensor>): tf.Tensor4D {
  const names = stepWeightNames(s);
  const filter = w[names.filter] as tf.Tensor4D;
  const [n, h, wd, c] = x.shape;
  const [kh, kw] = s.filter.shape;
  let y: tf.Tensor4D;
  if (s.depthwise && s.padding === 'valid' && kh === h && kw === wd) {
    y = tf.reshape(tf.sum(tf.mul(x, tf.reshape(filter, [1, kh, kw, c])), [1, 2]), [n, 1, 1, c]);
  } else if (!s.depthwise && kh === 1 && kw === 1 && s.stride === 1) {
    y = tf.reshape(linear(tf.reshape(x, [n * h * wd, c]), tf.reshape(filter, [c, -1])), [n, h, wd, -1]);
  } else if (s.depthwise && kh === 3 && kw === 3 && s.padding === 'same') {
    y = depthwise3x3(x, filter, s.stride);
  } else {
    throw new Error(`student: no trainable form for ${s.name} (${kh}x${kw}${s.depthwise ? ' depthwise' : ''}, stride ${s.stride})`);
  }
  y = tf.add(y, w[names.bias]);
  return s.alpha ? (tf.prelu(y, w[names.alpha]) as tf.Tensor4D) : y;
}

/** One conv step with tfjs' fused kernels (inference: same arithmetic, faster). */
function convFused(s: ConvStep, x: tf.Tensor4D, w: Record<string, tf.Tensor>): tf.Tensor4D {
  const names = stepWeightNames(s);
  const alpha = s.alpha ? (w[names.alpha] as tf.Tensor1D) : undefined;
  const args = {
    x, filter: w[names.filter] as tf.Tensor4D, strides: s.stride, pad: s.padding, bias: w[names.bias],
    activation: (alpha ? 'prelu' : 'linear') as tf.fused.Activation, preluActivationWeights: alpha,
  };
  return s.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args);
}

export interface StudentOutput {
  /** Raw (not normalised) embeddings [n, D]. */
  embeddings: tf.Tensor2D;
  /** The gate's weight map [n, h, w, 1] on the cut map (null without a gate). */
  gateMap: tf.Tensor4D | null;
  /** The last 7x7 map of the back (MobileFaceNet's tap). */
  tap: tf.Tensor4D;
}

/**
 * The back of the student from the cut map: gate, then the trained steps. `trainable` picks the
 * differentiable op forms (training) or the fused kernels (inference). Call inside tf.tidy.
 */
export function runBack(
  graph: MobileFaceNetGraph, split: StudentSplit, cfg: StudentConfig, w: Record<string, tf.Tensor>, cutMap: tf.Tensor4D, trainable: boolean,
): StudentOutput {
  let x = cutMap;
  let gateMap: tf.Tensor4D | null = null;
  if (cfg.gate) {
    const g = applyGate(cfg.gate, { kernel: w['gate/kernel'], bias: w['gate/bias'] }, cutMap);
    x = g.features;
    gateMap = g.weightMap;
  }
  const values = new Map<number, tf.Tensor>([[split.cut, x]]);
  for (const s of split.back) {
    if (s.kind === 'conv') {
      const input = values.get(s.input) as tf.Tensor4D;
      values.set(s.output, trainable ? convTrainable(s, input, w) : convFused(s, input, w));
    } else if (s.kind === 'add') values.set(s.output, tf.add(values.get(s.a)!, values.get(s.b)!));
    else {
      const v = values.get(s.input)!;
      values.set(s.output, tf.reshape(v, [v.shape[0], -1]));
    }
  }
  const tap = (values.get(graph.tap) ?? values.get(split.cut)) as tf.Tensor4D;
  return { embeddings: values.get(graph.output) as tf.Tensor2D, gateMap, tap };
}

/** Every weight name a student file must hold, with its shape. */
export function studentShapes(split: StudentSplit, cfg: StudentConfig): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of split.back) {
    if (s.kind !== 'conv') continue;
    const n = stepWeightNames(s);
    out[n.filter] = [...s.filter.shape];
    out[n.bias] = [s.bias.length];
    if (s.alpha) out[n.alpha] = [s.alpha.length];
  }
  if (cfg.gate) {
    out['gate/kernel'] = [1, 1, cfg.gate.channels, 1];
    out['gate/bias'] = [1];
  }
  return out;
}
