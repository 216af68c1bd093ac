import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../nodes/index.js';
import { compilePipeline } from '../src/graph/compile.js';
import { loadPipelineText } from '../src/graph/load.js';
import type { CandidatesValue, DetectionsValue } from '../src/graph/values.js';
import { createNodeIO, decodeImageNode } from '../src/io/nodejs-io.js';
import { defaultCnnEngine } from '../src/models/cnn-engine.js';
import { detectFaces, disposeMtcnn, loadMtcnn } from '../src/models/mtcnn/index.js';
import { heldModelTensors } from '../src/models/held-tensors.js';
import { initBackend } from '../src/runtime/backend.js';
import { Executor } from '../src/runtime/executor.js';

const io = createNodeIO();
const ROOT = path.resolve(__dirname, '..');
const sample = (i: number) => path.join(ROOT, `node_modules/@vladmandic/face-api/demo/sample${i}.jpg`);

beforeAll(async () => {
  await initBackend('wasm');
});

async function preset(file: string) {
  const loaded = loadPipelineText(await readFile(path.join(ROOT, 'presets', file), 'utf8'));
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.pipeline;
}

describe('MTCNN stage nodes', () => {
  it('every param has a default and a description', () => {
    for (const type of ['image-pyramid', 'pnet', 'nms', 'rnet', 'onet', 'mtcnn']) {
      const def = registry.get(type);
      expect(def, type).toBeDefined();
      expect(() => registry.defaultParams(type)).not.toThrow();
      for (const [name, field] of Object.entries(def!.params.shape)) {
        expect((field as { description?: string }).description, `${type}.${name}`).toMatch(/\w/);
      }
    }
  });

  it('presets/mtcnn.json runs stage by stage, loads the weights inside the run, reports the funnel and matches the one-call detector', async () => {
    await disposeMtcnn();
    const heldAtStart = heldModelTensors();
    const plan = compilePipeline(await preset('mtcnn.json'), registry);
    const bytes = new Uint8Array(await readFile(sample(5)));
    const res = await new Executor().run(plan, [{ id: 'sample5', name: 'sample5.jpg', bytes }], { io });
    const item = res.items[0];
    expect(item.error).toBeUndefined();
    // disposeMtcnn dropped the nets, so the run loaded them: as tensors for tfjs ops, into the kernels' own memory for SIMD
    if (defaultCnnEngine() === 'tfjs') expect(heldModelTensors()).toBeGreaterThan(heldAtStart);
    else expect(heldModelTensors()).toBe(heldAtStart);
    const detections = item.outputs.onet.detections as DetectionsValue;
    const direct = await detectFaces(await loadMtcnn(io), decodeImageNode(bytes, 'sample5.jpg'));
    expect(detections.boxes).toEqual(direct.faces.map((f) => f.box));
    expect(detections.scores).toEqual(direct.faces.map((f) => f.score));
    expect(detections.landmarks).toEqual(direct.faces.map((f) => f.landmarks));
    expect(detections.boxes).toHaveLength(5);

    const r = item.reports;
    expect(r.pnet.candidatesOut).toBe(direct.funnel.pnet);
    expect(r.nms_pnet).toEqual({ candidatesIn: direct.funnel.pnet, candidatesOut: direct.funnel.pnetNms });
    expect(r.rnet).toEqual({ candidatesIn: direct.funnel.pnetNms, candidatesOut: direct.funnel.rnet });
    expect(r.nms_rnet).toEqual({ candidatesIn: direct.funnel.rnet, candidatesOut: direct.funnel.rnetNms });
    expect(r.onet).toEqual({ candidatesIn: direct.funnel.rnetNms, candidatesOut: 5 });
    expect(r.pnet.candidatesIn as number).toBeGreaterThan(100_000);

    const pnet = item.outputs.pnet.candidates as CandidatesValue;
    expect(pnet.heatmaps).toHaveLength(r.pyramid.levels as number);
    const top = pnet.heatmaps![0];
    expect(top.data).toHaveLength(top.width * top.height);
    expect(top.data.reduce((m, v) => Math.max(m, v), 0)).toBeGreaterThan(0.6);
  });

  it('the all-in-one node gives the same faces and leaks nothing', async () => {
    const p = {
      schema: 'faceflow/pipeline', version: 2, name: 'one node',
      nodes: [
        { id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
        { id: 'mtcnn', type: 'mtcnn', params: {}, position: { x: 200, y: 0 } },
      ],
      edges: [{ from: { node: 'input', port: 'image' }, to: { node: 'mtcnn', port: 'image' } }],
    };
    const loaded = loadPipelineText(JSON.stringify(p));
    if (!loaded.ok) throw new Error(loaded.error);
    const bytes = new Uint8Array(await readFile(sample(3)));
    const before = tf.memory().numTensors;
    const res = await new Executor().run(compilePipeline(loaded.pipeline, registry), [{ id: 's3', name: 'sample3.jpg', bytes }], { io });
    expect(tf.memory().numTensors).toBe(before);
    const det = res.items[0].outputs.mtcnn.detections as DetectionsValue;
    const direct = await detectFaces(await loadMtcnn(io), decodeImageNode(bytes, 'sample3.jpg'));
    expect(det.boxes).toEqual(direct.faces.map((f) => f.box));
    expect(res.items[0].reports.mtcnn.candidatesOut).toBe(3);
  });

  it('refuses candidates from a different image', async () => {
    const rnet = registry.get('rnet')!;
    const image = { width: 10, height: 10, channels: 3 as const, data: new Uint8Array(300) };
    const candidates: CandidatesValue = { imageWidth: 20, imageHeight: 10, boxes: [], scores: [], regression: [] };
    const ctx = { nodeId: 'rnet', signal: new AbortController().signal, backend: 'wasm', io, progress() {}, report() {} };
    await expect(async () => rnet.kernel({ image, candidates }, { threshold: 0.7 }, ctx)).rejects.toThrow(/20x10 image but the image input is 10x10/);
  });
});
