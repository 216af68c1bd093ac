import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeIO } from '../../io/nodejs-io.js';
import { initBackend } from '../../runtime/backend.js';
import { Rng } from '../../util/rng.js';
import { loadMobileFaceNet } from '../mobilefacenet/index.js';
import { applyGate, defaultGateConfig, initGate } from './gate.js';
import { loadMobileFaceNetTail } from './mobilefacenet-tail.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('MobileFaceNet tail after the gate', () => {
  it('tail(tap) equals the full network, and the untrained gate keeps it so', async () => {
    const io = createNodeIO();
    const [net, tail] = await Promise.all([loadMobileFaceNet(io), loadMobileFaceNetTail(io)]);
    expect(tail.tapShape).toEqual([7, 7, 512]);
    const x = tf.tensor4d(Float32Array.from(new Rng(1).normalArray(2 * 112 * 112 * 3, 40), (v) => Math.min(255, Math.max(0, 128 + v))), [2, 112, 112, 3]);
    const before = tf.memory().numTensors;
    const { embeddings, featureMap } = net.forward(x);
    const viaTail = tail.run(featureMap);
    const cfg = defaultGateConfig(512);
    const w = initGate(cfg);
    const gated = applyGate(cfg, w, featureMap);
    const viaGate = tail.run(gated.features);
    const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    const scale = tf.tidy(() => tf.max(tf.abs(embeddings)).dataSync()[0]);
    expect(maxAbs(viaTail, embeddings) / scale).toBeLessThan(1e-5);
    expect(maxAbs(viaGate, embeddings) / scale).toBeLessThan(1e-5);
    tf.dispose([embeddings, featureMap, viaTail, gated.features, gated.weightMap, viaGate, ...Object.values(w)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('passes gradients from the embedding back to the gate on wasm', async () => {
    const tail = await loadMobileFaceNetTail(createNodeIO());
    const cfg = defaultGateConfig(512);
    const init = initGate(cfg);
    const w = { kernel: tf.variable(init.kernel), bias: tf.variable(init.bias) };
    const x = tf.tensor4d(new Rng(3).normalArray(2 * 7 * 7 * 512, 1), [2, 7, 7, 512]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tail.run(applyGate(cfg, w, x).features))) as tf.Scalar, [w.kernel, w.bias]);
    const gk = grads[w.kernel.name].dataSync();
    expect(gk.some((v) => v !== 0)).toBe(true);
    expect(Number.isFinite(grads[w.bias.name].dataSync()[0])).toBe(true);
    tf.dispose([x, value, ...Object.values(grads), w.kernel, w.bias, ...Object.values(init)]);
  });
});
