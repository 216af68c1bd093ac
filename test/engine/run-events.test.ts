import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { ImageValue } from '../../src/graph/values.js';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { initBackend } from '../../src/runtime/backend.js';
import { itemProgress, type RunEvent } from '../../src/runtime/events.js';
import { Executor } from '../../src/runtime/executor.js';
import { runPipeline, type RunHost } from '../../src/runtime/run.js';

describe('runPipeline in-process: events say which item of the run they belong to', () => {
  it('numbers items 0..n-1 across the run, so a dataset run reports progress', async () => {
    const backend = await initBackend('cpu');
    const host: RunHost = { prepare: async () => ({ executor: new Executor(), io: createNodeIO(), backend }) };
    const pipeline = {
      schema: 'faceflow/pipeline', version: 3, name: 'gray', description: '',
      nodes: [{ id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } }, { id: 'gray', type: 'grayscale', params: {}, position: { x: 0, y: 0 } }],
      edges: [{ from: { node: 'input', port: 'image' }, to: { node: 'gray', port: 'image' } }],
    } as unknown as Pipeline;
    const items = Array.from({ length: 4 }, (_, k) => {
      const image: ImageValue = { width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(40 * k) };
      return { id: `i${k}`, name: `i${k}`, image };
    });
    const events: RunEvent[] = [];
    const reported: number[] = [];
    const progress = itemProgress((finished) => reported.push(finished), -1);
    const run = await runPipeline(pipeline, items, { host, registry, onEvent: (e) => { events.push(e); progress(e); } });
    expect(run.status).toBe('done');
    const starts = events.filter((e) => e.kind === 'start' && e.nodeId === 'gray');
    expect(starts.map((e) => (e.kind === 'start' ? [e.item, e.items] : []))).toEqual([[0, 4], [1, 4], [2, 4], [3, 4]]);
    expect(Math.max(...reported)).toBe(3);
  });
});
