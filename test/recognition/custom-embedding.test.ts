import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alignFaces, alignParams } from '../../nodes/align/index.js';
import { customEmbeddingNode } from '../../nodes/custom-embedding/index.js';
import { disposeCustomModels } from '../../nodes/custom-embedding/load.js';
import { mobileFaceNetNode } from '../../nodes/mobilefacenet/index.js';
import type { KernelContext } from '../../src/graph/node-definition.js';
import type { EmbeddingsValue, FacesValue } from '../../src/graph/values.js';
import { presetRunPolicy, setFileAccessPolicy } from '../../src/io/file-policy-nodejs.js';
import { createNodeIO, decodeImageNode, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { heldModelTensors } from '../../src/models/held-tensors.js';
import { MODEL_ASSETS } from '../../src/models/weights.js';
import { initBackend } from '../../src/runtime/backend.js';
import { faceflow, repoRoot } from '../faceflow-cli.js';

const io = createNodeIO();
const ctx = { nodeId: 'embed', signal: new AbortController().signal, backend: 'wasm', io, progress() {}, report() {} } as KernelContext;
const TFLITE = resolvePackageAsset(MODEL_ASSETS.mobilefacenet.packagePath);
let dir: string;
let faces: FacesValue;

const params = (p: Record<string, unknown>) => customEmbeddingNode.params.parse(p);
async function embed(p: Record<string, unknown>, f = faces): Promise<EmbeddingsValue> {
  return ((await customEmbeddingNode.kernel({ faces: f }, params(p), ctx)) as { embeddings: EmbeddingsValue }).embeddings;
}
const maxAbsDiff = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

beforeAll(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-custom-'));
  // two real crops: the centre of a demo photo, and a square of it on the arcface-112 template
  const image = await decodeImageNode(await readFile(path.join(repoRoot, 'node_modules/@vladmandic/face-api/demo/sample1.jpg')), 'sample1.jpg');
  const a = alignFaces(image, undefined, alignParams.parse({ mode: 'center', cropFraction: 0.6 }));
  const b = alignFaces(image, undefined, alignParams.parse({ mode: 'center', cropFraction: 0.3 }));
  faces = { ...a, count: 2, data: Uint8Array.from([...a.data, ...b.data]), transforms: [...a.transforms, ...b.transforms], boxes: [...a.boxes, ...b.boxes], fallback: [false, false], template: 'arcface-112' };
});

afterAll(async () => {
  setFileAccessPolicy({});
  await disposeCustomModels();
  await rm(dir, { recursive: true, force: true });
});

/** A small LayersModel saved by tfjs itself (model.json + weights .bin, the format tfjs-converter writes for Keras models). */
async function saveLayersModel(folder: string): Promise<tf.LayersModel> {
  const m = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 6, kernelSize: 3, activation: 'relu', name: 'c1' }),
    tf.layers.globalAveragePooling2d({ name: 'gap' }),
    tf.layers.dense({ units: 5, name: 'emb' }),
  ] });
  await mkdir(folder, { recursive: true });
  await m.save(tf.io.withSaveHandler(async (art) => {
    const weightData = art.weightData as ArrayBuffer;
    await writeFile(path.join(folder, 'weights.bin'), new Uint8Array(weightData));
    await writeFile(path.join(folder, 'model.json'), JSON.stringify({
      format: 'layers-model', modelTopology: art.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return m;
}

/** A GraphModel in the converter's format: input -> Conv2D 3x3x3x4 -> Relu -> two outputs (Mean over H, W; Sigmoid). */
async function writeGraphModel(folder: string, w: Float32Array, binPath = 'group1-shard1of1.bin'): Promise<void> {
  const f = (t: string) => ({ type: t });
  const nodes = [
    { name: 'input', op: 'Placeholder', attr: { dtype: f('DT_FLOAT'), shape: { shape: { dim: [{ size: '-1' }, { size: '8' }, { size: '8' }, { size: '3' }] } } } },
    { name: 'w', op: 'Const', attr: { dtype: f('DT_FLOAT'), value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '3' }, { size: '3' }, { size: '3' }, { size: '4' }] } } } } },
    { name: 'axes', op: 'Const', attr: { dtype: f('DT_INT32'), value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: '2' }] } } } } },
    { name: 'conv', op: 'Conv2D', input: ['input', 'w'], attr: { T: f('DT_FLOAT'), strides: { list: { i: ['1', '1', '1', '1'] } }, padding: { s: btoa('SAME') }, data_format: { s: btoa('NHWC') }, dilations: { list: { i: ['1', '1', '1', '1'] } } } },
    { name: 'relu', op: 'Relu', input: ['conv'], attr: { T: f('DT_FLOAT') } },
    { name: 'emb', op: 'Mean', input: ['relu', 'axes'], attr: { T: f('DT_FLOAT'), Tidx: f('DT_INT32'), keep_dims: { b: false } } },
    { name: 'gate', op: 'Sigmoid', input: ['relu'], attr: { T: f('DT_FLOAT') } },
  ];
  await mkdir(folder, { recursive: true });
  const bin = new Uint8Array(w.byteLength + 8);
  bin.set(new Uint8Array(w.buffer), 0);
  new Int32Array(bin.buffer, w.byteLength, 2).set([1, 2]);
  await writeFile(path.join(folder, 'group1-shard1of1.bin'), bin);
  await writeFile(path.join(folder, 'model.json'), JSON.stringify({
    format: 'graph-model', generatedBy: 'test', convertedBy: 'test', modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
    weightsManifest: [{ paths: [binPath], weights: [{ name: 'w', shape: [3, 3, 3, 4], dtype: 'float32' }, { name: 'axes', shape: [2], dtype: 'int32' }] }],
  }));
}

