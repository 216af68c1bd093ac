import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../runtime/backend.js';
import { Rng } from '../../util/rng.js';
import { defaultFusionConfig, FUSION_KINDS, initFusion, runFusion } from '.';
import { fastFusion } from './fast.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('plain-loop fusion inference', () => {
  for (const kind of FUSION_KINDS) {
    it(`${kind}: equals the tfjs module (weights scaled up so every path matters)`, () => {
      const rng = new Rng(11);
      const cfg = defaultFusionConfig(kind, 192, 12);
      const init = initFusion(cfg, rng);
      const w = Object.fromEntries(Object.entries(init).map(([k, t]) => [k, tf.tidy(() => tf.add(t, tf.randomNormal(t.shape, 0, 0.1, 'float32', 3)))]));
      tf.dispose(Object.values(init));
      const n = 5;
      const e = rng.normalArray(n * 192, 0.07);
      const c = rng.normalArray(n * 12, 0.5);
      const ref = runFusion(cfg, w, tf.tensor2d(e, [n, 192]), tf.tensor2d(c, [n, 12]));
      const host = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, t.dataSync() as Float32Array]));
      const got = fastFusion(cfg, host, e, c, n);
      expect(got.weightsShape).toEqual(ref.weights.shape);
      const rf = ref.fused.dataSync();
      const rw = ref.weights.dataSync();
      expect(got.fused.length).toBe(rf.length);
      let worst = 0;
      got.fused.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - rf[i]))));
      got.weights.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - rw[i]))));
      expect(worst).toBeLessThan(2e-5);
      tf.dispose([ref.fused, ref.weights, ...Object.values(w)]);
    });
  }
});
