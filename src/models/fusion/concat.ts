import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng.js';
import { checkInputs, l2Normalize, normalInit, type Weights } from './common.js';

/** Static baseline: fused = L2([e, c W]), W [C, P] a learned projection of the context. */
export interface ConcatConfig {
  kind: 'concat';
  embeddingDim: number;
  contextDim: number;
  /** Width P of the projected context appended to the embedding. */
  projDim: number;
}

export function concatShapes(cfg: ConcatConfig): Record<string, number[]> {
  return { W: [cfg.contextDim, cfg.projDim] };
}

/**
 * W starts tiny (std 0.005): with context components in [-1, 1], |c W| is a few hundredths
 * against |e| = 1, so untrained fusion ranks pairs like the plain embedding.
 */
export function initConcat(cfg: ConcatConfig, rng: Rng): Weights {
  return { W: normalInit(rng, [cfg.contextDim, cfg.projDim], 0.005) };
}

export interface ConcatOutput {
  fused: tf.Tensor2D;
  /** The context projection's weight |W| per context component (mean over P), [C]: what the static fusion relies on. */
  componentWeight: tf.Tensor1D;
}

export function concatFusion(cfg: ConcatConfig, w: Weights, e: tf.Tensor2D, c: tf.Tensor2D): ConcatOutput {
  checkInputs('concat', e, c, cfg.embeddingDim, cfg.contextDim);
  return tf.tidy(() => {
    const proj = tf.matMul(c, w.W as tf.Tensor2D);
    return {
      fused: l2Normalize(tf.concat([e, proj], 1) as tf.Tensor2D),
      componentWeight: tf.mean(tf.abs(w.W), 1) as tf.Tensor1D,
    };
  });
}
