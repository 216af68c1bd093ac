import type { FusionConfig } from './index.js';

/**
 * Inference of the fusion modules in plain float32 loops, for the nodes. A fusion is a few
 * hundred thousand multiply-adds per face, far less than what tfjs spends dispatching its
 * 10-40 small ops one by one (about 0.1 ms each on wasm here), so per-face inference runs
 * these loops; training keeps the tfjs version (it needs gradients). The two agree to float
 * rounding (tested in fast.test.ts).
 */
export type HostWeights = Record<string, Float32Array>;

export interface FastFusionResult {
  /** [n, fusedDim], unit rows. */
  fused: Float32Array;
  /** Display weights, laid out as the tfjs version returns them. */
  weights: Float32Array;
  weightsShape: number[];
}

/** y[outOff + j] (+)= sum_i x[xOff + i] W[i, j] (+ b[j]); W row-major [inDim, outDim]. */
function vecMat(x: ArrayLike<number>, xOff: number, inDim: number, W: Float32Array, outDim: number, y: Float32Array, yOff: number, b?: Float32Array): void {
  for (let j = 0; j < outDim; j++) y[yOff + j] = b ? b[j] : 0;
  for (let i = 0; i < inDim; i++) {
    const xi = x[xOff + i];
    if (xi === 0) continue;
    const row = i * outDim;
    for (let j = 0; j < outDim; j++) y[yOff + j] += xi * W[row + j];
  }
}

function normalizeInto(parts: [ArrayLike<number>, number, number][], out: Float32Array, off: number): void {
  let s = 0;
  for (const [a, o, len] of parts) for (let i = 0; i < len; i++) s += a[o + i] * a[o + i];
  const inv = 1 / Math.sqrt(Math.max(s, 1e-12));
  let k = off;
  for (const [a, o, len] of parts) for (let i = 0; i < len; i++) out[k++] = a[o + i] * inv;
}

function softmaxInPlace(x: Float32Array, off: number, len: number): void {
  let m = -Infinity;
  for (let i = 0; i < len; i++) m = Math.max(m, x[off + i]);
  let s = 0;
  for (let i = 0; i < len; i++) s += (x[off + i] = Math.exp(x[off + i] - m));
  for (let i = 0; i < len; i++) x[off + i] /= s;
}

function layerNormInto(x: Float32Array, off: number, len: number, g: Float32Array, b: Float32Array, out: Float32Array, outOff: number): void {
  let mean = 0;
  for (let i = 0; i < len; i++) mean += x[off + i];
  mean /= len;
  let v = 0;
  for (let i = 0; i < len; i++) v += (x[off + i] - mean) ** 2;
  const inv = 1 / Math.sqrt(v / len + 1e-5);
  for (let i = 0; i < len; i++) out[outOff + i] = (x[off + i] - mean) * inv * g[i] + b[i];
}

