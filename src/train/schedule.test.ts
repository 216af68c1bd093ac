import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { MASKED_CONTEXT_DIM, MASKED_DIM, maskedEmbeddings } from '../../test/fixtures/masked-embeddings.js';
import { defaultFusionConfig, initFusion } from '../models/fusion/index.js';
import { initBackend } from '../runtime/backend.js';
import { defaultTrainOptions, trainModule } from './loop.js';
import { fusionModule } from './module.js';
import { Rng } from '../util/rng.js';
import { defaultMilestones, EarlyStopping, NO_IMPROVEMENT, stepDecay, trainingVerdict } from './schedule.js';

/** The learning-rate multiplier of each 0-based epoch of a run with the default milestones. */
const rates = (epochs: number) => Array.from({ length: epochs }, (_, e) => stepDecay(e, defaultMilestones(epochs)));
const decays = (epochs: number) => rates(epochs).filter((r, e, a) => e > 0 && r < a[e - 1]).length;

describe('step decay scaled to the epochs', () => {
  it('a 3-epoch run decays at most once and never before epoch 2 (the bug: 1e-3, 1e-4, 1e-5)', () => {
    expect(defaultMilestones(3)).toEqual([2]);
    expect(rates(3).map((r) => +r.toFixed(6))).toEqual([1, 1, 0.1]);
    expect(decays(3)).toBeLessThanOrEqual(1);
  });

  it('never decays in the first two epochs, nor more than once per two epochs', () => {
    for (let epochs = 1; epochs <= 200; epochs++) {
      const ms = defaultMilestones(epochs);
      const r = rates(epochs);
      expect(r[0]).toBe(1);
      if (epochs > 1) expect(r[1]).toBe(1);
      expect(ms.length).toBeLessThanOrEqual(Math.floor(epochs / 2));
      expect(ms.length).toBeLessThanOrEqual(3);
      expect([...ms].sort((a, b) => a - b)).toEqual(ms);
      expect(new Set(ms).size).toBe(ms.length);
      for (const m of ms) expect(m).toBeGreaterThanOrEqual(2);
      for (const m of ms) expect(m).toBeLessThan(epochs);
    }
    expect(defaultMilestones(1)).toEqual([]);
    expect(defaultMilestones(2)).toEqual([]);
  });

  it('keeps 40/60/80% of the run where there is room (and the shipped runs unchanged: 4, 12, 30 epochs)', () => {
    expect(defaultMilestones(4)).toEqual([2, 3]);
    expect(defaultMilestones(5)).toEqual([2, 3]);
    expect(defaultMilestones(10)).toEqual([4, 6, 8]);
    expect(defaultMilestones(12)).toEqual([5, 7, 10]);
    expect(defaultMilestones(30)).toEqual([12, 18, 24]);
    expect(defaultMilestones(100)).toEqual([40, 60, 80]);
  });
});

describe('the verdict on a training run', () => {
  it('best epoch -1 (the untrained start, validated before the first step) is no improvement', () => {
    const v = trainingVerdict(-1, 3);
    expect(v.improved).toBe(false);
    expect(v.message).toContain(NO_IMPROVEMENT);
    expect(trainingVerdict(undefined, 3).improved).toBe(false);
  });

  it('a later best epoch is an improvement, named 1-based', () => {
    expect(trainingVerdict(0, 3)).toEqual({ improved: true, message: 'best epoch 1 of 3 on validation' });
    expect(trainingVerdict(2, 5).message).toBe('best epoch 3 of 5 on validation');
  });

  it('early stopping that never beats the initial loss leaves best epoch -1 (as trainModule reports it)', () => {
    const s = new EarlyStopping(8);
    s.update(-1, 0.5); // the untrained module's validation loss
    for (const [e, l] of [0.52, 0.55, 0.5].entries()) s.update(e, l);
    expect(s.bestEpoch).toBe(-1);
    expect(trainingVerdict(s.bestEpoch, 3).improved).toBe(false);
  });
});

describe('untrained is best, from a real training run', () => {
  it('a run that cannot move the weights (lr 0) reports best epoch -1, which the verdict calls no improvement', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const cfg = defaultFusionConfig('concat', MASKED_DIM, MASKED_CONTEXT_DIM);
    const module = fusionModule(cfg, initFusion(cfg, new Rng(1)));
    const opts = { ...defaultTrainOptions(3, 1), batchSize: 24, perIdentity: 4, lr: 0, weightDecay: 0 };
    expect(opts.milestones).toEqual([2]);
    const r = await trainModule(module, maskedEmbeddings(11, 16, 6), maskedEmbeddings(12, 8, 6), opts);
    module.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(r.logs.map((l) => l.lr)).toEqual([0, 0, 0]);
    for (const l of r.logs) expect(l.valLoss).toBeCloseTo(r.initial.valLoss!, 6);
    expect(r.bestEpoch).toBe(-1);
    const v = trainingVerdict(r.bestEpoch, r.logs.length, r.initial.valLoss !== undefined);
    expect(v.improved).toBe(false);
    expect(v.message).toMatch(/^no improvement over the untrained module/);
  });
});
