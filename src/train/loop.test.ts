import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultFusionConfig, initFusion, runFusion, type FusionConfig } from '../models/fusion/index.js';
import { applyGate, defaultGateConfig, initGate } from '../models/gate/gate.js';
import { initBackend } from '../runtime/backend.js';
import type { CachedDataset } from './data.js';
import { defaultTrainOptions, embedAll, trainModule, type TrainOptions } from './loop.js';
import { fusionModule, gatedFusionModule, gateModule } from './module.js';
import { MASKED_CONTEXT_DIM, MASKED_DIM, maskedEmbeddings } from '../../test/fixtures/masked-embeddings.js';
import { Rng } from '../util/rng.js';
import { mineSemiHard, tripletLoss } from './triplet.js';
import { loadWeightsFiles, saveWeightsFiles } from '../io/weights-file-nodejs.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const D = MASKED_DIM;
const C = MASKED_CONTEXT_DIM;

function opts(seed: number, epochs: number, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { ...defaultTrainOptions(epochs, seed), batchSize: 24, perIdentity: 4, lr: 3e-3, patience: 100, ...extra };
}

async function runFusionTraining(cfg: FusionConfig, seed: number, epochs: number, initSeed = seed) {
  const module = fusionModule(cfg, initFusion(cfg, new Rng(initSeed)));
  const result = await trainModule(module, maskedEmbeddings(11, 16, 6), maskedEmbeddings(12, 8, 6), opts(seed, epochs));
  return { module, result };
}

