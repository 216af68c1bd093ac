// The lab's compute worker: the executor (and its cache) lives here, exposed with comlink by the
// page's worker entry (src/ui/run/compute-worker.ts), which hands in the node registry.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import './wasm-paths.js';
import type { HostIO, RunItem } from '../graph/node-definition.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { Pipeline } from '../graph/schema.js';
import { createBrowserIO } from '../io/browser-io.js';
import { outputPreviews } from '../io/image-preview.js';
import { gpuLost, initBackend, type BackendChoice, type BackendName } from './backend.js';
import { itemProgress, type RunEvent } from './events.js';
import { Executor } from './executor.js';
import { itemAndFinal, runPipeline, type ItemPool, type PipelineRun, type RunHost } from './run.js';
import { trainInWorker, type TrainEvent, type TrainImage, type TrainOutcome, type TrainSettings } from './train-worker.js';

export type { TrainEvent, TrainImage, TrainOutcome, TrainSettings };

export type BackendSetting = 'auto' | BackendName;

/** What the page gets back from a run on one item: the run, with downscaled bitmaps of its image outputs. */
export type LabRun = PipelineRun & {
  /** Node id -> port -> bitmap, made here so the page only draws them. */
  previews: Record<string, Record<string, ImageBitmap>>;
  /** Set when the GPU went away and the run was redone on this backend instead. */
  fellBackTo?: BackendChoice;
};

/** Workers that share out a dataset run's per-item phase (src/ui/run/item-pool.ts), kept between runs so each loads its models once. */
export interface DatasetPool extends ItemPool {
  readonly backend: BackendName;
  /** Items of the run in flight that failed so far (for its progress). */
  readonly failed: number;
  /** The next runItems stops every worker when `signal` fires (and rejects with RunAborted once they all have). */
  cancelOn(signal: AbortSignal): void;
  clearCache(): Promise<void>;
  stats(): Promise<unknown[]>;
}

/** What a dataset pool gets from this worker: its backend, base URL, and its executor and IO (this worker is one of the pool). */
export interface DatasetPoolHost {
  backend: BackendName;
  baseUrl: string;
  executor: Executor;
  io: HostIO;
  registry: NodeRegistry;
}

export interface LabWorkerOptions {
  /** A pool of `size` for dataset runs: this worker and size - 1 others; without it, dataset runs use this worker alone. */
  startDatasetPool?: (size: number, host: DatasetPoolHost) => Promise<DatasetPool>;
}

