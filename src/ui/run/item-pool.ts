// The dataset run's pool: the compute worker itself (its models already loaded by the lab's run)
// and a few Web Workers (item-worker.ts), each with its own tfjs and models, sharing out the
// per-item phase. Workers join as soon as they have started, so a run never waits for them; the
// compute worker keeps the pool between runs (models load once per worker) and runs the final
// phase itself (runPipeline).
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { RunItem } from '../../graph/node-definition.js';
import type { Pipeline } from '../../graph/schema.js';
import type { BackendName } from '../../runtime/backend.js';
import type { DatasetPool, DatasetPoolHost } from '../../runtime/browser-worker.js';
import { RunAborted, type ItemResult, type NodeTiming } from '../../runtime/executor.js';
import { datasetSplit } from './dataset-split.js';
import { createItemRunner, type ItemRunnerStats } from './item-runner.js';
import type { ItemWorkerApi } from './item-worker.js';

/** The compute worker's output cache is 512 MB; each item worker gets its share of as much again. */
const POOL_CACHE_BYTES = 512 * 1024 * 1024;

type MemberStats = ItemRunnerStats & { worker: string; threads: number; isolated: boolean };

/** A pool member as the pool drives it: the compute worker's own runner, or an item worker's through comlink. */
interface Member {
  /** Resolves once the member can take items (an item worker: started; done with an item a run did not wait for). */
  ready: Promise<void>;
  /** The pipeline (JSON) whose models this member has loaded, once it has run an item of it. */
  warmFor?: string;
  /** The compute worker: its models are the lab's, and it runs the final phase next, so it is never left running an item. */
  local?: boolean;
  begin(pipeline: Pipeline, keep: string[]): unknown;
  runItems(items: RunItem[]): Promise<{ results: ItemResult[]; timings: Record<string, NodeTiming> }>;
  cancel(): unknown;
  clearCache(): unknown;
  stats(): MemberStats | Promise<MemberStats>;
}

/**
 * Member k owns a contiguous block of the items (so a rerun finds them in its cache) and takes
 * them in order; a member whose block is done takes from the end of the block with most left.
 */