describe('training loop', () => {
  it('is reproducible for a seed, differs for another, and leaks no tensors', async () => {
    const cfg = defaultFusionConfig('attention', D, C);
    const before = tf.memory().numTensors;
    const a = await runFusionTraining(cfg, 5, 3);
    a.module.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const b = await runFusionTraining(cfg, 5, 3);
    b.module.dispose();
    const c = await runFusionTraining(cfg, 6, 3);
    c.module.dispose();
    const curve = (r: typeof a) => r.result.logs.flatMap((l) => [l.trainLoss, l.valLoss!]);
    expect(curve(a)).toHaveLength(6);
    curve(b).forEach((v, i) => expect(v).toBeCloseTo(curve(a)[i], 6));
    expect(curve(c).some((v, i) => Math.abs(v - curve(a)[i]) > 1e-4)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('transformer fusion learns to undo a context-flagged shift', async () => {
    const cfg = defaultFusionConfig('transformer', D, C);
    const { module, result } = await runFusionTraining(cfg, 3, 12);
    const best = Math.min(...result.logs.map((l) => l.valLoss!));
    expect(result.initial.valLoss!).toBeGreaterThan(0.05);
    expect(best).toBeLessThan(0.5 * result.initial.valLoss!);
    expect(result.logs[result.logs.length - 1].trainLoss).toBeLessThan(result.logs[0].trainLoss);
    module.dispose();
  });

  it('with the consistency term, masked rows move towards their clean twins and clean rows stay put', async () => {
    // Odd rows are the masked twins of the even rows before them (their "clean version").
    const withTwins = (d: CachedDataset): CachedDataset => ({ ...d, cleanRow: Int32Array.from(d.labels, (_, r) => r - (r % 2)) });
    const train = withTwins(maskedEmbeddings(11, 16, 6));
    const val = withTwins(maskedEmbeddings(12, 8, 6));
    const cfg = defaultFusionConfig('transformer', D, C);
    const outputs = async (consistency: number) => {
      const module = fusionModule(cfg, initFusion(cfg, new Rng(3)));
      const before = (await embedAll(module, val)).data;
      await trainModule(module, train, val, opts(3, 12, { consistency }));
      const after = (await embedAll(module, val)).data;
      module.dispose();
      return { before, after };
    };
    const cos = (a: Float32Array, i: number, b: Float32Array, j: number) => a.subarray(i * D, (i + 1) * D).reduce((s, x, k) => s + x * b[j * D + k], 0);
    const mean = (f: (r: number) => number, odd: boolean) => {
      const rows = Array.from(val.labels, (_, r) => r).filter((r) => r % 2 === (odd ? 1 : 0));
      return rows.reduce((s, r) => s + f(r), 0) / rows.length;
    };
    const plain = await outputs(0);
    const held = await outputs(1);
    const towardsTwin = (o: { before: Float32Array; after: Float32Array }) => mean((r) => cos(o.after, r, o.before, r - 1), true);
    expect(towardsTwin(held)).toBeGreaterThan(towardsTwin(plain));
    expect(towardsTwin(held)).toBeGreaterThan(mean((r) => cos(held.before, r, held.before, r - 1), true) + 0.1);
    // Clean rows drift less from the pass-through output than with triplet loss alone.
    const cleanKept = (o: { before: Float32Array; after: Float32Array }) => mean((r) => cos(o.after, r, o.before, r), false);
    expect(cleanKept(held)).toBeGreaterThan(0.96);
    expect(cleanKept(held)).toBeGreaterThan(cleanKept(plain) + 0.02);
  });

  it('stops early when validation loss stalls and restores the best weights', async () => {
    const cfg = defaultFusionConfig('concat', D, C);
    const module = fusionModule(cfg, initFusion(cfg, new Rng(1)));
    const val = maskedEmbeddings(12, 8, 6);
    const r = await trainModule(module, maskedEmbeddings(11, 16, 6), val, opts(1, 40, { patience: 2, lr: 0.05 }));
    expect(r.stoppedEarly).toBe(true);
    expect(r.logs.length).toBeLessThan(40);
    const { evaluateLoss } = await import('./loop.js');
    const { tripletBatches } = await import('./data.js');
    const vb = tripletBatches(val.labels, 24, 4, new Rng(1).fork(7919));
    const bestLoss = r.bestEpoch >= 0 ? r.logs[r.bestEpoch].valLoss! : r.initial.valLoss!;
    expect(await evaluateLoss(module, val, vb, 0.2)).toBeCloseTo(bestLoss, 5);
    module.dispose();
  });
});

describe('attention gate training', () => {
  /**
   * 4x4x6 maps: every clean position holds the identity's pattern (channels 0-4); occluded
   * positions (the bottom half of every other image) hold noise plus a large value in channel 5.
   * The tail is a fixed global average pool and projection (a frozen backbone's end).
   */
  function maps(seed: number, ids: number, perId: number): CachedDataset {
    const rng = new Rng(seed);
    const n = ids * perId;
    const labels = new Int32Array(n);
    const data = new Float32Array(n * 96);
    for (let id = 0; id < ids; id++) {
      const p = Array.from({ length: 5 }, () => rng.normal());
      for (let k = 0; k < perId; k++) {
        const r = id * perId + k;
        labels[r] = id;
        for (let y = 0; y < 4; y++) {
          for (let x = 0; x < 4; x++) {
            const o = r * 96 + (y * 4 + x) * 6;
            const occluded = k % 2 === 1 && y >= 2;
            for (let ch = 0; ch < 5; ch++) data[o + ch] = occluded ? 2 * rng.normal() : p[ch] + 0.2 * rng.normal();
            data[o + 5] = occluded ? 3 : 0;
          }
        }
      }
    }
    return { labels, featureMaps: { data, shape: [4, 4, 6] } };
  }

  it('learns to suppress occluded positions', async () => {
    const proj = tf.tensor2d(new Rng(99).normalArray(6 * 8, 1), [6, 8]);
    const tail = (f: tf.Tensor4D) => tf.matMul(tf.mean(f, [1, 2]) as tf.Tensor2D, proj) as tf.Tensor2D;
    const cfg = defaultGateConfig(6);
    const module = gateModule(cfg, initGate(cfg), tail);
    const train = maps(1, 16, 4);
    const r = await trainModule(module, train, maps(2, 8, 4), opts(4, 15, { batchSize: 16, lr: 0.05, milestones: [10] }));
    const best = Math.min(...r.logs.map((l) => l.valLoss!));
    expect(best).toBeLessThan(0.7 * r.initial.valLoss!);
    const probe = maps(3, 1, 2);
    const x = tf.tensor4d(probe.featureMaps!.data, [2, 4, 4, 6]);
    const { features, weightMap } = applyGate(cfg, module.variables, x);
    const wm = weightMap.arraySync() as number[][][][];
    const occludedMean = (wm[1][2][0][0] + wm[1][3][3][0]) / 2;
    const cleanMean = (wm[1][0][0][0] + wm[0][3][3][0]) / 2;
    expect(occludedMean).toBeLessThan(cleanMean - 0.3);
    tf.dispose([x, features, weightMap, proj]);
    module.dispose();
  });
});

describe('gate and fusion together', () => {
  it('feeds the gated embedding to the fusion and trains both variable sets', async () => {
    const proj = tf.tensor2d(new Rng(5).normalArray(6 * D, 0.5), [6, D]);
    const gcfg = defaultGateConfig(6);
    const gate = gateModule(gcfg, initGate(gcfg), (f) => tf.matMul(tf.mean(f, [1, 2]) as tf.Tensor2D, proj) as tf.Tensor2D);
    const fcfg = defaultFusionConfig('attention', D, C);
    const both = gatedFusionModule(gate, fusionModule(fcfg, initFusion(fcfg, new Rng(2))));
    expect(Object.keys(both.variables).sort()).toEqual(['fusion/Bk', 'fusion/Uk', 'fusion/Wq', 'fusion/Wv', 'fusion/bq', 'gate/bias', 'gate/kernel']);
    const batch = { featureMaps: tf.tensor4d(new Rng(6).normalArray(8 * 96, 1), [8, 4, 4, 6]), context: tf.tensor2d(new Rng(7).normalArray(8 * C, 0.5), [8, C]) };
    const list = Object.values(both.variables);
    const y = both.forward(batch);
    const mined = await mineSemiHard(y, [0, 0, 1, 1, 2, 2, 3, 3], 2);
    y.dispose();
    const { value, grads } = tf.variableGrads(() => tripletLoss(both.forward(batch), mined, 2), list);
    const out = both.forward(batch);
    expect(out.shape).toEqual([8, D + 32]);
    out.dispose();
    for (const name of ['gate/kernel', 'fusion/Wv']) expect(grads[both.variables[name].name].dataSync().some((v) => v !== 0)).toBe(true);
    tf.dispose([value, ...Object.values(grads), batch.featureMaps, batch.context, proj]);
    both.dispose();
  });
});

describe('weights files', () => {
  it('round-trip through model.json-style manifest + .bin and give the same fusion', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ff-w-'));
    try {
      const cfg = defaultFusionConfig('transformer', D, C);
      const w = initFusion(cfg, new Rng(8));
      const path = await saveWeightsFiles(dir, 'fusion-transformer', 'fusion-transformer', cfg, w, { seed: 8 });
      const loaded = await loadWeightsFiles(path);
      expect(loaded.kind).toBe('fusion-transformer');
      expect(loaded.config).toEqual(cfg);
      expect(loaded.training).toEqual({ seed: 8 });
      const e = tf.tensor2d(new Rng(1).normalArray(3 * D, 0.3), [3, D]);
      const c = tf.tensor2d(new Rng(2).normalArray(3 * C, 0.5), [3, C]);
      const a = runFusion(cfg, w, e, c);
      const b = runFusion(loaded.config as FusionConfig, loaded.weights, e, c);
      expect(Array.from(b.fused.dataSync())).toEqual(Array.from(a.fused.dataSync()));
      tf.dispose([e, c, a.fused, a.weights, b.fused, b.weights, ...Object.values(w), ...Object.values(loaded.weights)]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
