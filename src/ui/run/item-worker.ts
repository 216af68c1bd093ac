// One worker of a dataset run's pool (item-pool.ts, started by the compute worker): its own tfjs,
// models and output cache; it runs the per-item phase on the items it is dealt, one at a time.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import '../../runtime/wasm-paths.js';
import { registry } from '../../../nodes/index.js';
import { compilePipeline, type Plan } from '../../graph/compile.js';
import type { HostIO, RunItem } from '../../graph/node-definition.js';
import type { Pipeline } from '../../graph/schema.js';
import { createBrowserIO } from '../../io/browser-io.js';
import { initBackend, type BackendChoice, type BackendName } from '../../runtime/backend.js';
import { OutputCache } from '../../runtime/cache.js';
import { Executor, type ItemResult, type NodeTiming } from '../../runtime/executor.js';

export interface ItemWorkerInit {
  backend: BackendName;
  baseUrl: string;
  /** wasm threads for this worker; 1 loads the plain SIMD build (no thread pool to wake per op). */
  threads: number;
  cacheBytes: number;
}

/** What the pool reads back about a worker: for its tests (cancel stops every worker) and the lab's debug hook. */
export interface ItemWorkerStats {
  busy: boolean;
  itemsRun: number;
  threads: number;
  isolated: boolean;
}

let executor: Executor | undefined;
let io: HostIO | undefined;
let plan: { plan: Plan; keep: string[] } | undefined;
let controller = new AbortController();
const stats: ItemWorkerStats = { busy: false, itemsRun: 0, threads: 1, isolated: globalThis.crossOriginIsolated };

const api = {
  async init(opts: ItemWorkerInit): Promise<BackendChoice> {
    if (opts.backend === 'wasm') {
      setThreadsCount(opts.threads);
      if (opts.threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    const choice = await initBackend(opts.backend);
    stats.threads = choice.name === 'wasm' ? getThreadsCount() : 1;
    executor = new Executor(new OutputCache(opts.cacheBytes));
    io = createBrowserIO({ baseUrl: opts.baseUrl });
    return choice;
  },

  /** A new run: compile its pipeline once; `keep` as runPipeline's (outputs the final phase reads). */
  begin(pipeline: Pipeline, keep: string[] = []): void {
    plan = { plan: compilePipeline(pipeline, registry), keep };
    controller = new AbortController();
  },

  /** Run the per-item phase on `items`; a failed item carries its error, a cancel rejects with RunAborted. */
  async runItems(items: RunItem[]): Promise<{ results: ItemResult[]; timings: Record<string, NodeTiming> }> {
    if (!executor || !io || !plan) throw new Error('item worker used before init() and begin()');
    const timings: Record<string, NodeTiming> = {};
    stats.busy = true;
    try {
      const results = await executor.runItems(plan.plan, items, { io, signal: controller.signal, retain: 'sinks', keep: plan.keep }, timings);
      stats.itemsRun += results.length;
      return { results, timings };
    } finally {
      stats.busy = false;
    }
  },

  /** Stop the item in flight at its next node boundary (or where its kernel checks the signal). */
  cancel(): void {
    controller.abort();
  },

  clearCache(): void {
    executor?.cache.clear();
  },

  stats(): ItemWorkerStats {
    return { ...stats };
  },
};

export type ItemWorkerApi = typeof api;

Comlink.expose(api);
