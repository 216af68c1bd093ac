import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng.js';

/** Named weight tensors of a module (tf.Variables while training, plain tensors when loaded). */
export type Weights = Record<string, tf.Tensor>;

/** Row-wise L2 normalisation (the paper's Eq. 6 and 10), safe for a zero row. */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-12))) as tf.Tensor2D);
}

/** Layer normalisation over the last axis with learned gain and bias. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  });
}

/** x [..., in] times w [in, out] plus optional b [out], for rank 2 or 3 x. */
export function dense(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const shape = x.shape;
    const flat = shape.length === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, shape[shape.length - 1]]) as tf.Tensor2D;
    let y: tf.Tensor = tf.matMul(flat, w as tf.Tensor2D);
    if (b) y = tf.add(y, b);
    return shape.length === 2 ? y : tf.reshape(y, [...shape.slice(0, -1), w.shape[1]!]);
  });
}

/** Glorot-uniform-scaled normal init: N(0, 2 / (fanIn + fanOut)) times `gain`. */
export function glorotNormal(rng: Rng, fanIn: number, fanOut: number, gain = 1): tf.Tensor2D {
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  return tf.tensor2d(rng.normalArray(fanIn * fanOut, std), [fanIn, fanOut]);
}

export function normalInit(rng: Rng, shape: number[], std: number): tf.Tensor {
  return tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), std), shape);
}

export function checkInputs(kind: string, e: tf.Tensor2D, c: tf.Tensor2D, embeddingDim: number, contextDim: number): void {
  if (e.rank !== 2 || e.shape[1] !== embeddingDim) throw new Error(`${kind} fusion: embeddings must be [n, ${embeddingDim}], got [${e.shape}]`);
  if (c.rank !== 2 || c.shape[1] !== contextDim) throw new Error(`${kind} fusion: context must be [n, ${contextDim}], got [${c.shape}]`);
  if (e.shape[0] !== c.shape[0]) throw new Error(`${kind} fusion: ${e.shape[0]} embeddings but ${c.shape[0]} context vectors`);
}

/** Every weight name the module expects must be present with the expected shape. */
export function checkWeights(kind: string, weights: Weights, shapes: Record<string, number[]>): void {
  for (const [name, shape] of Object.entries(shapes)) {
    const w = weights[name];
    if (!w) throw new Error(`${kind} fusion: missing weight "${name}"`);
    if (w.shape.length !== shape.length || w.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`${kind} fusion: weight "${name}" has shape [${w.shape}], expected [${shape}]`);
    }
  }
}
