import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng.js';
import { checkInputs, dense, glorotNormal, l2Normalize, layerNorm, normalInit, type Weights } from './common.js';

/**
 * Transformer fusion (the paper's Eq. 11 and section 4: one encoder block, 4 heads, key dim 64).
 * Tokens: t_0 = e We + be (the identity token) and t_j = c_j Uc_j + Pc_j for each context
 * component j (its own learned direction scaled by its value, plus a learned type vector).
 * One pre-norm encoder block:
 *   H = X + MH(LN1(X)),  MH = [head_1 .. head_h] Wo,  head_i = softmax(Q_i K_i^T / sqrt(dk)) V_i
 *   Y = H + FFN(LN2(H)), FFN = relu(. W1 + b1) W2 + b2
 * The identity token's output corrects the embedding: fused = L2(e + Y_0 Wout). Wout starts tiny
 * (std 1e-4), so untrained fusion is the plain embedding to about 1e-3, and the fused vector keeps
 * the embedding's dimension (galleries and thresholds stay comparable).
 */
export interface TransformerConfig {
  kind: 'transformer';
  embeddingDim: number;
  contextDim: number;
  /** Token width. */
  modelDim: number;
  heads: number;
  /** Per-head query/key/value width (the paper: 64). */
  keyDim: number;
  /** Hidden width of the feed-forward layer. */
  ffnDim: number;
}

export function transformerShapes(cfg: TransformerConfig): Record<string, number[]> {
  const { embeddingDim: D, contextDim: C, modelDim: m, heads: h, keyDim: k, ffnDim: f } = cfg;
  return {
    We: [D, m], be: [m], Uc: [C, m], Pc: [C, m],
    ln1g: [m], ln1b: [m], Wq: [m, h * k], Wk: [m, h * k], Wv: [m, h * k], Wo: [h * k, m],
    ln2g: [m], ln2b: [m], W1: [m, f], b1: [f], W2: [f, m], b2: [m],
    Wout: [m, D],
  };
}

export function initTransformer(cfg: TransformerConfig, rng: Rng): Weights {
  const { embeddingDim: D, contextDim: C, modelDim: m, heads: h, keyDim: k, ffnDim: f } = cfg;
  return {
    We: glorotNormal(rng, D, m), be: tf.zeros([m]),
    Uc: normalInit(rng, [C, m], 1), Pc: normalInit(rng, [C, m], 0.1),
    ln1g: tf.ones([m]), ln1b: tf.zeros([m]),
    Wq: glorotNormal(rng, m, h * k), Wk: glorotNormal(rng, m, h * k), Wv: glorotNormal(rng, m, h * k), Wo: glorotNormal(rng, h * k, m),
    ln2g: tf.ones([m]), ln2b: tf.zeros([m]),
    W1: glorotNormal(rng, m, f), b1: tf.zeros([f]), W2: glorotNormal(rng, f, m), b2: tf.zeros([m]),
    Wout: normalInit(rng, [m, D], 1e-4),
  };
}

export interface TransformerOutput {
  fused: tf.Tensor2D;
  /** Per-head attention matrices [n, heads, T, T], T = 1 + C tokens (token 0 is the embedding). */
  attention: tf.Tensor4D;
}

export function transformerFusion(cfg: TransformerConfig, w: Weights, e: tf.Tensor2D, c: tf.Tensor2D): TransformerOutput {
  checkInputs('transformer', e, c, cfg.embeddingDim, cfg.contextDim);
  const { modelDim: m, heads: h, keyDim: k, contextDim: C } = cfg;
  const n = e.shape[0];
  const T = C + 1;
  return tf.tidy(() => {
    const t0 = tf.reshape(tf.add(tf.matMul(e, w.We as tf.Tensor2D), w.be), [n, 1, m]);
    const tc = tf.add(tf.mul(tf.reshape(c, [n, C, 1]), w.Uc), w.Pc); // [n, C, m]
    const x = tf.concat([t0, tc], 1); // [n, T, m]

    const a = layerNorm(x, w.ln1g, w.ln1b);
    const heads = (proj: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(dense(a, proj), [n, T, h, k]), [0, 2, 1, 3]), [n * h, T, k]) as tf.Tensor3D;
    const q = heads(w.Wq);
    const kk = heads(w.Wk);
    const v = heads(w.Wv);
    const probs = tf.softmax(tf.div(tf.matMul(q, kk, false, true), Math.sqrt(k)), -1) as tf.Tensor3D; // [n*h, T, T]
    const ctx = tf.reshape(tf.transpose(tf.reshape(tf.matMul(probs, v), [n, h, T, k]), [0, 2, 1, 3]), [n, T, h * k]);
    const hid = tf.add(x, dense(ctx, w.Wo));

    // Only the identity token's output is read, so the feed-forward runs on token 0 alone.
    const h0 = tf.reshape(tf.slice(hid, [0, 0, 0], [n, 1, m]), [n, m]);
    const y0 = tf.add(h0, dense(tf.relu(dense(layerNorm(h0, w.ln2g, w.ln2b), w.W1, w.b1)), w.W2, w.b2));
    const fused = l2Normalize(tf.add(e, tf.matMul(y0 as tf.Tensor2D, w.Wout as tf.Tensor2D)) as tf.Tensor2D);
    return { fused, attention: tf.reshape(probs, [n, h, T, T]) as tf.Tensor4D };
  });
}
