import * as tf from '@tensorflow/tfjs';
import type { Point } from '../graph/values.js';
import type { Rng } from '../util/rng.js';

/**
 * A small CNN that scores two kinds of occlusion on an aligned face: the lower face (a mask) and
 * the eyes (sunglasses, a hand, a patch). Input: the aligned crop area-averaged to 28x28 RGB,
 * scaled to [-1, 1]. conv 3x3 8 -> relu -> maxpool 2 -> conv 3x3 16 -> relu -> maxpool 2 ->
 * dense 784 -> 2, sigmoid: [P(lower face occluded), P(eyes occluded)]. About 3.2 k parameters;
 * the project trains it (`faceflow train --module occlusion`) on aligned faces with and without
 * synthetic occluders, labelled by how much of each region the occluder covers.
 */
export const OCC_INPUT = 28;

export interface OcclusionClassifierConfig {
  kind: 'occlusion-classifier';
  input: number;
  conv1: number;
  conv2: number;
}

export const DEFAULT_OCC_CONFIG: OcclusionClassifierConfig = { kind: 'occlusion-classifier', input: OCC_INPUT, conv1: 8, conv2: 16 };

export function occlusionShapes(cfg: OcclusionClassifierConfig): Record<string, number[]> {
  const flat = (cfg.input / 4) ** 2 * cfg.conv2;
  return { k1: [3, 3, 3, cfg.conv1], b1: [cfg.conv1], k2: [3, 3, cfg.conv1, cfg.conv2], b2: [cfg.conv2], W: [flat, 2], b: [2] };
}

/** He-normal convolutions, Glorot dense. */
export function initOcclusionClassifier(cfg: OcclusionClassifierConfig, rng: Rng): Record<string, tf.Tensor> {
  const s = occlusionShapes(cfg);
  const he = (shape: number[], fanIn: number) => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), Math.sqrt(2 / fanIn)), shape);
  return {
    k1: he(s.k1, 27), b1: tf.zeros(s.b1), k2: he(s.k2, 9 * cfg.conv1), b2: tf.zeros(s.b2),
    W: tf.tensor(rng.normalArray(s.W[0] * 2, Math.sqrt(2 / (s.W[0] + 2))), s.W), b: tf.zeros([2]),
  };
}

/**
 * Logits [n, 2] for inputs [n, 28, 28, 3] in [-1, 1]. `train` builds the convolutions from
 * slices and matMuls (tfjs-wasm has no conv2d filter gradient); inference uses tfjs's fused
 * conv2d and maxPool, a quarter of the ops. Both compute the same function.
 */
export function occlusionLogits(w: Record<string, tf.Tensor>, x: tf.Tensor4D, train = true): tf.Tensor2D {
  if (!train) {
    return tf.tidy(() => {
      const block = (input: tf.Tensor4D, k: tf.Tensor, b: tf.Tensor) =>
        tf.maxPool(tf.fused.conv2d({ x: input, filter: k as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }), 2, 2, 'valid');
      const h = block(block(x, w.k1, w.b1), w.k2, w.b2);
      return tf.add(tf.matMul(tf.reshape(h, [x.shape[0], -1]) as tf.Tensor2D, w.W as tf.Tensor2D), w.b) as tf.Tensor2D;
    });
  }
  return tf.tidy(() => {
    // Convolutions as im2col matMuls: tfjs-wasm has no conv2d gradient for the filter.
    const conv = (input: tf.Tensor4D, k: tf.Tensor, b: tf.Tensor) => {
      const [n, h, wd, c] = input.shape;
      const padded = tf.pad(input, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      const patches: tf.Tensor[] = [];
      for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) patches.push(tf.slice(padded, [0, dy, dx, 0], [n, h, wd, c]));
      const cols = tf.reshape(tf.concat(patches, 3), [n * h * wd, 9 * c]);
      const out = tf.add(tf.matMul(cols, tf.reshape(k, [9 * c, -1])), b);
      return tf.relu(tf.reshape(out, [n, h, wd, -1])) as tf.Tensor4D;
    };
    const pool = (input: tf.Tensor4D) => {
      const [n, h, wd, c] = input.shape;
      return tf.max(tf.reshape(input, [n, h / 2, 2, wd / 2, 2, c]), [2, 4]) as tf.Tensor4D;
    };
    const h1 = pool(conv(x, w.k1, w.b1));
    const h2 = pool(conv(h1, w.k2, w.b2));
    return tf.add(tf.matMul(tf.reshape(h2, [x.shape[0], -1]) as tf.Tensor2D, w.W as tf.Tensor2D), w.b) as tf.Tensor2D;
  });
}

/** Area-average an aligned RGB crop (size x size, 8-bit) to 28x28, scaled to [-1, 1]; writes into `out` at `off`. */
export function occlusionInput(crop: Uint8Array, size: number, out: Float32Array, off = 0, flip = false, gain = 1): void {
  const S = OCC_INPUT;
  for (let y = 0; y < S; y++) {
    const y0 = Math.floor((y * size) / S);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * size) / S));
    for (let x = 0; x < S; x++) {
      const xs = flip ? S - 1 - x : x;
      const x0 = Math.floor((xs * size) / S);
      const x1 = Math.max(x0 + 1, Math.floor(((xs + 1) * size) / S));
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += crop[(yy * size + xx) * 3 + c];
        const v = (gain * s) / ((y1 - y0) * (x1 - x0));
        out[off + (y * S + x) * 3 + c] = Math.min(255, v) / 127.5 - 1;
      }
    }
  }
}

/**
 * Regions whose coverage defines the labels, from the 5 landmarks of the aligned crop: the mouth
 * (a box around both mouth corners and the space between) and the eyes (a box around each eye).
 */
export function occlusionRegions(lm: readonly Point[]): { mouth: [number, number, number, number]; eyes: [number, number, number, number][] } {
  const eyeDist = Math.hypot(lm[1][0] - lm[0][0], lm[1][1] - lm[0][1]);
  const r = 0.22 * eyeDist;
  return {
    mouth: [Math.min(lm[3][0], lm[4][0]) - r * 0.5, Math.min(lm[3][1], lm[4][1]) - r, Math.max(lm[3][0], lm[4][0]) + r * 0.5, Math.max(lm[3][1], lm[4][1]) + r],
    eyes: [0, 1].map((i) => [lm[i][0] - r * 1.2, lm[i][1] - r * 0.8, lm[i][0] + r * 1.2, lm[i][1] + r * 0.8]),
  };
}

/** Fraction of pixels inside `box` that differ between two crops. */
export function changedFraction(a: Uint8Array, b: Uint8Array, size: number, box: [number, number, number, number], offA = 0, offB = 0): number {
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(size, Math.ceil(box[2]));
  const y1 = Math.min(size, Math.ceil(box[3]));
  let n = 0;
  let changed = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const i = (y * size + x) * 3;
    n++;
    if (a[offA + i] !== b[offB + i] || a[offA + i + 1] !== b[offB + i + 1] || a[offA + i + 2] !== b[offB + i + 2]) changed++;
  }
  return n ? changed / n : 0;
}
