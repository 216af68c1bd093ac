import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { AdamW } from './adamw.js';
import { tripletBatches } from './data.js';
import { Rng } from '../util/rng.js';
import { defaultMilestones, EarlyStopping, stepDecay } from './schedule.js';
import { mineSemiHard, pairwiseSquaredDistances, tripletLoss, tripletSemiHardLoss } from './triplet.js';
import { bestThresholdAccuracy } from './loop.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('rng', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 20 }, () => a.uniform());
    expect(Array.from({ length: 20 }, () => b.uniform())).toEqual(xa);
    expect(Array.from({ length: 20 }, () => c.uniform())).not.toEqual(xa);
    expect(xa.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws normals with mean 0 and std 1', () => {
    const x = new Rng(7).normalArray(20000, 1);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
  });

  it('shuffles into a permutation', () => {
    const p = new Rng(3).shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

/** Brute-force reference of the mining rule, written independently of the tensor version. */
function referenceTriplet(x: number[][], labels: number[], margin: number): { loss: number; pairs: number; active: number } {
  const d = (i: number, j: number) => x[i].reduce((s, v, k) => s + (v - x[j][k]) ** 2, 0);
  let sum = 0;
  let pairs = 0;
  let active = 0;
  for (let a = 0; a < x.length; a++) {
    const negs = x.map((_, i) => i).filter((i) => labels[i] !== labels[a]);
    if (!negs.length) continue;
    for (let p = 0; p < x.length; p++) {
      if (p === a || labels[p] !== labels[a]) continue;
      const dap = d(a, p);
      const dn = negs.map((i) => d(a, i));
      const semi = dn.filter((v) => v > dap && v < dap + margin);
      const hard = dn.filter((v) => v <= dap);
      const chosen = semi.length ? Math.min(...semi) : hard.length ? Math.max(...hard) : Math.min(...dn);
      const h = Math.max(0, dap - chosen + margin);
      sum += h;
      pairs++;
      if (h > 0) active++;
    }
  }
  return { loss: sum / pairs, pairs, active };
}

describe('triplet loss with semi-hard mining', () => {
  it('matches a hand-worked case', async () => {
    // Points on a line; squared distances 0-1 .09, 0-2 .16, 0-3 1, 1-2 .01, 1-3 .49, 2-3 .36.
    // (0,1): semi-hard 2 (.16 in (.09, .29)) -> .09-.16+.2 = .13;
    // (1,0): no semi-hard (.49 is beyond the margin), easiest hard 2 -> .09-.01+.2 = .28;
    // (2,3): no semi-hard, easiest hard 0 -> .36-.16+.2 = .4; (3,2): semi-hard 1 -> .36-.49+.2 = .07.
    const x = tf.tensor2d([[0], [0.3], [0.4], [1]]);
    const r = await tripletSemiHardLoss(x, [0, 0, 1, 1], 0.2);
    expect(r.pairs).toBe(4);
    expect(r.active).toBe(4);
    expect(r.loss.dataSync()[0]).toBeCloseTo((0.13 + 0.28 + 0.4 + 0.07) / 4, 5);
    tf.dispose([x, r.loss]);
  });

  it('matches a brute-force reference on random batches', async () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 5; trial++) {
      const n = 12;
      const labels = Array.from({ length: n }, () => rng.int(4));
      const rows = Array.from({ length: n }, () => {
        const v = Array.from({ length: 6 }, () => rng.normal());
        const norm = Math.hypot(...v);
        return v.map((u) => u / norm);
      });
      const ref = referenceTriplet(rows, labels, 0.2);
      const x = tf.tensor2d(rows);
      const r = await tripletSemiHardLoss(x, labels, 0.2);
      expect(r.pairs).toBe(ref.pairs);
      expect(r.active).toBe(ref.active);
      expect(r.loss.dataSync()[0]).toBeCloseTo(ref.loss, 5);
      tf.dispose([x, r.loss]);
    }
  });

  it('is zero without valid pairs and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const r = await tripletSemiHardLoss(x, [0, 1, 2]);
    expect(r.pairs).toBe(0);
    expect(r.loss.dataSync()[0]).toBe(0);
    tf.dispose([x, r.loss]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives gradients only through the chosen distances', async () => {
    const x = tf.variable(tf.tensor2d([[0], [0.3], [0.4], [1]]));
    const mined = await mineSemiHard(x, [0, 0, 1, 1], 0.2);
    const g = tf.variableGrads(() => tripletLoss(x, mined, 0.2), [x]);
    // d/dx of mean hinge: pairs (0,1) n=2, (1,0) n=2, (2,3) n=0, (3,2) n=1, each / 4.
    const expected = [0, 0, 0, 0];
    const add = (i: number, j: number, s: number) => {
      const xs = [0, 0.3, 0.4, 1];
      expected[i] += (s * 2 * (xs[i] - xs[j])) / 4;
      expected[j] -= (s * 2 * (xs[i] - xs[j])) / 4;
    };
    add(0, 1, 1); add(0, 2, -1); add(1, 0, 1); add(1, 2, -1); add(2, 3, 1); add(2, 0, -1); add(3, 2, 1); add(3, 1, -1);
    const got = Array.from(g.grads[x.name].dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    tf.dispose([x, g.value, ...Object.values(g.grads)]);
  });

  it('pairwise distances are squared Euclidean', () => {
    const x = tf.tensor2d([[0, 0], [3, 4]]);
    const d = pairwiseSquaredDistances(x);
    expect(Array.from(d.dataSync())).toEqual([0, 25, 25, 0]);
    tf.dispose([x, d]);
  });
});

describe('AdamW', () => {
  it('takes the bias-corrected step plus decoupled decay', () => {
    const theta = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW({ lr: 1e-3, weightDecay: 0.1 });
    const g = tf.tensor1d([0.5, 0.5]);
    opt.step({ theta }, { theta: g });
    // step 1: m_hat = g, v_hat = g^2, update = sign(g); theta = theta (1 - lr wd) - lr.
    const v = theta.dataSync();
    expect(v[0]).toBeCloseTo(1 * (1 - 1e-4) - 1e-3, 7);
    expect(v[1]).toBeCloseTo(-2 * (1 - 1e-4) - 1e-3, 6);
    opt.step({ theta }, { theta: g }, 0.1); // schedule multiplier scales both terms
    const w = theta.dataSync();
    expect(w[0]).toBeCloseTo(v[0] * (1 - 1e-5) - 1e-4, 7);
    tf.dispose([theta, g]);
    opt.dispose();
  });

  it('minimises a quadratic', () => {
    const x = tf.variable(tf.tensor1d([3, -4]));
    const opt = new AdamW({ lr: 0.1, weightDecay: 0 });
    for (let i = 0; i < 300; i++) {
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.sub(x, tf.tensor1d([1, 2])))) as tf.Scalar, [x]);
      opt.step({ x }, { x: grads[x.name] });
      tf.dispose(grads);
    }
    const v = x.dataSync();
    expect(v[0]).toBeCloseTo(1, 2);
    expect(v[1]).toBeCloseTo(2, 2);
    x.dispose();
    opt.dispose();
  });
});

