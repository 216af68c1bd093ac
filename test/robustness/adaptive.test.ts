import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import { adaptivePairScore, faceVectorOf } from '../../src/eval/adaptive.js';
import { compilePipeline } from '../../src/graph/compile.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { EmbeddingsValue } from '../../src/graph/values.js';
import { createNodeIO, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { heldModelTensors } from '../../src/models/held-tensors.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor } from '../../src/runtime/executor.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, params, position: { x: 0, y: 0 } });
const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });
const occWeights = fileURLToPath(new URL('../../presets/weights/occlusion.json', import.meta.url));
const studentWeights = fileURLToPath(new URL('../../presets/weights/student.json', import.meta.url));
const sampleItems = () => ['sample1.jpg', 'sample3.jpg'].map((f) => ({ id: f, name: f, path: resolvePackageAsset(`@vladmandic/face-api/demo/${f}`) }));

describe('occlusion-adaptive matching', () => {
  const u = (x: number[]) => Float32Array.from(x.map((v) => v / Math.hypot(...x)));
  it('mixes in the like-with-like score only for a masked face against an unmasked one', () => {
    const masked = { embedding: u([1, 0, 0]), masked: true, twin: u([1, 0, 0]), twinWeight: 0.5 };
    const clean = { embedding: u([0, 1, 0]), masked: false, twin: u([1, 1, 0]), twinWeight: 0.5 };
    // cos(masked, clean) = 0, cos(masked, clean's twin) = 0.7071: half of each.
    expect(adaptivePairScore(masked, clean)).toBeCloseTo(0.5 * Math.SQRT1_2, 6);
    expect(adaptivePairScore(clean, masked)).toBeCloseTo(0.5 * Math.SQRT1_2, 6);
    // Same kind on both sides, or no twins, or weight 0: the plain cosine.
    expect(adaptivePairScore(clean, { ...clean, embedding: u([1, 1, 0]) })).toBeCloseTo(Math.SQRT1_2, 6);
    expect(adaptivePairScore({ embedding: masked.embedding }, clean)).toBeCloseTo(0, 6);
    expect(adaptivePairScore(masked, { ...clean, twinWeight: 0 })).toBeCloseTo(0, 6);
    expect(adaptivePairScore(masked, { ...clean, twinWeight: 1 })).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('the masked-twin node: a masked face keeps its own embedding as twin, an unmasked one gets the embedding of itself with a drawn mask', async () => {
    const p = {
      schema: 'faceflow/pipeline', version: 2, name: 'twin', description: '',
      nodes: [
        node('img', 'image-input'), node('mtcnn', 'mtcnn'), node('align', 'align'), node('mask', 'occlusion', { kind: 'surgical-mask', probability: 0.5, seed: 3 }),
        node('emb', 'mobilefacenet'), node('ctx', 'context', { occlusionWeights: occWeights }), node('twin', 'masked-twin', { twinWeight: 0.4 }), node('plain', 'mobilefacenet'),
      ],
      edges: [
        edge('img', 'image', 'mtcnn', 'image'), edge('img', 'image', 'align', 'image'), edge('mtcnn', 'detections', 'align', 'detections'),
        edge('align', 'faces', 'mask', 'faces'), edge('mask', 'faces', 'emb', 'faces'), edge('mask', 'faces', 'ctx', 'faces'), edge('mtcnn', 'detections', 'ctx', 'detections'),
        edge('mask', 'faces', 'twin', 'faces'), edge('emb', 'embeddings', 'twin', 'embeddings'), edge('ctx', 'context', 'twin', 'context'), edge('align', 'faces', 'plain', 'faces'),
      ],
    } as Pipeline;
    const before = tf.memory().numTensors - heldModelTensors();
    const res = await new Executor().run(compilePipeline(p, registry), sampleItems(), { io: createNodeIO(), retain: 'all' });
    expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
    let seenMasked = 0;
    let seenClean = 0;
    for (const item of res.items) {
      expect(item.error).toBeUndefined();
      const e = item.outputs.twin.embeddings as EmbeddingsValue;
      const plain = item.outputs.plain.embeddings as EmbeddingsValue;
      expect(e.twins!.weight).toBe(0.4);
      for (let i = 0; i < e.count; i++) {
        const f = faceVectorOf(e, i);
        const same = Array.from(f.twin!).every((v, k) => v === f.embedding[k]);
        if (f.masked) {
          seenMasked++;
          expect(same).toBe(true);
        } else {
          seenClean++;
          // The twin is this face with a mask drawn: not the face itself, but still the same person.
          expect(same).toBe(false);
          const cos = Array.from(f.twin!).reduce((s, v, k) => s + v * f.embedding[k], 0);
          expect(cos).toBeGreaterThan(0.3);
          expect(cos).toBeLessThan(0.99);
        }
      }
      expect(plain.twins).toBeUndefined();
    }
    // With probability 0.5 per face some faces are masked and some are not, and the classifier tells them apart.
    expect(seenMasked).toBeGreaterThan(0);
    expect(seenClean).toBeGreaterThan(0);
  }, 120_000);

  it('route by mask: masked faces take the fine-tuned network, unmasked ones the pretrained one, and the wiring is checked', async () => {
    const front = [node('img', 'image-input'), node('mtcnn', 'mtcnn'), node('align', 'align'), node('mask', 'occlusion', { kind: 'surgical-mask', probability: 0.5, seed: 3 }), node('ctx', 'context', { occlusionWeights: occWeights })];
    const frontEdges = [
      edge('img', 'image', 'mtcnn', 'image'), edge('img', 'image', 'align', 'image'), edge('mtcnn', 'detections', 'align', 'detections'),
      edge('align', 'faces', 'mask', 'faces'), edge('mask', 'faces', 'ctx', 'faces'), edge('mtcnn', 'detections', 'ctx', 'detections'),
    ];
    const p = {
      schema: 'faceflow/pipeline', version: 2, name: 'route', description: '',
      nodes: [...front, node('routed', 'mobilefacenet', { weights: studentWeights, routeByMask: true, tap: false }), node('student', 'mobilefacenet', { weights: studentWeights, tap: false }), node('plain', 'mobilefacenet', { tap: false })],
      edges: [...frontEdges, edge('mask', 'faces', 'routed', 'faces'), edge('ctx', 'context', 'routed', 'context'), edge('mask', 'faces', 'student', 'faces'), edge('mask', 'faces', 'plain', 'faces')],
    } as Pipeline;
    const before = tf.memory().numTensors - heldModelTensors();
    const res = await new Executor().run(compilePipeline(p, registry), sampleItems(), { io: createNodeIO(), retain: 'all' });
    expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
    const seen = { masked: 0, clean: 0 };
    for (const item of res.items) {
      expect(item.error).toBeUndefined();
      const [routed, student, plain] = (['routed', 'student', 'plain'] as const).map((id) => item.outputs[id].embeddings as EmbeddingsValue);
      const ctx = item.outputs.ctx.context as { data: Float32Array; dim: number; names: string[] };
      const gate = item.outputs.routed.attention as { shape: number[]; data: Float32Array };
      const studentGate = item.outputs.student.attention as { data: Float32Array };
      expect(routed.model).toBe('mobilefacenet+student|unmasked:mobilefacenet');
      expect(gate.shape).toEqual([routed.count, 14, 14]);
      for (let i = 0; i < routed.count; i++) {
        const masked = ctx.data[i * ctx.dim + ctx.names.indexOf('mask')] >= 0.5;
        seen[masked ? 'masked' : 'clean']++;
        const want = (masked ? student : plain).data.subarray(i * 192, (i + 1) * 192);
        const got = routed.data.subarray(i * 192, (i + 1) * 192);
        expect(Math.max(...Array.from(got, (v, k) => Math.abs(v - want[k])))).toBeLessThan(1e-5);
        const map = gate.data.subarray(i * 196, (i + 1) * 196);
        if (masked) expect(Array.from(map)).toEqual(Array.from(studentGate.data.subarray(i * 196, (i + 1) * 196)));
        else expect(map.every((v) => v === 1)).toBe(true);
      }
    }
    expect(seen.masked).toBeGreaterThan(0);
    expect(seen.clean).toBeGreaterThan(0);
    // Wiring mistakes are one clear error each, not a silent plain run.
    const run = async (routedParams: Record<string, unknown>, withContext: boolean, ctxParams = { occlusionWeights: occWeights }) => {
      const q = {
        ...p,
        nodes: [...front.map((n) => (n.id === 'ctx' ? node('ctx', 'context', ctxParams) : n)), node('routed', 'mobilefacenet', { routeByMask: true, tap: false, ...routedParams })],
        edges: [...frontEdges, edge('mask', 'faces', 'routed', 'faces'), ...(withContext ? [edge('ctx', 'context', 'routed', 'context')] : [])],
      } as Pipeline;
      const r = await new Executor().run(compilePipeline(q, registry), sampleItems().slice(0, 1), { io: createNodeIO() });
      return r.items[0].error?.message ?? "no error";
    };
    expect(await run({ weights: studentWeights }, false)).toMatch(/no context is connected/);
    expect(await run({}, true)).toMatch(/needs fine-tuned weights/);
    expect(await run({ weights: studentWeights }, true, { occlusionWeights: '' })).toMatch(/without an occlusion classifier/);
  }, 180_000);
});

describe('masked templates in a gallery', () => {
  it('a masked probe is also scored against the identities\' masked templates; an unmasked probe is not', async () => {
    const { emptyGallery, enroll, identify, parseGallery, serializeGallery } = await import('../../src/eval/gallery.js');
    let g = emptyGallery('mobilefacenet+student', 2);
    g = enroll(g, 'ann', [[1, 0]], ['ann/1.jpg'], { vectors: [[0.6, 0.8]], weight: 0.5 });
    g = enroll(g, 'bob', [[0.8, 0.6]], ['bob/1.jpg'], { vectors: [[1, 0]], weight: 0.5 });
    expect(g.twinWeight).toBe(0.5);
    // A masked probe like Ann's masked look: plain cosine prefers Bob (0.96 vs 0.6), the twin mix Ann (0.8 vs 0.78).
    const probe = [0.6, 0.8];
    expect(identify(g, probe).identity).toBe('bob');
    const m = identify(g, probe, undefined, true);
    expect(m.identity).toBe('ann');
    expect(m.score).toBeCloseTo(0.5 * 0.6 + 0.5 * 1, 6);
    // Round trip through the file format; a broken masked template is refused.
    expect(parseGallery(serializeGallery(g))).toEqual(g);
    const bad = JSON.parse(serializeGallery(g));
    bad.identities[0].maskedTemplate = [1];
    expect(() => parseGallery(JSON.stringify(bad), 'g.json')).toThrow(/g\.json: identity "ann" has a malformed maskedTemplate/);
  });
});