export function fastFusion(cfg: FusionConfig, w: HostWeights, e: Float32Array, c: Float32Array, n: number): FastFusionResult {
  const D = cfg.embeddingDim;
  const C = cfg.contextDim;
  if (e.length !== n * D || c.length !== n * C) throw new Error(`${cfg.kind} fusion: expected ${n} x ${D} embeddings and ${n} x ${C} context values`);
  switch (cfg.kind) {
    case 'concat': {
      const P = cfg.projDim;
      const fused = new Float32Array(n * (D + P));
      const proj = new Float32Array(P);
      for (let r = 0; r < n; r++) {
        vecMat(c, r * C, C, w.W, P, proj, 0);
        normalizeInto([[e, r * D, D], [proj, 0, P]], fused, r * (D + P));
      }
      const weights = new Float32Array(C);
      for (let j = 0; j < C; j++) {
        let s = 0;
        for (let t = 0; t < P; t++) s += Math.abs(w.W[j * P + t]);
        weights[j] = s / P;
      }
      return { fused, weights, weightsShape: [C] };
    }
    case 'attention': {
      const { attnDim: d, valueDim: dv } = cfg;
      const fused = new Float32Array(n * (D + dv));
      const att = new Float32Array(n * C);
      const q = new Float32Array(d);
      const out = new Float32Array(dv);
      const ac = new Float32Array(C);
      const scale = 1 / Math.sqrt(d);
      for (let r = 0; r < n; r++) {
        vecMat(e, r * D, D, w.Wq, d, q, 0, w.bq);
        for (let j = 0; j < C; j++) {
          let qu = 0;
          let qb = 0;
          for (let t = 0; t < d; t++) {
            qu += q[t] * w.Uk[j * d + t];
            qb += q[t] * w.Bk[j * d + t];
          }
          att[r * C + j] = (c[r * C + j] * qu + qb) * scale;
        }
        softmaxInPlace(att, r * C, C);
        for (let j = 0; j < C; j++) ac[j] = att[r * C + j] * c[r * C + j];
        vecMat(ac, 0, C, w.Wv, dv, out, 0);
        normalizeInto([[e, r * D, D], [out, 0, dv]], fused, r * (D + dv));
      }
      return { fused, weights: att, weightsShape: [n, C] };
    }
    case 'transformer': {
      const { modelDim: m, heads: h, keyDim: k, ffnDim: f } = cfg;
      const pre = prepared(cfg, w);
      const T = C + 1;
      const hk = h * k;
      const fused = new Float32Array(n * D);
      const att = new Float32Array(n * h * T * T);
      const x0 = new Float32Array(m);
      const a0 = new Float32Array(m);
      const Q = new Float32Array(T * hk);
      const K = new Float32Array(T * hk);
      const V = new Float32Array(T * hk);
      const ctx0 = new Float32Array(hk);
      const h0 = new Float32Array(m);
      const ln = new Float32Array(m);
      const hid = new Float32Array(f);
      const ff = new Float32Array(m);
      const corr = new Float32Array(D);
      const scale = 1 / Math.sqrt(k);
      for (let r = 0; r < n; r++) {
        // Token 0 (the embedding): full projections.
        vecMat(e, r * D, D, w.We, m, x0, 0, w.be);
        layerNormInto(x0, 0, m, w.ln1g, w.ln1b, a0, 0);
        vecMat(a0, 0, m, w.Wq, hk, Q, 0);
        vecMat(a0, 0, m, w.Wk, hk, K, 0);
        vecMat(a0, 0, m, w.Wv, hk, V, 0);
        // Context tokens: closed form from the precomputed per-component directions.
        for (let j = 0; j < C; j++) {
          const cj = c[r * C + j];
          const inv = 1 / Math.sqrt(cj * cj * pre.uu[j] + 2 * cj * pre.up[j] + pre.pp[j] + 1e-5);
          const o = (j + 1) * hk;
          for (let t = 0; t < hk; t++) {
            Q[o + t] = inv * (cj * pre.qA[j * hk + t] + pre.qB[j * hk + t]) + pre.qBias[t];
            K[o + t] = inv * (cj * pre.kA[j * hk + t] + pre.kB[j * hk + t]) + pre.kBias[t];
            V[o + t] = inv * (cj * pre.vA[j * hk + t] + pre.vB[j * hk + t]) + pre.vBias[t];
          }
        }
        for (let hd = 0; hd < h; hd++) {
          const base = ((r * h + hd) * T) * T;
          for (let qi = 0; qi < T; qi++) {
            for (let kj = 0; kj < T; kj++) {
              let s = 0;
              const qo = qi * hk + hd * k;
              const ko = kj * hk + hd * k;
              for (let t = 0; t < k; t++) s += Q[qo + t] * K[ko + t];
              att[base + qi * T + kj] = s * scale;
            }
            softmaxInPlace(att, base + qi * T, T);
          }
          // Only the embedding token's output feeds the fused vector.
          for (let t = 0; t < k; t++) ctx0[hd * k + t] = 0;
          for (let kj = 0; kj < T; kj++) {
            const p = att[base + kj];
            const vo = kj * hk + hd * k;
            for (let t = 0; t < k; t++) ctx0[hd * k + t] += p * V[vo + t];
          }
        }
        vecMat(ctx0, 0, hk, w.Wo, m, h0, 0);
        for (let t = 0; t < m; t++) h0[t] += x0[t];
        layerNormInto(h0, 0, m, w.ln2g, w.ln2b, ln, 0);
        vecMat(ln, 0, m, w.W1, f, hid, 0, w.b1);
        for (let t = 0; t < f; t++) if (hid[t] < 0) hid[t] = 0;
        vecMat(hid, 0, f, w.W2, m, ff, 0, w.b2);
        for (let t = 0; t < m; t++) h0[t] += ff[t];
        vecMat(h0, 0, m, w.Wout, D, corr, 0);
        for (let t = 0; t < D; t++) corr[t] += e[r * D + t];
        normalizeInto([[corr, 0, D]], fused, r * D);
      }
      return { fused, weights: att, weightsShape: [n, h, T, T] };
    }
  }
}