function dealer(items: number, members: number): (k: number) => number | undefined {
  const blocks = Array.from({ length: members }, (_, k) => ({ next: Math.floor((k * items) / members), end: Math.floor(((k + 1) * items) / members) }));
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
  private readonly members: Member[] = [];
  private signal?: AbortSignal;
  failed = 0;

  private constructor(readonly size: number, readonly backend: BackendName) {}

  /** `size` members: the compute worker (over its executor) and size - 1 item workers, started now and joining when ready. */
  static async start(size: number, host: DatasetPoolHost): Promise<LabItemPool> {
    const { backend, baseUrl } = host;
    const local = createItemRunner(host.executor, host.io, host.registry);
    const pool = new LabItemPool(size, backend);
    const isolated = globalThis.crossOriginIsolated;
    pool.members.push({
      ...local,
      ready: Promise.resolve(),
      local: true,
      stats: () => ({ ...local.stats(), worker: 'compute', threads: tf.getBackend() === 'wasm' ? getThreadsCount() : 1, isolated }),
    });
    const { threads } = datasetSplit(navigator.hardwareConcurrency || 1, isolated, size);
    for (let i = 1; i < size; i++) {
      const worker = new Worker(new URL('./item-worker.ts', import.meta.url), { type: 'module', name: `faceflow-items-${i}` });
      const remote = Comlink.wrap<ItemWorkerApi>(worker);
      const ready = remote.init({ backend, baseUrl, threads, cacheBytes: Math.floor(POOL_CACHE_BYTES / (size - 1)) });
      ready.catch(() => undefined); // a start that fails is reported by the run that waits for it
      pool.workers.push(worker);
      pool.members.push({
        ready,
        begin: (pipeline, keep) => remote.begin(pipeline, keep),
        runItems: (items) => remote.runItems(items),
        cancel: () => remote.cancel(),
        clearCache: () => remote.clearCache(),
        stats: async () => ({ ...(await remote.stats()), worker: `items-${i}` }),
      });
    }
    return pool;
  }

  /** The next runItems stops every member when `signal` fires. */
  cancelOn(signal: AbortSignal): void {
    this.signal = signal;
  }

  /**
   * The per-item phase over all items, one or two items per call; results in item order. Item workers
   * still starting join when ready, or are not waited for once every item is taken. A member's
   * first item of a pipeline (loading its models: seconds) is shared: once the other items are
   * taken, another member runs it too and the first result counts, so a run never waits on a
   * cold member; that one finishes loading meanwhile and joins the next run warm. Once
   * cancelled, every member stops, then it rejects with RunAborted.
   */
  async runItems(pipeline: Pipeline, items: RunItem[], onItems?: (done: number) => void, keep: string[] = []): Promise<{ results: ItemResult[]; timings: Record<string, NodeTiming> }> {
    const signal = this.signal ?? new AbortController().signal;
    this.signal = undefined;
    this.failed = 0;
    // stop: cancelled, or a member failed (the others finish their item and stop too)
    let stop = false;
    let drained!: () => void;
    const allTaken = new Promise<false>((resolve) => (drained = () => resolve(false)));
    const halt = () => {
      stop = true;
      drained();
    };
    const cancel = () => {
      halt();
      for (const m of this.members) void m.cancel();
    };
    signal.addEventListener('abort', cancel);
    const results: ItemResult[] = new Array(items.length);
    const timings: Record<string, NodeTiming> = {};
    const deal = dealer(items.length, this.size);
    const warmKey = JSON.stringify(pipeline);
    /** Items in flight on a cold member, for others to run too once the blocks are empty; and how to tell that member its item is done. */
    const onCold: number[] = [];
    const rescue = new Map<number, () => void>();
    const take = (k: number) => {
      const i = stop ? undefined : (deal(k) ?? onCold.shift());
      if (i === undefined) drained();
      return i;
    };
    let done = 0;
    const work = async (m: Member, k: number) => {
      if (!(await Promise.race([m.ready.then(() => true), allTaken]))) return;
      await m.begin(pipeline, keep);
      for (let i = take(k); i !== undefined; i = take(k)) {
        const warm = m.warmFor === warmKey || m.local;
        // an item worker's next items are dealt here between the compute worker's own nodes, so a warm one gets two at a time
        const j = warm && !m.local ? take(k) : undefined;
        const batch = j === undefined ? [i] : [i, j];
        const call = m.runItems(batch.map((n) => items[n]));
        let out: Awaited<typeof call> | undefined;
        if (warm) out = await call;
        else {
          onCold.push(i);
          m.ready = call.then(() => void (m.warmFor = warmKey), () => undefined);
          out = await Promise.race([call, new Promise<undefined>((resolve) => rescue.set(i, () => resolve(undefined)))]);
          if (!out) return; // another member ran it; this one is still loading
          if (onCold.includes(i)) onCold.splice(onCold.indexOf(i), 1);
        }
        addTimings(timings, out.timings);
        out.results.forEach((r, n) => {
          const index = batch[n];
          if (results[index]) return; // a cold member's item that another one finished first
          results[index] = { ...r, index };
          rescue.get(index)?.();
          if (r.error) this.failed++;
          onItems?.(++done);
        });
      }
    };
    try {
      if (signal.aborted) throw new RunAborted();
      // every member settles before this returns or throws, so nothing runs on after a cancel
      const settled = await Promise.allSettled(this.members.map((m, k) => work(m, k).catch((e) => {
        halt();
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
    await Promise.all(this.members.map((m) => m.clearCache()));
  }

  stats(): Promise<MemberStats[]> {
    return Promise.all(this.members.map((m) => m.stats()));
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.terminate();
  }
}
