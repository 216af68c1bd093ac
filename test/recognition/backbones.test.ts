import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignFaces, alignParams } from '../../nodes/align/index.js';
import { embedFaces } from '../../nodes/mobilefacenet/embed.js';
import type { DetectionsValue, FacesValue } from '../../src/graph/values.js';
import { createNodeIO, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { decodeWeights, loadDlibResNet } from '../../src/models/dlib/index.js';
import { buildMobileFaceNetGraph, loadMobileFaceNet, MobileFaceNet } from '../../src/models/mobilefacenet/index.js';
import { detectFaces, loadMtcnn } from '../../src/models/mtcnn/index.js';
import { readTFLite } from '../../src/models/tflite/reader.js';
import { MODEL_ASSETS } from '../../src/models/weights.js';
import { initBackend } from '../../src/runtime/backend.js';
import { dot } from '../../src/eval/similarity.js';
import { runTFLiteReference } from './tflite-reference.js';

const io = createNodeIO();
beforeAll(async () => {
  await initBackend('wasm');
});

describe('MobileFaceNet', () => {
  it('matches a literal op-by-op run of the TFLite graph (PReLU fused, OHWI -> HWIO)', async () => {
    const model = readTFLite(await io.readPackageAsset(MODEL_ASSETS.mobilefacenet.packagePath));
    const graph = buildMobileFaceNetGraph(model);
    expect(graph.steps.filter((s) => s.kind === 'conv' && s.alpha).length).toBe(33);
    expect(graph.tapName).toMatch(/Conv2d_7\/add$/);
    const before = tf.memory().numTensors;
    const net = new MobileFaceNet(graph);
    const x = tf.randomUniform([2, 112, 112, 3], 0, 255, 'float32', 7) as tf.Tensor4D;
    const out = net.forward(x);
    const ref = tf.tidy(() => {
      const v = runTFLiteReference(model, tf.div(tf.sub(x, 127.5), 128));
      return [v.get(model.outputs[0])!.clone(), v.get(graph.tap)!.clone()];
    });
    const [e, r, f, rf] = await Promise.all([out.embeddings.data(), ref[0].data(), out.featureMap.data(), ref[1].data()]);
    const maxRef = Math.max(...Array.from(r, Math.abs));
    const maxErr = Math.max(...Array.from(e, (v, i) => Math.abs(v - r[i])));
    expect(out.featureMap.shape).toEqual([2, 7, 7, 512]);
    expect(maxErr / maxRef).toBeLessThan(1e-4);
    expect(Math.max(...Array.from(f, (v, i) => Math.abs(v - rf[i])))).toBeLessThan(1e-3);
    tf.dispose([x, out.embeddings, out.featureMap, ...ref]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('dlib ResNet weights', () => {
  it('dequantizes uint8 entries with scale/min and reads float32 ones as they are', () => {
    const bin = new Uint8Array(2 + 4);
    new DataView(bin.buffer).setFloat32(2, 1.5, true);
    bin.set([0, 255]);
    const w = decodeWeights({ paths: ['x.bin'], weights: [
      { name: 'q', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
      { name: 'f', shape: [1], dtype: 'float32' },
    ] }, bin);
    expect(Array.from(w.get('q')!.values)).toEqual([-1, 126.5]);
    expect(Array.from(w.get('f')!.values)).toEqual([1.5]);
    expect(() => decodeWeights({ paths: [], weights: [{ name: 'f', shape: [3], dtype: 'float32' }] }, bin)).toThrow(/runs past the end/);
  });
});

/** Faces of face-api's demo photo, aligned both ways, plus each face mirrored (same person, different pixels). */
async function sampleFaces(template: 'arcface-112' | 'dlib-150'): Promise<FacesValue> {
  const file = resolvePackageAsset('@vladmandic/face-api/demo/sample1.jpg');
  const img = await io.decodeImage(new Uint8Array(await readFile(file)), 'sample1.jpg');
  const r = await detectFaces(await loadMtcnn(io), img);
  const det: DetectionsValue = { imageWidth: img.width, imageHeight: img.height, boxes: r.faces.map((f) => f.box), scores: r.faces.map((f) => f.score), landmarks: r.faces.map((f) => f.landmarks) };
  const faces = alignFaces(img, det, alignParams.parse({ template }));
  const s = faces.size;
  const mirrored = new Uint8Array(faces.data.length);
  for (let n = 0; n < faces.count; n++) for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) for (let k = 0; k < 3; k++) {
    mirrored[((n * s + y) * s + x) * 3 + k] = faces.data[((n * s + y) * s + (s - 1 - x)) * 3 + k];
  }
  const data = new Uint8Array(faces.data.length * 2);
  data.set(faces.data);
  data.set(mirrored, faces.data.length);
  return { ...faces, count: faces.count * 2, data, fallback: [...faces.fallback, ...faces.fallback] };
}

/** Each face's similarity to its own mirror image must beat its similarity to every other face. */
function expectMirrorBeatsOthers(data: Float32Array, dim: number, n: number) {
  const row = (i: number) => data.subarray(i * dim, (i + 1) * dim);
  for (let i = 0; i < n; i++) {
    expect(dot(row(i), row(i)), 'unit norm').toBeCloseTo(1, 4);
    const self = dot(row(i), row(n + i));
    for (let j = 0; j < n; j++) if (j !== i) expect(self).toBeGreaterThan(dot(row(i), row(j)));
  }
}

describe('embeddings on real faces', () => {
  it('MobileFaceNet: a face is closer to its mirror image than to any other face', async () => {
    const faces = await sampleFaces('arcface-112');
    expect(faces.count).toBeGreaterThanOrEqual(6);
    const net = await loadMobileFaceNet(io);
    const before = tf.memory().numTensors;
    const { embeddings, features } = await embedFaces(faces, 'mobilefacenet', 112, 192, (x) => net.forward(x), { layer: net.tapName, keep: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(features?.shape).toEqual([faces.count, 7, 7, 512]);
    expectMirrorBeatsOthers(embeddings.data, 192, faces.count / 2);
  });

  it('test-time flip: the sum of a face\'s and its mirror\'s raw embeddings, renormalised', async () => {
    const faces = await sampleFaces('arcface-112');
    const n = faces.count / 2; // the second half mirrors the first
    const net = await loadMobileFaceNet(io);
    const first: FacesValue = { ...faces, count: n, data: faces.data.subarray(0, faces.data.length / 2), fallback: faces.fallback.slice(0, n) };
    const flipped = await embedFaces(first, 'mobilefacenet', 112, 192, (x) => net.forward(x), { layer: net.tapName, keep: true }, true);
    expect(flipped.features?.shape).toEqual([n, 7, 7, 512]);
    const raw = tf.tidy(() => net.forward(tf.tensor4d(Float32Array.from(faces.data), [2 * n, 112, 112, 3])).embeddings);
    const r = (await raw.data()) as Float32Array;
    raw.dispose();
    for (let i = 0; i < n; i++) {
      const sum = Array.from({ length: 192 }, (_, k) => r[i * 192 + k] + r[(n + i) * 192 + k]);
      const norm = Math.hypot(...sum);
      for (let k = 0; k < 192; k += 37) expect(flipped.embeddings.data[i * 192 + k]).toBeCloseTo(sum[k] / norm, 4);
    }
  });

  it('dlib ResNet: a face is closer to its mirror image than to any other face', async () => {
    const faces = await sampleFaces('dlib-150');
    const net = await loadDlibResNet(io);
    const { embeddings, features } = await embedFaces(faces, 'dlib-resnet', 150, 128, (x) => net.forward(x, 'conv256_2'), { layer: 'conv256_2', keep: true });
    expect(features?.shape).toEqual([faces.count, 4, 4, 256]);
    expectMirrorBeatsOthers(embeddings.data, 128, faces.count / 2);
  });
});
