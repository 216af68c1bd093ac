import { Worker, type WorkerOptions } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { RunItem } from '../graph/node-definition.js';
import type { Pipeline } from '../graph/schema.js';
import type { BackendChoice } from './backend.js';
import type { ItemResult, NodeTiming } from './executor.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { ItemRunner, ItemRunnerInit } from './item-runner.js';
import type { ItemPool } from './run.js';
import { serializablePolicy } from '../io/file-policy-nodejs.js';
import { getMaxImagePixels } from '../io/nodejs-io.js';
import { UserError } from '../graph/errors.js';

/** From the sources (tsx, vitest) the entry that loads tsx in the worker; from the built library its JavaScript. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_ENTRY = FROM_SOURCES ? './thread-worker.mjs' : './thread-worker.js';

/** Node flags that preload a module, alone or with `=`. */
const PRELOAD_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
const TSX = /^tsx(\/|$)|[\\/]node_modules[\\/]tsx[\\/]/;

/** Node flags without tsx's preload (`tsx script`, `node --import tsx`). */
export function withoutTsxPreload(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const [flag, inline] = execArgv[i].split(/=(.*)/s);
    const value = inline ?? execArgv[i + 1];
    if (!PRELOAD_FLAGS.has(flag) || !TSX.test(value ?? '')) kept.push(execArgv[i]);
    else if (inline === undefined) i++;
  }
  return kept;
}

/**
 * A worker thread on WORKER_ENTRY. From the sources it starts without tsx's preload, which workers
 * inherit with this thread's flags: the preload would load the npm packages through tsx's require
 * hook with source maps on, while thread-worker.mjs loads them first and registers tsx itself.
 * Flags that a worker cannot be given explicitly (V8's, such as --max-old-space-size) make it
 * inherit them all, preload included, as before.
 */
function startWorker(options: WorkerOptions): Worker {
  const url = new URL(WORKER_ENTRY, import.meta.url);
  const flags = withoutTsxPreload(process.execArgv);
  if (!FROM_SOURCES || flags.length === process.execArgv.length) return new Worker(url, options);
  try {
    return new Worker(url, { ...options, execArgv: flags });
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    return new Worker(url, options);
  }
}

/**
 * A pool of worker_threads, each with its own tfjs (wasm in Node is single-threaded, so
 * N workers use N cores). Items are split into contiguous chunks dealt out to idle workers.
 */
export class WorkerPool implements ItemPool {
  private readonly workers: Worker[] = [];
  private readonly runners: Comlink.Remote<ItemRunner>[] = [];
  backend?: BackendChoice;

  private constructor(readonly size: number) {}

  /** Each worker rebuilds `registry` from its module and plugins (NodeRegistry.moduleUrl, .plugins): the same node types as this thread. */
  static async start(size: number, opts: Omit<ItemRunnerInit, 'registryModule' | 'plugins'> & { registry: NodeRegistry }): Promise<WorkerPool> {
    const { registry, ...rest } = opts;
    if (!registry.moduleUrl) throw new UserError('worker threads need a node registry they can rebuild: node types defined in this thread cannot travel; load them from a module (loadRegistry({ plugins }), --plugin) or run with one worker');
    const init: ItemRunnerInit = { ...rest, registryModule: registry.moduleUrl, plugins: registry.plugins };
    const pool = new WorkerPool(Math.max(1, size));
    for (let i = 0; i < pool.size; i++) {
      // each worker reads files under this process's file access policy and pixel cap
      const worker = startWorker({ workerData: { fileAccess: serializablePolicy(), maxPixels: getMaxImagePixels() } });
      pool.workers.push(worker);
      pool.runners.push(Comlink.wrap<ItemRunner>(nodeEndpoint(worker)));
    }
    try {
      const choices = await Promise.all(pool.runners.map((r) => r.init(init)));
      pool.backend = choices[0];
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /**
   * Run the per-item phase over all items, dealt out in chunks (of `batch` items, 4 at least);
   * `onItems` is called as each chunk finishes. Results come back in item order.
   */
  async runItems(pipeline: Pipeline, items: RunItem[], onItems?: (done: number) => void, keep: string[] = [], batch = 1): Promise<{ results: ItemResult[]; timings: Record<string, NodeTiming> }> {
    const results: ItemResult[] = new Array(items.length);
    const timings: Record<string, NodeTiming> = {};
    const chunkSize = Math.max(4, batch);
    let next = 0;
    let done = 0;
    const work = async (runner: Comlink.Remote<ItemRunner>) => {
      while (next < items.length) {
        const start = next;
        next = Math.min(items.length, next + chunkSize);
        const out = await runner.runItems(pipeline, items.slice(start, next), keep, batch);
        out.results.forEach((r, i) => (results[start + i] = { ...r, index: start + i }));
        for (const [id, t] of Object.entries(out.timings)) {
          const acc = (timings[id] ??= { ms: 0, runs: 0, cached: 0 });
          acc.ms += t.ms;
          acc.runs += t.runs;
          acc.cached += t.cached;
        }
        done += out.results.length;
        onItems?.(done);
      }
    };
    await Promise.all(this.runners.map(work));
    return { results, timings };
  }

  async close(): Promise<void> {
    for (const r of this.runners) r[Comlink.releaseProxy]();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
