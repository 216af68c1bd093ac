import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry as builtIns } from '../../nodes/index.js';
import type { AnyNodeDefinition, RunItem } from '../../src/graph/node-definition.js';
import { NodeRegistry } from '../../src/graph/registry.js';
import type { EmbeddingsValue, WeightsValue } from '../../src/graph/values.js';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor, type ItemResult } from '../../src/runtime/executor.js';
import { applyParamOverrides, compileOrExplain, readPreset } from '../../src/runtime/preset.js';

/**
 * Items in lockstep (RunOptions.batch): MTCNN runs each stage once on several images (R-Net and
 * O-Net on all their crops) and the embedding network once on all their faces (with their flips);
 * every item's outputs and reports are what it gets alone.
 */

const repo = path.resolve(__dirname, '../..');
const DEMO = path.join(repo, 'node_modules/@vladmandic/face-api/demo');

/** The built-in nodes, with the batch kernels' calls counted (their sizes, per node type). */
const batchCalls: Record<string, number[]> = {};
const counted = new NodeRegistry(builtIns.list().map((d): AnyNodeDefinition => (!d.batchKernel ? d : {
  ...d,
  batchKernel: (inputs, params, ctx) => {
    (batchCalls[d.type] ??= []).push(inputs.length);
    return d.batchKernel!(inputs, params, ctx);
  },
})));

let items: RunItem[];

beforeAll(async () => {
  await initBackend('wasm');
  const photos = await Promise.all([1, 2, 3, 4, 5, 6].map(async (k) => ({ id: `s${k}`, name: `sample${k}.jpg`, bytes: await readFile(path.join(DEMO, `sample${k}.jpg`)) })));
  // a corrupt file among them: its item fails alone, the others of its chunk still batch
  const corrupt = { id: 'bad', name: 'corrupt.jpg', bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]) };
  items = [...photos.slice(0, 2), corrupt, ...photos.slice(2)];
});

async function run(preset: string, overrides: string[], batch: number): Promise<ItemResult[]> {
  const file = path.join(repo, 'presets', preset);
  const plan = compileOrExplain(applyParamOverrides(await readPreset(file), overrides, counted), file, counted);
  return new Executor().runItems(plan, items, { io: createNodeIO(), retain: 'all', batch });
}

const embeddingsOf = (r: ItemResult) => (r.outputs.embed?.embeddings as EmbeddingsValue | undefined);

describe('batching the detector and the embedding network across images', () => {
  // the pretrained network; and every face through the fine-tuned one with its gate (mask routing at threshold 0)
  it.each([
    ['baseline-mtcnn-facenet.json', []],
    ['robust-masked.json', ['embed.maskThreshold=0']],
  ])('%s %j: each image gets the embeddings, maps, reports and errors it gets alone, in fewer network calls', { timeout: 180_000 }, async (preset, overrides) => {
    await run(preset, overrides, 1); // models loaded, so the tensor count below is the run's own
    const tensors = tf.memory().numTensors;
    for (const k of Object.keys(batchCalls)) delete batchCalls[k];
    const alone = await run(preset, overrides, 1);
    expect(batchCalls).toEqual({});
    const batched = await run(preset, overrides, 4);
    // chunks of 4 items: [s1, s2, corrupt, s3] -> 3 decoded images, then [s4, s5, s6]
    expect(batchCalls).toEqual({ mtcnn: [3, 3], mobilefacenet: [3, 3] });
    expect(tf.memory().numTensors).toBe(tensors);

    expect(batched.map((r) => r.error?.nodeId)).toEqual(alone.map((r) => r.error?.nodeId));
    expect(alone[2].error?.message).toMatch(/corrupt\.jpg/);
    for (const [k, a] of alone.entries()) {
      if (a.error) continue;
      const e = embeddingsOf(a)!;
      const b = embeddingsOf(batched[k])!;
      expect(e.count).toBeGreaterThan(0);
      expect(b.count).toBe(e.count);
      expect(b.source).toBe(e.source);
      expect(b.fallback).toEqual(e.fallback);
      let diff = 0;
      for (let i = 0; i < e.data.length; i++) diff = Math.max(diff, Math.abs(e.data[i] - b.data[i]));
      expect(diff, `${a.name}: largest embedding difference`).toBeLessThan(1e-6);
      expect(batched[k].reports.embed).toEqual(a.reports.embed);
      expect(batched[k].outputs.mtcnn.detections).toEqual(a.outputs.mtcnn.detections);
      const funnel = (r: ItemResult) => r.reports.mtcnn.funnel;
      expect(funnel(batched[k])).toEqual(funnel(a));
      const [ma, mb] = [a, batched[k]].map((r) => r.outputs.embed.attention as WeightsValue);
      expect(mb.shape).toEqual(ma.shape);
      expect(Array.from(mb.data)).toEqual(Array.from(ma.data));
    }
  });
});
