import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../runtime/backend.js';
import { Rng } from '../../util/rng.js';
import { applyGate, defaultGateConfig, initGate } from './gate.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('attention gate', () => {
  it('passes features through untouched before training, with a uniform weight map', () => {
    const cfg = defaultGateConfig(512);
    const w = initGate(cfg);
    const x = tf.tensor4d(new Rng(1).normalArray(2 * 7 * 7 * 512, 5), [2, 7, 7, 512]);
    const before = tf.memory().numTensors;
    const { features, weightMap } = applyGate(cfg, w, x);
    expect(weightMap.shape).toEqual([2, 7, 7, 1]);
    const maxDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(features, x))).dataSync()[0]);
    expect(maxDiff).toBeLessThan(1e-3);
    const map = weightMap.dataSync();
    expect(Math.min(...map)).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(Math.max(...map)).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    tf.dispose([features, weightMap]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, ...Object.values(w)]);
  });

  it('is a 1x1 conv + sigmoid per position, multiplied into every channel', () => {
    const cfg = defaultGateConfig(3);
    const kernel = [0.5, -1, 2];
    const w = { kernel: tf.tensor4d(kernel, [1, 1, 3, 1]), bias: tf.tensor1d([0.25]) };
    const vals = new Rng(2).normalArray(2 * 2 * 3, 1);
    const x = tf.tensor4d(vals, [1, 2, 2, 3]);
    const { features, weightMap } = applyGate(cfg, w, x);
    const f = features.dataSync();
    const m = weightMap.dataSync();
    const s0 = 1 / (1 + Math.exp(-3));
    for (let p = 0; p < 4; p++) {
      const z = 0.25 + kernel.reduce((s, k, c) => s + k * vals[p * 3 + c], 0);
      const a = 1 / (1 + Math.exp(-z));
      expect(m[p]).toBeCloseTo(a, 5);
      for (let c = 0; c < 3; c++) expect(f[p * 3 + c]).toBeCloseTo((vals[p * 3 + c] * a) / s0, 5);
    }
    tf.dispose([x, features, weightMap, ...Object.values(w)]);
  });

  it('rejects a map with the wrong channel count', () => {
    const cfg = defaultGateConfig(8);
    const w = initGate(cfg);
    expect(() => applyGate(cfg, w, tf.zeros([1, 7, 7, 4]) as tf.Tensor4D)).toThrow(/\[n, h, w, 8\]/);
    tf.dispose(Object.values(w));
  });
});
