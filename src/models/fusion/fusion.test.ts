import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../runtime/backend.js';
import { Rng } from '../../util/rng.js';
import { defaultFusionConfig, FUSION_KINDS, fusedDim, initFusion, runFusion, type AttentionConfig, type TransformerConfig } from '.';

beforeAll(async () => {
  await initBackend('cpu');
});

const D = 24;
const C = 12;

function unitRows(rng: Rng, n: number, dim: number): number[][] {
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: dim }, () => rng.normal());
    const s = Math.hypot(...v);
    return v.map((x) => x / s);
  });
}
const contextRows = (rng: Rng, n: number) => Array.from({ length: n }, () => Array.from({ length: C }, () => rng.range(-1, 1)));
const arr = (t: tf.Tensor) => Array.from(t.dataSync());
const mat = (t: tf.Tensor): number[][] => t.arraySync() as number[][];
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const softmax = (x: number[]) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const matvec = (v: number[], w: number[][]) => w[0].map((_, j) => v.reduce((s, x, i) => s + x * w[i][j], 0));
const l2 = (v: number[]) => {
  const s = Math.hypot(...v);
  return v.map((x) => x / s);
};
const layerNorm = (v: number[], g: number[], b: number[]) => {
  const m = v.reduce((a, c) => a + c, 0) / v.length;
  const va = v.reduce((a, c) => a + (c - m) ** 2, 0) / v.length;
  return v.map((x, i) => ((x - m) / Math.sqrt(va + 1e-5)) * g[i] + b[i]);
};

