// One worker of a dataset run's pool (item-pool.ts, started by the compute worker): its own tfjs,
// models and output cache; it runs the per-item phase on the items it is dealt.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import '../../runtime/wasm-paths.js';
import { registry } from '../../../nodes/index.js';
import type { RunItem } from '../../graph/node-definition.js';
import type { Pipeline } from '../../graph/schema.js';
import { createBrowserIO } from '../../io/browser-io.js';
import { initBackend, type BackendName } from '../../runtime/backend.js';
import { OutputCache } from '../../runtime/cache.js';
import { Executor } from '../../runtime/executor.js';
import { createItemRunner, type ItemRunner } from './item-runner.js';

export interface ItemWorkerInit {
  backend: BackendName;
  baseUrl: string;
  /** wasm threads for this worker; 1 loads the plain SIMD build (no thread pool to wake per op). */
  threads: number;
  cacheBytes: number;
}

let runner: ItemRunner | undefined;
let threads = 1;
const initialised = () => {
  if (!runner) throw new Error('item worker used before init()');
  return runner;
};

const api = {
  async init(opts: ItemWorkerInit): Promise<void> {
    if (opts.backend === 'wasm') {
      setThreadsCount(opts.threads);
      if (opts.threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    const choice = await initBackend(opts.backend);
    threads = choice.name === 'wasm' ? getThreadsCount() : 1;
    runner = createItemRunner(new Executor(new OutputCache(opts.cacheBytes)), createBrowserIO({ baseUrl: opts.baseUrl }), registry);
  },
  begin: (pipeline: Pipeline, keep: string[]) => initialised().begin(pipeline, keep),
  runItems: (items: RunItem[]) => initialised().runItems(items),
  cancel: () => runner?.cancel(),
  clearCache: () => runner?.clearCache(),
  stats: () => ({ busy: false, itemsRun: 0, ...runner?.stats(), threads, isolated: globalThis.crossOriginIsolated }),
};

export type ItemWorkerApi = typeof api;

Comlink.expose(api);