/** The worker's API over `registry`'s node types (the page's worker entry exposes it with comlink). */
export function createLabWorker(registry: NodeRegistry, options: LabWorkerOptions = {}) {
  const executor = new Executor();
  /** The dataset run in flight: interactive runs wait for it (one executor, one tfjs backend). */
  let dataset: { controller: AbortController; done: Promise<unknown> } | undefined;
  let io: HostIO | undefined;
  let backend: BackendChoice | undefined;
  let current: { controller: AbortController; done: Promise<unknown> } | undefined;
  /** Why the current GPU backend's device went away, once it has. */
  let lost: string | undefined;
  let baseUrl = '';
  let pool: DatasetPool | undefined;

  /**
   * The dataset pool of `size` workers on this worker's backend (started, or restarted at another
   * size or backend); none for one worker or on a GPU backend, whose one device this worker has.
   */
  async function datasetPool(size: number): Promise<DatasetPool | undefined> {
    const name = backend?.name;
    if (size < 2 || !options.startDatasetPool || (name !== 'wasm' && name !== 'cpu')) return undefined;
    if (pool?.size === size && pool.backend === name) return pool;
    await pool?.close();
    pool = undefined;
    pool = await options.startDatasetPool(size, { backend: name, baseUrl, executor, io: io!, registry });
    return pool;
  }

  /** Watch the backend just initialised for the loss of its GPU. */
  function watchGpu(): void {
    lost = undefined;
    const name = tf.getBackend();
    void gpuLost().then((why) => {
      if (tf.getBackend() === name) lost = why;
    });
  }

  /**
   * After a GPU loss: switch to wasm (cpu if that fails) and drop the cache, since outputs computed
   * while the device was going may be wrong. Returns the new choice, or undefined if nothing was lost.
   */
  async function fallBackIfLost(): Promise<BackendChoice | undefined> {
    if (!lost) return undefined;
    const why = lost;
    const from = backend?.name;
    const next = await initBackend('wasm');
    backend = { name: next.name, reason: `${why} on ${from}; fell back to ${next.name}` };
    watchGpu();
    executor.cache.clear();
    return backend;
  }

  /** The lab's one executor, IO and backend, as runPipeline takes them. */
  const host: RunHost = {
    prepare: async () => {
      if (!io || !backend) throw new Error('worker used before init()');
      return { executor, io, backend };
    },
  };

  /** Free a comlink proxy the page passed as a callback (its message port). */
  function releaseCallback(callback: unknown): void {
    (callback as Partial<Comlink.Remote<unknown>>)[Comlink.releaseProxy]?.();
  }

  /**
   * Long work (a dataset run, a training run) in the dataset slot: the interactive run in flight is
   * cancelled, later ones wait for it, cancelDataset aborts it. Afterwards, the fallback backend
   * if the GPU went away meanwhile; the page's callback proxy is freed.
   */
  async function inDatasetSlot<T>(start: (signal: AbortSignal) => Promise<T>, callback: unknown): Promise<{ outcome: T; fellBack?: BackendChoice }> {
    await api.cancel();
    await dataset?.done.catch(() => undefined);
    const controller = new AbortController();
    const work = start(controller.signal);
    dataset = { controller, done: work };
    try {
      const outcome = await work;
      return { outcome, fellBack: await fallBackIfLost() };
    } finally {
      if (dataset?.done === work) dataset = undefined;
      releaseCallback(callback);
    }
  }

  const api = {
    /** Initialise (or switch) the tfjs backend; switching clears the cache so results are recomputed on the new one. */
    async init(opts: { backend: BackendSetting; baseUrl: string }): Promise<BackendChoice> {
      io = createBrowserIO({ baseUrl: opts.baseUrl });
      baseUrl = opts.baseUrl;
      await api.cancel();
      const previous = backend?.name;
      backend = await initBackend(opts.backend === 'auto' ? undefined : opts.backend);
      watchGpu();
      if (previous !== backend.name) executor.cache.clear();
      return backend;
    },

    /** Run a pipeline on one item (or on none: sources then use their own params). A new run cancels the one in flight. */
    async run(pipeline: Pipeline, item: RunItem | undefined, onEvent: (e: RunEvent) => void): Promise<LabRun> {
      await api.cancel();
      await dataset?.done.catch(() => undefined);
      const controller = new AbortController();
      const once = () => runPipeline(pipeline, item ? [item] : [], { host, registry, signal: controller.signal, onEvent: (e) => void onEvent(e), retain: 'all' });
      const done = (async (): Promise<LabRun> => {
        const first = await once();
        const fellBackTo = first.status === 'cancelled' ? undefined : await fallBackIfLost();
        // The GPU went away during the run: redo it on the fallback backend.
        return fellBackTo ? { ...(await once()), previews: {}, fellBackTo } : { ...first, previews: {} };
      })();
      current = { controller, done };
      try {
        const outcome = await done;
        outcome.previews = await outputPreviews(itemAndFinal(outcome).outputs);
        return Comlink.transfer(outcome, Object.values(outcome.previews).flatMap((ports) => Object.values(ports)));
      } finally {
        if (current?.done === done) current = undefined;
        releaseCallback(onEvent);
      }
    },

    /** Abort the run in flight (it stops at the next node boundary or when its kernel checks the signal). */
    async cancel(): Promise<void> {
      const running = current;
      if (!running) return;
      running.controller.abort();
      await running.done.catch(() => undefined);
    },

    /**
     * Run a pipeline over a dataset: the per-item phase on every item (items read by URL, e.g.
     * blob: URLs of picked files), then the aggregate nodes. Progress: items finished so far.
     * With `workers` > 1 on wasm or cpu, the items are shared out over a pool of that many workers.
     */
    async runDataset(pipeline: Pipeline, items: RunItem[], onProgress: (done: number, total: number, failed: number) => void, workers = 1): Promise<PipelineRun> {
      if (!io || !backend) throw new Error('worker used before init()');
      const { outcome, fellBack } = await inDatasetSlot(async (signal) => {
        const onEvent = itemProgress((finished, failed) => onProgress(finished, items.length, failed));
        const itemPool = await datasetPool(Math.min(workers, items.length));
        itemPool?.cancelOn(signal);
        // as itemProgress: at most every 100 ms (each report re-renders the page's progress)
        let last = 0;
        const onItems = itemPool && ((done: number) => {
          if (performance.now() - last < 100) return;
          last = performance.now();
          onProgress(done, items.length, itemPool.failed);
        });
        const run = await runPipeline(pipeline, items, { host, registry, signal, onEvent, pool: itemPool, onItems });
        onProgress(items.length, items.length, run.items.filter((r) => r.error).length);
        return run;
      }, onProgress);
      // Results from a device that went away mid-run are not trusted: say so, and the next run uses the fallback.
      return fellBack ? { ...outcome, status: 'error', final: {}, error: { message: `${fellBack.reason}: run the dataset again` } } : outcome;
    },

    /** Start the dataset pool ahead of a run (when a dataset is picked), so its workers start while the user sets the run up. */
    async warmDatasetPool(workers: number): Promise<void> {
      if (!dataset) await datasetPool(workers);
    },

    cancelDataset(): void {
      dataset?.controller.abort();
    },

    /** Destroy the WebGPU device (what a driver reset or a GPU unplugged does), to check the fallback; false off webgpu. */
    simulateGpuLoss(): boolean {
      const device = (tf.backend() as unknown as { device?: { destroy(): void } }).device;
      if (tf.getBackend() !== 'webgpu' || !device) return false;
      device.destroy();
      return true;
    },

    /**
     * Train the gate or fusion node `nodeId` of `pipeline` on the picked images, on this worker's
     * backend: the cache pass, then the triplet training loop. Events: cache progress, one log per
     * epoch. Occupies the dataset slot (interactive runs wait for it); cancelTrain stops it.
     * Returns the weights as `faceflow train` writes them (manifest + .bin).
     */
    async train(pipeline: Pipeline, nodeId: string, images: TrainImage[], settings: TrainSettings, onEvent: (e: TrainEvent) => void): Promise<TrainOutcome> {
      if (!io || !backend) throw new Error('worker used before init()');
      const env = { executor, io, backend, registry };
      const { outcome, fellBack } = await inDatasetSlot((signal) => trainInWorker(env, pipeline, nodeId, images, settings, (e) => void onEvent(e), signal), onEvent);
      if (fellBack) return { ...outcome, status: 'error', weights: undefined, error: `${fellBack.reason}: train again` };
      return outcome.weights ? Comlink.transfer(outcome, [outcome.weights.bin.buffer as ArrayBuffer]) : outcome;
    },

    /** Stop the training run (the dataset slot's work). */
    cancelTrain(): void {
      api.cancelDataset();
    },

    async clearCache(): Promise<void> {
      executor.cache.clear();
      await pool?.clearCache();
    },

    /** What each worker of the dataset pool has done (none before a pooled run): for tests and `faceflowDebug`. */
    async datasetPoolStats(): Promise<unknown[]> {
      return (await pool?.stats()) ?? [];
    },
  };

  return api;
}

export type LabWorkerApi = ReturnType<typeof createLabWorker>;