describe('fusion modules', () => {
  for (const kind of FUSION_KINDS) {
    it(`${kind}: unit-length output of the documented width, no leaks`, () => {
      const rng = new Rng(1);
      const cfg = defaultFusionConfig(kind, D, C);
      const w = initFusion(cfg, rng);
      const before = tf.memory().numTensors;
      const e = tf.tensor2d(unitRows(rng, 5, D));
      const c = tf.tensor2d(contextRows(rng, 5));
      const r = runFusion(cfg, w, e, c);
      expect(r.fused.shape).toEqual([5, fusedDim(cfg)]);
      for (const row of mat(r.fused)) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
      tf.dispose([e, c, r.fused, r.weights]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(Object.values(w));
    });

    it(`${kind}: untrained, it scores pairs like the plain embedding`, () => {
      const rng = new Rng(2);
      const cfg = defaultFusionConfig(kind, D, C);
      const w = initFusion(cfg, rng);
      const rows = unitRows(rng, 40, D);
      const r = runFusion(cfg, w, tf.tensor2d(rows), tf.tensor2d(contextRows(rng, 40)));
      const f = mat(r.fused);
      let worst = 0;
      for (let i = 0; i < 40; i += 2) worst = Math.max(worst, Math.abs(dot(f[i], f[i + 1]) - dot(rows[i], rows[i + 1])));
      expect(worst).toBeLessThan(0.01);
      tf.dispose([r.fused, r.weights, ...Object.values(w)]);
    });
  }

  it('attention: matches a loop implementation of Eq. 8-10, weights sum to 1', () => {
    const rng = new Rng(3);
    const cfg = defaultFusionConfig('attention', D, C) as AttentionConfig;
    const w = initFusion(cfg, rng);
    // Larger value weights so the context path is visible in the comparison.
    w.Wv.dispose();
    w.Wv = tf.tensor2d(rng.normalArray(C * cfg.valueDim, 0.5), [C, cfg.valueDim]);
    const e = unitRows(rng, 3, D);
    const c = contextRows(rng, 3);
    const r = runFusion(cfg, w, tf.tensor2d(e), tf.tensor2d(c));
    const [Wq, bq, Uk, Bk, Wv] = ['Wq', 'bq', 'Uk', 'Bk', 'Wv'].map((k) => w[k].arraySync()) as [number[][], number[], number[][], number[][], number[][]];
    const gotA = mat(r.weights);
    const gotF = mat(r.fused);
    for (let i = 0; i < 3; i++) {
      const q = matvec(e[i], Wq).map((v, j) => v + bq[j]);
      const scores = c[i].map((cj, j) => dot(q, Uk[j].map((u, t) => cj * u + Bk[j][t])) / Math.sqrt(cfg.attnDim));
      const A = softmax(scores);
      const out = Wv[0].map((_, t) => A.reduce((s, a, j) => s + a * c[i][j] * Wv[j][t], 0));
      const fused = l2([...e[i], ...out]);
      A.forEach((a, j) => expect(gotA[i][j]).toBeCloseTo(a, 5));
      fused.forEach((v, j) => expect(gotF[i][j]).toBeCloseTo(v, 5));
      expect(gotA[i].reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    }
    tf.dispose([r.fused, r.weights, ...Object.values(w)]);
  });

  it('transformer: matches a loop implementation of the encoder block', () => {
    const rng = new Rng(4);
    const cfg = defaultFusionConfig('transformer', D, C) as TransformerConfig;
    const w = initFusion(cfg, rng);
    w.Wout.dispose();
    w.Wout = tf.tensor2d(rng.normalArray(cfg.modelDim * D, 0.2), [cfg.modelDim, D]);
    w.b1.dispose();
    w.b1 = tf.tensor1d(rng.normalArray(cfg.ffnDim, 0.1));
    const e = unitRows(rng, 2, D);
    const c = contextRows(rng, 2);
    const r = runFusion(cfg, w, tf.tensor2d(e), tf.tensor2d(c));
    const W = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, t.arraySync()])) as Record<string, any>;
    const { heads: h, keyDim: k } = cfg;
    const gotF = mat(r.fused);
    const gotA = r.weights.arraySync() as number[][][][];
    expect(r.weights.shape).toEqual([2, h, C + 1, C + 1]);
    for (let i = 0; i < 2; i++) {
      const x = [matvec(e[i], W.We).map((v, j) => v + W.be[j]), ...c[i].map((cj, j) => W.Uc[j].map((u: number, t: number) => cj * u + W.Pc[j][t]))];
      const a = x.map((t) => layerNorm(t, W.ln1g, W.ln1b));
      const Q = a.map((t) => matvec(t, W.Wq));
      const K = a.map((t) => matvec(t, W.Wk));
      const V = a.map((t) => matvec(t, W.Wv));
      const concat0: number[] = [];
      for (let hd = 0; hd < h; hd++) {
        const sl = (v: number[]) => v.slice(hd * k, (hd + 1) * k);
        for (let qi = 0; qi < C + 1; qi++) {
          const p = softmax(K.map((kk) => dot(sl(Q[qi]), sl(kk)) / Math.sqrt(k)));
          p.forEach((pv, j) => expect(gotA[i][hd][qi][j]).toBeCloseTo(pv, 4));
          if (qi === 0) for (let t = 0; t < k; t++) concat0.push(p.reduce((s, pv, j) => s + pv * sl(V[j])[t], 0));
        }
      }
      const h0 = matvec(concat0, W.Wo).map((v, j) => v + x[0][j]);
      const ff = matvec(matvec(layerNorm(h0, W.ln2g, W.ln2b), W.W1).map((v, j) => Math.max(0, v + W.b1[j])), W.W2).map((v, j) => v + W.b2[j]);
      const y0 = h0.map((v, j) => v + ff[j]);
      const fused = l2(e[i].map((v, j) => v + matvec(y0, W.Wout)[j]));
      fused.forEach((v, j) => expect(gotF[i][j]).toBeCloseTo(v, 4));
    }
    tf.dispose([r.fused, r.weights, ...Object.values(w)]);
  });

  it('concat: is [e, c W] normalised', () => {
    const rng = new Rng(5);
    const cfg = defaultFusionConfig('concat', D, C);
    const w = initFusion(cfg, rng);
    const e = unitRows(rng, 2, D);
    const c = contextRows(rng, 2);
    const r = runFusion(cfg, w, tf.tensor2d(e), tf.tensor2d(c));
    const W = w.W.arraySync() as number[][];
    mat(r.fused).forEach((row, i) => l2([...e[i], ...matvec(c[i], W)]).forEach((v, j) => expect(row[j]).toBeCloseTo(v, 5)));
    expect(r.weights.shape).toEqual([C]);
    expect(arr(r.weights).every((v) => v > 0)).toBe(true);
    tf.dispose([r.fused, r.weights, ...Object.values(w)]);
  });

  it('rejects mismatched inputs', () => {
    const cfg = defaultFusionConfig('attention', D, C);
    const w = initFusion(cfg, new Rng(1));
    expect(() => runFusion(cfg, w, tf.zeros([2, D]) as tf.Tensor2D, tf.zeros([3, C]) as tf.Tensor2D)).toThrow(/2 embeddings but 3/);
    expect(() => runFusion(cfg, w, tf.zeros([2, D + 1]) as tf.Tensor2D, tf.zeros([2, C]) as tf.Tensor2D)).toThrow(/must be \[n, 24\]/);
    tf.dispose(Object.values(w));
  });
});
