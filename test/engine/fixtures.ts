import * as tf from '@tensorflow/tfjs';
import type { PortValueOf } from '../../src/graph/port-values.js';
import { z } from 'zod';
import { defineNode, type HostIO } from '../../src/graph/node-definition.js';
import { NodeRegistry } from '../../src/graph/registry.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { ImageValue } from '../../src/graph/values.js';

/**
 * Small real node types for exercising the engine: a source that makes a gradient image
 * (the item name picks its size), a tfjs brightness op, and an aggregate mean. Each counts
 * its kernel calls so tests can see what the cache skipped.
 */
export const calls: Record<string, number> = {};
const count = (t: string) => (calls[t] = (calls[t] ?? 0) + 1);

export const gradientNode = defineNode({
  type: 'test-gradient', title: 'Gradient', category: 'Input', doc: 'A gradient image whose width comes from the item name.', mode: 'item',
  inputs: {}, outputs: { image: { type: 'Image', doc: 'gradient' } },
  params: z.object({ height: z.number().int().min(1).max(64).default(4).describe('Rows') }),
  kernel(_i, p, ctx) {
    count('test-gradient');
    const width = Number(ctx.item?.name ?? 8);
    if (!(width > 0)) throw new Error(`item "${ctx.item?.name}" does not name a width`);
    const data = new Uint8Array(width * p.height);
    for (let i = 0; i < data.length; i++) data[i] = (i % width) * 10;
    const image: ImageValue = { width, height: p.height, channels: 1, data };
    return { image };
  },
});

export const brightenNode = defineNode({
  type: 'test-brighten', title: 'Brighten', category: 'Preprocess', doc: 'Adds a constant with tfjs.', mode: 'item',
  inputs: { image: { type: 'Image', doc: 'in' } }, outputs: { image: { type: 'Image', doc: 'out' } },
  params: z.object({ amount: z.number().min(-255).max(255).default(10).describe('Added to every pixel'), leak: z.boolean().default(false).describe('Forget to dispose (for the leak check)') }),
  async kernel({ image }, p, ctx) {
    count('test-brighten');
    if (ctx.signal.aborted) throw new Error('aborted');
    if (p.leak) tf.scalar(1);
    const out = tf.tidy(() => tf.tensor(image.data, [image.height, image.width], 'int32').add(p.amount).clipByValue(0, 255));
    const data = new Uint8Array(await out.data());
    out.dispose();
    return { image: { ...image, data } };
  },
});

export const meanNode = defineNode({
  type: 'test-mean', title: 'Mean', category: 'Evaluation', doc: 'Mean pixel over all items.', mode: 'aggregate',
  inputs: { image: { type: 'Image', doc: 'per item' } }, outputs: { metrics: { type: 'Metrics', doc: 'mean' } },
  params: z.object({}),
  kernel({ image }) {
    count('test-mean');
    const images = image as ImageValue[];
    let sum = 0;
    let n = 0;
    for (const im of images) for (const v of im.data) (sum += v), n++;
    // an engine test's own metric, not one of the evaluation nodes' shapes
    return { metrics: { mean: sum / n, items: images.length } as unknown as PortValueOf<'Metrics'> };
  },
});

export const testRegistry = new NodeRegistry([gradientNode, brightenNode, meanNode]);

export const noIO: HostIO = {
  decodeImage: () => Promise.reject(new Error('no decoding in engine tests')),
  readFile: () => Promise.reject(new Error('no files in engine tests')),
  readPackageAsset: () => Promise.reject(new Error('no assets in engine tests')),
};

export function chain(extra: Partial<Pipeline> = {}): Pipeline {
  return {
    schema: 'faceflow/pipeline', version: 2, name: 'chain', description: '',
    nodes: [
      { id: 'src', type: 'test-gradient', params: {}, position: { x: 0, y: 0 } },
      { id: 'a', type: 'test-brighten', params: { amount: 5 }, position: { x: 1, y: 0 } },
      { id: 'b', type: 'test-brighten', params: { amount: 7 }, position: { x: 2, y: 0 } },
      { id: 'mean', type: 'test-mean', params: {}, position: { x: 3, y: 0 } },
    ],
    edges: [
      { from: { node: 'src', port: 'image' }, to: { node: 'a', port: 'image' } },
      { from: { node: 'a', port: 'image' }, to: { node: 'b', port: 'image' } },
      { from: { node: 'b', port: 'image' }, to: { node: 'mean', port: 'image' } },
    ],
    ...extra,
  };
}
