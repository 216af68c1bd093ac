import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { buildMobileFaceNetGraph, MobileFaceNet } from '../../src/models/mobilefacenet/index.js';
import { SimdMobileFaceNet } from '../../src/models/mobilefacenet/simd-net.js';
import { readTFLite } from '../../src/models/tflite/reader.js';
import { MODEL_ASSETS, readPinnedAsset } from '../../src/models/weights.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';

/** The SIMD engine of MobileFaceNet against the same layers as tfjs ops (the GPU backends' engine). */

const rng = new Rng(11);

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('MobileFaceNet on SIMD kernels', () => {
  it('gives the tfjs ops\' embeddings, 7x7 map and mid-network maps, over a batch larger than one chunk, leaking nothing', async () => {
    const graph = buildMobileFaceNetGraph(readTFLite(await readPinnedAsset(createNodeIO(), MODEL_ASSETS.mobilefacenet), 'MobileFaceNet.tflite'));
    const ops = new MobileFaceNet(graph);
    const simd = new MobileFaceNet(graph, await SimdMobileFaceNet.compile(graph));
    const n = 11; // passes of 2 faces and a last one of 1
    const x = tf.tensor4d(Float32Array.from({ length: n * 112 * 112 * 3 }, () => rng.uniform() * 255), [n, 112, 112, 3]);
    const before = tf.memory().numTensors;
    const a = ops.forward(x), b = simd.forward(x);
    expect(b.embeddings.shape).toEqual([n, graph.embeddingSize]);
    expect(b.featureMap.shape).toEqual(a.featureMap.shape);
    expect(relError(await b.embeddings.data(), await a.embeddings.data())).toBeLessThan(1e-4);
    expect(relError(await b.featureMap.data(), await a.featureMap.data())).toBeLessThan(1e-4);
    // the output of the 28x28 stage (a residual add), as the fine-tuned student's front gives it
    const mid = graph.steps.filter((s) => s.kind === 'add')[1].output;
    const [ma, mb] = tf.tidy(() => [ops.forwardTo(x, mid), simd.forwardTo(x, mid)]);
    expect(mb.shape).toEqual(ma.shape);
    expect(relError(await mb.data(), await ma.data())).toBeLessThan(1e-4);
    tf.dispose([a.embeddings, a.featureMap, b.embeddings, b.featureMap, ma, mb]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    ops.dispose();
    simd.dispose();
  });

  it('refuses a tensor the net does not have', async () => {
    const graph = buildMobileFaceNetGraph(readTFLite(await readPinnedAsset(createNodeIO(), MODEL_ASSETS.mobilefacenet), 'MobileFaceNet.tflite'));
    const simd = await SimdMobileFaceNet.compile(graph);
    expect(() => simd.shapeOf(123456)).toThrow('MobileFaceNet: no tensor 123456');
  });
});