describe('schedule and early stopping', () => {
  it('decays x0.1 at the milestones', () => {
    const ms = [40, 60, 80];
    expect(stepDecay(0, ms)).toBe(1);
    expect(stepDecay(39, ms)).toBe(1);
    expect(stepDecay(40, ms)).toBeCloseTo(0.1, 12);
    expect(stepDecay(79, ms)).toBeCloseTo(0.01, 12);
    expect(stepDecay(99, ms)).toBeCloseTo(0.001, 12);
    expect(defaultMilestones(100)).toEqual([40, 60, 80]);
    expect(defaultMilestones(10)).toEqual([4, 6, 8]);
  });

  it('stops after patience epochs without improvement and keeps the best epoch', () => {
    const s = new EarlyStopping(2, 0.01);
    const losses = [1, 0.8, 0.795, 0.7, 0.71, 0.705];
    const stops = losses.map((l, e) => (s.update(e, l), s.shouldStop));
    expect(s.bestEpoch).toBe(3);
    expect(stops).toEqual([false, false, false, false, false, true]);
  });
});

describe('triplet batches', () => {
  it('covers every multi-image row once, with two or more identities per batch', () => {
    const labels = Int32Array.from([0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 3, 4, 4, 5]);
    const batches = tripletBatches(labels, 6, 3, new Rng(1));
    const all = batches.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 14 }, (_, i) => i));
    for (const b of batches) expect(new Set(b.map((i) => labels[i])).size).toBeGreaterThanOrEqual(2);
    expect(tripletBatches(labels, 6, 3, new Rng(1))).toEqual(batches);
  });
});

describe('best-threshold accuracy', () => {
  it('handles separable, tied and inseparable scores', () => {
    expect(bestThresholdAccuracy([0.9, 0.8, 0.2, 0.1], [true, true, false, false])).toBe(1);
    expect(bestThresholdAccuracy([0.5, 0.5, 0.5, 0.5], [true, false, true, false])).toBe(0.5);
    expect(bestThresholdAccuracy([0.9, 0.7, 0.8, 0.1], [true, true, false, false])).toBe(0.75);
  });
});
