import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compilePipeline, GraphError } from '../../src/graph/compile.js';
import { initBackend } from '../../src/runtime/backend.js';
import type { RunEvent } from '../../src/runtime/events.js';
import { Executor } from '../../src/runtime/executor.js';
import { calls, chain, noIO, testRegistry } from './fixtures.js';

const items = [8, 16, 4].map((w) => ({ id: `w${w}`, name: String(w) }));

beforeAll(async () => {
  await initBackend('cpu');
});

describe('compiler', () => {
  it('orders nodes topologically whatever the document order, and splits item and final phases', () => {
    const p = chain();
    p.nodes.reverse();
    const plan = compilePipeline(p, testRegistry);
    expect(plan.steps.map((s) => s.nodeId)).toEqual(['src', 'a', 'b', 'mean']);
    expect(plan.steps.map((s) => s.phase)).toEqual(['items', 'items', 'items', 'final']);
    expect(plan.steps.find((s) => s.nodeId === 'a')!.params).toEqual({ amount: 5, leak: false });
  });

  it('throws a GraphError listing every issue', () => {
    const p = chain();
    p.nodes[1] = { ...p.nodes[1], type: 'nope' };
    expect(() => compilePipeline(p, testRegistry)).toThrow(GraphError);
  });
});

describe('executor', () => {
  it('maps item nodes over items and reduces aggregates over them', async () => {
    const res = await new Executor().run(compilePipeline(chain(), testRegistry), items, { io: noIO });
    expect(res.items).toHaveLength(3);
    const b0 = res.items[0].outputs.b.image as { data: Uint8Array; width: number };
    expect(b0.width).toBe(8);
    expect(Array.from(b0.data.slice(0, 3))).toEqual([12, 22, 32]);
    // mean over all items of (x*10 + 12) for x in 0..w-1, 4 rows each
    const expected = [8, 16, 4].reduce((s, w) => s + 4 * Array.from({ length: w }, (_, x) => Math.min(255, x * 10 + 12)).reduce((a, c) => a + c, 0), 0) / (4 * 28);
    expect(res.final.mean.metrics).toEqual({ mean: expected, items: 3 });
    expect(res.backend).toBe('cpu');
  });

  it('re-runs only the edited node and what is downstream of it', async () => {
    const executor = new Executor();
    await executor.run(compilePipeline(chain(), testRegistry), items, { io: noIO });
    const before = { ...calls };
    const edited = chain();
    edited.nodes[2] = { ...edited.nodes[2], params: { amount: 9 } };
    const events: RunEvent[] = [];
    const res = await executor.run(compilePipeline(edited, testRegistry), items, { io: noIO, onEvent: (e) => events.push(e) });
    expect(calls['test-gradient']).toBe(before['test-gradient']);
    expect(calls['test-brighten'] - before['test-brighten']).toBe(3); // node b, once per item
    expect(calls['test-mean'] - before['test-mean']).toBe(1);
    expect(res.timings.src).toMatchObject({ runs: 0, cached: 3 });
    expect(res.timings.a).toMatchObject({ runs: 0, cached: 3 });
    expect(res.timings.b).toMatchObject({ runs: 3, cached: 0 });
    expect(events.filter((e) => e.kind === 'done' && e.nodeId === 'a').every((e) => e.kind === 'done' && e.cached)).toBe(true);
  });

  it('leaves tf.memory() where it found it', async () => {
    const start = tf.memory().numTensors;
    await new Executor().run(compilePipeline(chain(), testRegistry), items, { io: noIO });
    expect(tf.memory().numTensors).toBe(start);
  });

  it('reports a kernel that leaks tensors as an error of that node and item', async () => {
    const p = chain();
    p.nodes[1] = { ...p.nodes[1], params: { leak: true } };
    const start = tf.memory().numTensors;
    const res = await new Executor().run(compilePipeline(p, testRegistry), items.slice(0, 1), { io: noIO });
    expect(res.items[0].error).toEqual({ nodeId: 'a', message: '8: node "a": kernel leaked 1 tensor(s)' });
    expect(tf.memory().numTensors - start).toBe(1); // the leaked scalar, found by the check
  });

  it('stops when the signal is aborted and says so', async () => {
    const controller = new AbortController();
    const executor = new Executor();
    let done = 0;
    const run = executor.run(compilePipeline(chain(), testRegistry), items, {
      io: noIO,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'done' && ++done === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(done).toBe(2);
  });

  it('keeps going after an item fails and leaves it out of aggregates', async () => {
    const res = await new Executor().run(compilePipeline(chain(), testRegistry), [...items, { id: 'bad', name: '0' }], { io: noIO });
    expect(res.items[3].error).toEqual({ nodeId: 'src', message: '0: node "src": item "0" does not name a width' });
    expect((res.final.mean.metrics as { items: number }).items).toBe(3);
  });
});
