import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng.js';
import { checkInputs, glorotNormal, l2Normalize, normalInit, type Weights } from './common.js';

/**
 * Attention fusion, the paper's Eq. 8-10. The query comes from the embedding, one key and one
 * value per context component, a softmax over the C components:
 *   q    = e Wq + bq                         [d]       (Eq. 8: Q = W_Q V_e)
 *   k_j  = c_j Uk_j + Bk_j,  j = 1..C        [d]       (Eq. 8: K = W_k V_c, one column per component)
 *   A    = softmax_j(q . k_j / sqrt(d))      [C]       (Eq. 8)
 *   v_j  = c_j Wv_j                          [dv]      (Eq. 9: the columns of W_v V_c)
 *   out  = sum_j A_j v_j = (A * c) Wv        [dv]      (Eq. 9: A W_v V_c)
 *   fused = L2([e, out])                               (Eq. 9-10)
 * Eq. 8 as printed would give a single key for the whole context vector; the paper's A in R^{1 x dc}
 * needs one key per component, so each component is a token whose key is its own learned
 * direction scaled by its value plus a learned bias (so a zero-valued component still has a key).
 */
export interface AttentionConfig {
  kind: 'attention';
  embeddingDim: number;
  contextDim: number;
  /** Attention dimension d (the paper: 64). */
  attnDim: number;
  /** Value width dv appended to the embedding. */
  valueDim: number;
}

export function attentionShapes(cfg: AttentionConfig): Record<string, number[]> {
  const { embeddingDim: D, contextDim: C, attnDim: d, valueDim: dv } = cfg;
  return { Wq: [D, d], bq: [d], Uk: [C, d], Bk: [C, d], Wv: [C, dv] };
}

/** The value path starts tiny (std 0.005) so untrained fusion behaves like the plain embedding. */
export function initAttention(cfg: AttentionConfig, rng: Rng): Weights {
  const { embeddingDim: D, contextDim: C, attnDim: d, valueDim: dv } = cfg;
  return {
    Wq: glorotNormal(rng, D, d),
    bq: tf.zeros([d]),
    Uk: normalInit(rng, [C, d], 1 / Math.sqrt(d)),
    Bk: normalInit(rng, [C, d], 1 / Math.sqrt(d)),
    Wv: normalInit(rng, [C, dv], 0.005),
  };
}

export interface AttentionOutput {
  fused: tf.Tensor2D;
  /** Softmax weights over the context components, [n, C] (rows sum to 1). */
  attention: tf.Tensor2D;
}

export function attentionFusion(cfg: AttentionConfig, w: Weights, e: tf.Tensor2D, c: tf.Tensor2D): AttentionOutput {
  checkInputs('attention', e, c, cfg.embeddingDim, cfg.contextDim);
  return tf.tidy(() => {
    const q = tf.add(tf.matMul(e, w.Wq as tf.Tensor2D), w.bq); // [n, d]
    // q . k_j = c_j (q . Uk_j) + q . Bk_j, without building the [n, C, d] keys.
    const qU = tf.matMul(q, w.Uk as tf.Tensor2D, false, true); // [n, C]
    const qB = tf.matMul(q, w.Bk as tf.Tensor2D, false, true); // [n, C]
    const scores = tf.div(tf.add(tf.mul(c, qU), qB), Math.sqrt(cfg.attnDim));
    const attention = tf.softmax(scores, -1) as tf.Tensor2D;
    const out = tf.matMul(tf.mul(attention, c) as tf.Tensor2D, w.Wv as tf.Tensor2D); // [n, dv]
    return { fused: l2Normalize(tf.concat([e, out], 1) as tf.Tensor2D), attention };
  });
}
