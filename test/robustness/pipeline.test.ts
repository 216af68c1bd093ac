import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import type { ContextValue } from '../../src/context/vector.js';
import { compilePipeline } from '../../src/graph/compile.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { EmbeddingsValue } from '../../src/graph/values.js';
import { createNodeIO, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { heldModelTensors } from '../../src/models/held-tensors.js';
import { defaultFusionConfig, initFusion } from '../../src/models/fusion/index.js';
import type { WeightsValue } from '../../src/graph/values.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor } from '../../src/runtime/executor.js';
import { Rng } from '../../src/util/rng.js';
import { saveWeightsFiles } from '../../src/io/weights-file-nodejs.js';

beforeAll(async () => {
  await initBackend('wasm');
});

function pipeline(fusionWeights: string): Pipeline {
  const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, params, position: { x: 0, y: 0 } });
  const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });
  return {
    schema: 'faceflow/pipeline', version: 2, name: 'robustness', description: '',
    nodes: [
      node('img', 'image-input'),
      node('align', 'align', { mode: 'center' }),
      node('occ', 'occlusion', { kind: 'surgical-mask', seed: 1 }),
      node('mfn', 'mobilefacenet', { tap: true }),
      node('gate', 'attention-gate'),
      node('ctx', 'context'),
      node('fuse', 'fusion-transformer', { weights: fusionWeights }),
      node('att', 'fusion-attention'),
    ],
    edges: [
      edge('img', 'image', 'align', 'image'),
      edge('align', 'faces', 'occ', 'faces'),
      edge('occ', 'faces', 'mfn', 'faces'),
      edge('mfn', 'features', 'gate', 'features'),
      edge('mfn', 'embeddings', 'gate', 'embeddings'),
      edge('occ', 'faces', 'ctx', 'faces'),
      edge('mfn', 'embeddings', 'fuse', 'embeddings'),
      edge('ctx', 'context', 'fuse', 'context'),
      edge('mfn', 'embeddings', 'att', 'embeddings'),
      edge('ctx', 'context', 'att', 'context'),
    ],
  } as Pipeline;
}

describe('robustness nodes in a pipeline', () => {
  it('occlusion -> MobileFaceNet -> gate / context -> fusion, with trained weights from files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ff-rob-'));
    try {
      const cfg = defaultFusionConfig('transformer', 192, 12);
      const w = initFusion(cfg, new Rng(5));
      // A visibly non-trivial "trained" module: larger output projection than the untrained init.
      w.Wout.dispose();
      w.Wout = tf.tensor2d(new Rng(6).normalArray(64 * 192, 0.02), [64, 192]);
      const manifest = await saveWeightsFiles(dir, 'fusion-transformer', 'fusion-transformer', cfg, w);
      tf.dispose(Object.values(w));

      const io = createNodeIO();
      const items = ['sample1.jpg', 'sample2.jpg'].map((f) => ({ id: f, name: f, path: resolvePackageAsset(`@vladmandic/face-api/demo/${f}`) }));
      const before = tf.memory().numTensors - heldModelTensors();
      const res = await new Executor().run(compilePipeline(pipeline(manifest), registry), items, { io, retain: 'all' });
      expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
      for (const item of res.items) {
        expect(item.error).toBeUndefined();
        const base = item.outputs.mfn.embeddings as EmbeddingsValue;
        const gated = item.outputs.gate.embeddings as EmbeddingsValue;
        const map = item.outputs.gate.weightMap as WeightsValue;
        const ctx = item.outputs.ctx.context as ContextValue;
        const fused = item.outputs.fuse.embeddings as EmbeddingsValue;
        const att = item.outputs.att.weights as WeightsValue;
        expect(base.count).toBe(1);
        // The untrained gate is the identity: same embedding as the plain backbone.
        gated.data.forEach((v, i) => expect(v).toBeCloseTo(base.data[i], 4));
        expect(map.shape).toEqual([1, 7, 7]);
        expect(ctx.dim).toBe(12);
        expect(ctx.data[11]).toBe(0); // centre crop: no detection, validity 0
        expect(fused.dim).toBe(192);
        expect(fused.model).toBe('mobilefacenet+fusion-transformer');
        expect(Math.hypot(...fused.data)).toBeCloseTo(1, 4);
        let cos = 0;
        for (let k = 0; k < 192; k++) cos += fused.data[k] * base.data[k];
        expect(cos).toBeLessThan(0.999); // the loaded weights, not the near-identity init
        expect(cos).toBeGreaterThan(0.3);
        expect(att.shape).toEqual([1, 12]);
        expect(att.data.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      }
      expect(res.items[0].reports.occ).toMatchObject({ occluded: 1, faces: 1 });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