describe('custom-embedding node (your own backbone)', () => {
  it('runs a TFLite file op by op through the project\'s reader: MobileFaceNet.tflite as a user model gives the pinned node\'s embeddings', async () => {
    const own = await embed({ model: TFLITE, flip: true });
    const pinned = ((await mobileFaceNetNode.kernel({ faces }, mobileFaceNetNode.params.parse({ tap: false, flip: true }), ctx)) as { embeddings: EmbeddingsValue }).embeddings;
    expect(own.dim).toBe(192);
    expect(own.count).toBe(2);
    expect(own.model).toBe('custom:MobileFaceNet.tflite');
    expect(maxAbsDiff(own.data, pinned.data)).toBeLessThan(1e-4);
    // the two crops differ, and the embeddings are unit vectors
    const dot = Array.from(own.data.subarray(0, 192), (v, i) => v * own.data[192 + i]).reduce((s, v) => s + v, 0);
    expect(dot).toBeLessThan(0.99);
    expect(Math.hypot(...own.data.subarray(0, 192))).toBeCloseTo(1, 5);
  });

  it('loads a tfjs LayersModel (model.json + .bin) from a path and gives the model\'s own output, normalised as asked', async () => {
    const folder = path.join(dir, 'layers');
    const m = await saveLayersModel(folder);
    const f16 = { ...faces, size: 16, data: new Uint8Array(2 * 16 * 16 * 3).map((_, i) => (i * 37) % 256) };
    const before = tf.memory().numTensors - heldModelTensors();
    const own = await embed({ model: path.join(folder, 'model.json'), mean: [0, 0, 0], std: [255, 255, 255] }, f16);
    expect(tf.memory().numTensors - heldModelTensors()).toBe(before); // weights counted as held, nothing leaked
    const want = tf.tidy(() => {
      const y = m.predict(tf.div(tf.tensor4d(Float32Array.from(f16.data), [2, 16, 16, 3]), 255)) as tf.Tensor2D;
      return tf.div(y, tf.norm(y, 'euclidean', 1, true));
    });
    expect(own.dim).toBe(5);
    expect(maxAbsDiff(own.data, want.dataSync() as Float32Array)).toBeLessThan(1e-5);
    want.dispose();
    m.dispose();
  });

  it('reads a model.json and its .bin from an http URL (size-capped fetch) and gives what the same files give from disk', async () => {
    const folder = path.join(dir, 'served');
    const m = await saveLayersModel(folder);
    m.dispose();
    const server = http.createServer(async (req, res) => {
      const file = path.join(folder, path.basename(req.url ?? ''));
      const body = await readFile(file).catch(() => undefined);
      res.writeHead(body ? 200 : 404, { 'content-length': body?.length ?? 0 }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
      const f16 = { ...faces, size: 16, data: new Uint8Array(2 * 16 * 16 * 3).map((_, i) => (i * 53) % 256) };
      const viaUrl = await embed({ model: `${base}model.json` }, f16);
      const viaDisk = await embed({ model: path.join(folder, 'model.json') }, f16);
      expect(viaUrl.model).toBe('custom:model.json');
      expect(maxAbsDiff(viaUrl.data, viaDisk.data)).toBe(0);
      await expect(embed({ model: `${base}missing.json` }, f16)).rejects.toThrow(/missing\.json: HTTP 404/);
    } finally {
      server.close();
    }
  });

  it('loads a tfjs GraphModel, picks the named output, and says which outputs there are when it is not named', async () => {
    const folder = path.join(dir, 'graph');
    const w = Float32Array.from({ length: 108 }, (_, i) => Math.sin(i));
    await writeGraphModel(folder, w);
    const f8 = { ...faces, size: 8, data: new Uint8Array(2 * 8 * 8 * 3).map((_, i) => (i * 11) % 256) };
    const model = path.join(folder, 'model.json');
    await expect(embed({ model }, f8)).rejects.toThrow(/has 2 outputs \((emb, gate|gate, emb)\); name the embedding with the "output" param/);
    await expect(embed({ model, output: 'nope' }, f8)).rejects.toThrow(/no output "nope"/);
    const own = await embed({ model, output: 'emb', channels: 'bgr' }, f8);
    const want = tf.tidy(() => {
      const x = tf.div(tf.sub(tf.reverse(tf.tensor4d(Float32Array.from(f8.data), [2, 8, 8, 3]), 3), 127.5), 128) as tf.Tensor4D;
      const y = tf.mean(tf.relu(tf.conv2d(x, tf.tensor4d(w, [3, 3, 3, 4]), 1, 'same')), [1, 2]);
      return tf.div(y, tf.norm(y, 'euclidean', 1, true));
    });
    expect(own.dim).toBe(4);
    expect(maxAbsDiff(own.data, want.dataSync() as Float32Array)).toBeLessThan(1e-5);
    want.dispose();
  });

  it('refuses in one line: no model, a .bin outside the model\'s folder, a file outside the allowed folders, another alignment', async () => {
    await expect(embed({ model: '' })).rejects.toThrow(/no model: set the "model" param/);
    const evil = path.join(dir, 'evil');
    await writeGraphModel(evil, new Float32Array(108), '../graph/group1-shard1of1.bin');
    await expect(embed({ model: path.join(evil, 'model.json'), output: 'emb' })).rejects.toThrow(/names a data file outside its own folder/);
    await writeGraphModel(path.join(dir, 'outside'), new Float32Array(108));
    setFileAccessPolicy(presetRunPolicy({ presetFile: path.join(dir, 'layers', 'preset.json') }));
    try {
      await expect(embed({ model: path.join(dir, 'outside', 'model.json'), output: 'emb' })).rejects.toThrow(/refused: outside the folders a preset may read/);
    } finally {
      setFileAccessPolicy({});
    }
    await expect(embed({ model: TFLITE, template: 'dlib-150' })).rejects.toThrow(/aligned on "arcface-112", the model expects "dlib-150"/);
    await expect(embed({ model: TFLITE, inputSize: 96 })).rejects.toThrow(/inputSize 96, but the model's input is 112x112/);
  });

  it('runs in the CLI: a preset with the node and the model named by --param (faceflow run on two photos)', async () => {
    const preset = path.join(dir, 'own.json');
    await writeFile(preset, JSON.stringify({
      schema: 'faceflow/pipeline', version: 2, name: 'own backbone',
      nodes: [
        { id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
        { id: 'align', type: 'align', params: { mode: 'center', cropFraction: 0.6 }, position: { x: 200, y: 0 } },
        { id: 'embed', type: 'custom-embedding', params: { model: 'models/none.tflite' }, position: { x: 400, y: 0 } },
      ],
      edges: [
        { from: { node: 'input', port: 'image' }, to: { node: 'align', port: 'image' } },
        { from: { node: 'align', port: 'faces' }, to: { node: 'embed', port: 'faces' } },
      ],
    }));
    const images = path.join(dir, 'run-images');
    await mkdir(images);
    for (const n of [1, 2]) await writeFile(path.join(images, `s${n}.jpg`), await readFile(path.join(repoRoot, `node_modules/@vladmandic/face-api/demo/sample${n}.jpg`)));
    const json = path.join(dir, 'run.json');
    const out = path.join(dir, 'run-out');
    const r = await faceflow('run', preset, '--input', images, '--out', out, '--json', json, '--workers', '1', '--backend', 'wasm', '--param', `embed.model=${TFLITE}`);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(await readFile(json, 'utf8')) as { failed: unknown[]; reports: Record<string, { embed: Record<string, unknown> }> };
    expect(summary.failed).toEqual([]);
    expect(Object.values(summary.reports).map((x) => x.embed)).toEqual([1, 2].map(() => ({ faces: 1, format: 'tflite', inputSize: 112, dim: 192 })));
    // a model outside the preset's folder, named by the preset itself: refused before any run
    await writeFile(preset, (await readFile(preset, 'utf8')).replace('models/none.tflite', TFLITE));
    const bad = await faceflow('run', preset, '--input', images, '--out', out, '--json', json, '--workers', '1', '--backend', 'wasm');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/node "embed" param "model": .*refused: outside the folders a preset may read/);
  }, 240_000);
});
