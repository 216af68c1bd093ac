// The dataset run's pool: a few Web Workers (item-worker.ts) started by the compute worker, each
// with its own tfjs and models, sharing out the per-item phase. The compute worker keeps the pool
// between runs (models load once per worker) and runs the final phase itself (runPipeline).
import * as Comlink from 'comlink';
import type { RunItem } from '../../graph/node-definition.js';
import type { Pipeline } from '../../graph/schema.js';
import type { BackendName } from '../../runtime/backend.js';
import type { DatasetPool } from '../../runtime/browser-worker.js';
import { RunAborted, type ItemResult, type NodeTiming } from '../../runtime/executor.js';
import { datasetSplit } from './dataset-split.js';
import type { ItemWorkerApi, ItemWorkerStats } from './item-worker.js';

/** The compute worker's output cache is 512 MB; the pool's workers share that much between them. */
const POOL_CACHE_BYTES = 512 * 1024 * 1024;

/**
 * Worker k owns a contiguous block of the items (so a rerun finds them in its cache) and takes
 * them in order; a worker whose block is done takes from the end of the block with most left.
 */
function dealer(items: number, workers: number): (k: number) => number | undefined {
  const blocks = Array.from({ length: workers }, (_, k) => ({ next: Math.floor((k * items) / workers), end: Math.floor(((k + 1) * items) / workers) }));
  return (k) => {
    const own = blocks[k];
    if (own.next < own.end) return own.next++;
    const most = blocks.reduce((a, b) => (b.end - b.next > a.end - a.next ? b : a));
    return most.next < most.end ? --most.end : undefined;
  };
}

function addTimings(into: Record<string, NodeTiming>, add: Record<string, NodeTiming>): void {
  for (const [id, t] of Object.entries(add)) {
    const acc = (into[id] ??= { ms: 0, runs: 0, cached: 0 });
    acc.ms += t.ms;
    acc.runs += t.runs;
    acc.cached += t.cached;
  }
}

export class LabItemPool implements DatasetPool {
  private readonly workers: Worker[] = [];
  private readonly runners: Comlink.Remote<ItemWorkerApi>[] = [];
  private signal?: AbortSignal;
  failed = 0;

  private constructor(readonly size: number, readonly backend: BackendName) {}

  static async start(size: number, backend: BackendName, baseUrl: string): Promise<LabItemPool> {
    const pool = new LabItemPool(size, backend);
    const { threads } = datasetSplit(navigator.hardwareConcurrency || 1, globalThis.crossOriginIsolated, size);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./item-worker.ts', import.meta.url), { type: 'module', name: `faceflow-items-${i + 1}` });
      pool.workers.push(worker);
      pool.runners.push(Comlink.wrap<ItemWorkerApi>(worker));
    }
    try {
      await Promise.all(pool.runners.map((r) => r.init({ backend, baseUrl, threads, cacheBytes: Math.floor(POOL_CACHE_BYTES / size) })));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** The next runItems stops every worker when `signal` fires. */
  cancelOn(signal: AbortSignal): void {
    this.signal = signal;
  }

  /** The per-item phase over all items, one item per call; results in item order. Once cancelled, every worker stops, then it rejects with RunAborted. */
  async runItems(pipeline: Pipeline, items: RunItem[], onItems?: (done: number) => void, keep: string[] = []): Promise<{ results: ItemResult[]; timings: Record<string, NodeTiming> }> {
    const signal = this.signal ?? new AbortController().signal;
    this.signal = undefined;
    this.failed = 0;
    // stop: cancelled, or a worker failed (a bug: the others finish their item and stop too)
    let stop = false;
    const cancel = () => {
      stop = true;
      for (const r of this.runners) void r.cancel();
    };
    signal.addEventListener('abort', cancel);
    try {
      if (signal.aborted) throw new RunAborted();
      await Promise.all(this.runners.map((r) => r.begin(pipeline, keep)));
      const results: ItemResult[] = new Array(items.length);
      const timings: Record<string, NodeTiming> = {};
      const take = dealer(items.length, this.size);
      let done = 0;
      const work = async (runner: Comlink.Remote<ItemWorkerApi>, k: number) => {
        for (let i = take(k); i !== undefined && !stop; i = take(k)) {
          const out = await runner.runItems([items[i]]);
          results[i] = { ...out.results[0], index: i };
          if (results[i].error) this.failed++;
          addTimings(timings, out.timings);
          onItems?.(++done);
        }
      };
      // Every worker settles before this returns or throws, so nothing runs on after a cancel.
      const settled = await Promise.allSettled(this.runners.map((r, k) => work(r, k).catch((e) => {
        stop = true;
        throw e;
      })));
      if (signal.aborted) throw new RunAborted();
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure) throw failure.reason;
      return { results, timings };
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  async clearCache(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.clearCache()));
  }

  stats(): Promise<ItemWorkerStats[]> {
    return Promise.all(this.runners.map((r) => r.stats()));
  }

  async close(): Promise<void> {
    for (const r of this.runners) r[Comlink.releaseProxy]();
    for (const w of this.workers) w.terminate();
  }
}