/**
 * A context token is x = c U + P (c a scalar), so its layer norm has a closed form: with U~, P~
 * the centred U, P, LN(x) = (c U~ + P~) g / sqrt(c^2 uu + 2 c up + pp + eps) + b, where uu, up, pp
 * are the mean products of U~ and P~. Its projections are then (c A + B) / sqrt(...) + b W with
 * A = (U~ g) W and B = (P~ g) W precomputed once per weight set: 3 x 256 multiply-adds per token
 * instead of 3 x 64 x 256.
 */
interface Prepared {
  uu: Float32Array; up: Float32Array; pp: Float32Array;
  qA: Float32Array; qB: Float32Array; qBias: Float32Array;
  kA: Float32Array; kB: Float32Array; kBias: Float32Array;
  vA: Float32Array; vB: Float32Array; vBias: Float32Array;
}

const preparedCache = new WeakMap<HostWeights, Prepared>();

function prepared(cfg: Extract<FusionConfig, { kind: 'transformer' }>, w: HostWeights): Prepared {
  const hit = preparedCache.get(w);
  if (hit) return hit;
  const { modelDim: m, heads: h, keyDim: k, contextDim: C } = cfg;
  const hk = h * k;
  const uu = new Float32Array(C);
  const up = new Float32Array(C);
  const pp = new Float32Array(C);
  const ug = new Float32Array(C * m);
  const pg = new Float32Array(C * m);
  for (let j = 0; j < C; j++) {
    let mu = 0;
    let mp = 0;
    for (let t = 0; t < m; t++) {
      mu += w.Uc[j * m + t];
      mp += w.Pc[j * m + t];
    }
    mu /= m;
    mp /= m;
    for (let t = 0; t < m; t++) {
      const u = w.Uc[j * m + t] - mu;
      const p = w.Pc[j * m + t] - mp;
      uu[j] += (u * u) / m;
      up[j] += (u * p) / m;
      pp[j] += (p * p) / m;
      ug[j * m + t] = u * w.ln1g[t];
      pg[j * m + t] = p * w.ln1g[t];
    }
  }
  const project = (W: Float32Array) => {
    const A = new Float32Array(C * hk);
    const B = new Float32Array(C * hk);
    const bias = new Float32Array(hk);
    for (let j = 0; j < C; j++) {
      vecMat(ug, j * m, m, W, hk, A, j * hk);
      vecMat(pg, j * m, m, W, hk, B, j * hk);
    }
    vecMat(w.ln1b, 0, m, W, hk, bias, 0);
    return [A, B, bias];
  };
  const [qA, qB, qBias] = project(w.Wq);
  const [kA, kB, kBias] = project(w.Wk);
  const [vA, vB, vBias] = project(w.Wv);
  const out = { uu, up, pp, qA, qB, qBias, kA, kB, kBias, vA, vB, vBias };
  preparedCache.set(w, out);
  return out;
}
