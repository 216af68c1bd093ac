import * as tf from '@tensorflow/tfjs';
import { compilePipeline, GraphError } from '../graph/compile.js';
import { UserError } from '../graph/errors.js';
import type { HostIO, RunItem } from '../graph/node-definition.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { Pipeline } from '../graph/schema.js';
import type { BackendChoice } from './backend.js';
import type { RunEvent } from './events.js';
import { Executor, NodeError, RunAborted, type ItemResult, type NodeOutputs, type NodeTiming } from './executor.js';

/** What a run needs from where it runs (the lab's worker, a Node process): an executor, files, a backend, maybe threads. */
export interface RunHost {
  /** The executor (its cache), the IO and the backend, set up on first use. */
  prepare(registry: NodeRegistry): Promise<{ executor: Executor; io: HostIO; backend: BackendChoice }>;
  /** Node: start worker threads for the per-item phase. Without it items run in-process. */
  startPool?(size: number, registry: NodeRegistry): Promise<ItemPool>;
  /** Threads to use when the caller names none. */
  defaultWorkers?: number;
  /** Items per lockstep chunk on this backend when the caller names none (default 1). */
  defaultBatch?: (backend: string) => number;
}

/** Worker threads that run the per-item phase (src/runtime/pool.ts). */
export interface ItemPool {
  readonly size: number;
  runItems(pipeline: Pipeline, items: RunItem[], onItems?: (done: number) => void, keep?: string[], batch?: number): Promise<{ results: ItemResult[]; timings: Record<string, NodeTiming> }>;
  close(): Promise<void>;
}

export interface RunPipelineOptions {
  host: RunHost;
  registry: NodeRegistry;
  /** Worker threads for the per-item phase (needs host.startPool; default host.defaultWorkers, at most one per item). */
  workers?: number;
  /** Threads the caller started and keeps (e.g. across the parts of a long run); not closed here. */
  pool?: ItemPool;
  /** Keep every node's per-item outputs ('all', for inspection) or only the sinks' and what the final phase reads (default). */
  retain?: 'all' | 'sinks';
  /** With retain 'sinks': also keep these nodes' outputs. */
  keep?: string[];
  /**
   * Items run in lockstep, this many at a time (default: the host's defaultBatch): a node
   * with a batch kernel (MTCNN, MobileFaceNet) then runs once on all of them, which a GPU needs
   * to be busy.
   */
  batch?: number;
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  onItems?: (done: number, total: number) => void;
}

/** The one result of running a pipeline, wherever it ran. */
export interface PipelineRun {
  /**
   * done: the final phase ran; error: every item failed (the first failure) or a final-phase
   * node failed; invalid: the graph did not compile; cancelled: the signal fired.
   */
  status: 'done' | 'error' | 'cancelled' | 'invalid';
  backend: BackendChoice;
  workers: number;
  /** Per item, in item order (one entry for an item-less run); failed items carry `error`. */
  items: ItemResult[];
  /** Outputs of the final-phase nodes (aggregates and what follows them), per node id. */
  final: Record<string, NodeOutputs>;
  finalReports: Record<string, Record<string, unknown>>;
  timings: Record<string, NodeTiming>;
  /** The failing node (or the graph problem); `internal` when the failure is a bug in the code, not in what the node was given. */
  error?: { nodeId?: string; message: string; internal?: boolean };
  seconds: number;
  /** tf.memory().numTensors at the end (the lab shows it). */
  numTensors: number;
}

/**
 * Compile a pipeline and run it: the per-item phase (in-process, or over worker threads when
 * the host has them and more than one is asked for), then the final phase over the items that
 * succeeded. Failures come back as a status, never as a throw (bugs excepted).
 */
export async function runPipeline(pipeline: Pipeline, items: RunItem[], opts: RunPipelineOptions): Promise<PipelineRun> {
  const t0 = performance.now();
  const { executor, io, backend } = await opts.host.prepare(opts.registry);
  const canThread = !!(opts.pool || opts.host.startPool);
  const workers = opts.pool?.size ?? (canThread ? Math.max(1, Math.min(opts.workers ?? opts.host.defaultWorkers ?? 1, items.length || 1)) : 1);
  const timings: Record<string, NodeTiming> = {};
  const run: PipelineRun = { status: 'done', backend, workers, items: [], final: {}, finalReports: {}, timings, seconds: 0, numTensors: 0 };
  const finish = (patch: Partial<PipelineRun>): PipelineRun => ({ ...run, ...patch, seconds: (performance.now() - t0) / 1000, numTensors: tf.memory().numTensors });
  let plan;
  try {
    plan = compilePipeline(pipeline, opts.registry);
  } catch (e) {
    if (e instanceof GraphError) return finish({ status: 'invalid', error: { nodeId: e.issues[0]?.nodeId, message: e.message } });
    throw e;
  }
  const runOpts = { io, signal: opts.signal, onEvent: opts.onEvent, retain: opts.retain ?? 'sinks', keep: opts.keep };
  const batch = Math.max(1, Math.floor(opts.batch ?? opts.host.defaultBatch?.(backend.name) ?? 1));
  try {
    if (workers > 1 || opts.pool) {
      const pool = opts.pool ?? (await opts.host.startPool!(workers, opts.registry));
      try {
        const out = await pool.runItems(pipeline, items, (done) => opts.onItems?.(done, items.length), opts.keep, batch);
        run.items = out.results;
        Object.assign(timings, out.timings);
      } finally {
        if (!opts.pool) await pool.close();
      }
    } else {
      // `batch` items at a time, so progress is reported per chunk
      for (let i = 0; i < Math.max(items.length, 1); i += batch) {
        // events carry the item's place in the whole run, not in this call's chunk
        const onEvent = opts.onEvent && items.length
          ? (e: RunEvent) => opts.onEvent!(e.kind !== 'progress' && e.item !== undefined ? { ...e, item: i + e.item, items: items.length } : e)
          : opts.onEvent;
        const done = await executor.runItems(plan, items.slice(i, i + batch), { ...runOpts, onEvent, batch }, timings);
        done.forEach((r, k) => run.items.push({ ...r, index: i + k }));
        opts.onItems?.(Math.min(i + batch, items.length), items.length);
      }
    }
    for (const r of run.items) r.outputs = publicOutputs(r.outputs);
    const failed = run.items.find((r) => r.error);
    if (failed && run.items.every((r) => r.error)) return finish({ status: 'error', error: failed.error });
    const { final, finalReports } = await executor.runFinal(plan, run.items, items, runOpts, timings);
    return finish({ final: publicOutputs(final), finalReports });
  } catch (e) {
    if (e instanceof RunAborted) return finish({ status: 'cancelled' });
    if (e instanceof NodeError) {
      opts.onEvent?.({ kind: 'error', nodeId: e.nodeId, items: 1, message: e.message });
      return finish({ status: 'error', error: { nodeId: e.nodeId, message: e.message, internal: e.internal } });
    }
    throw e;
  }
}

/** Node outputs without the executor's internal entries (such as the cached __report). */
function publicOutputs(byNode: Record<string, NodeOutputs>): Record<string, NodeOutputs> {
  const out: Record<string, NodeOutputs> = {};
  for (const [id, o] of Object.entries(byNode)) out[id] = Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('__')));
  return out;
}

/** One item's outputs with the final phase's, and their reports: what the lab shows after running on one image. */
export function itemAndFinal(run: PipelineRun, index = 0): { outputs: Record<string, NodeOutputs>; reports: Record<string, Record<string, unknown>> } {
  const item = run.items[index];
  return { outputs: { ...item?.outputs, ...run.final }, reports: { ...item?.reports, ...run.finalReports } };
}

/**
 * For callers that report failed items themselves (the CLI, eval, training): throw when the run
 * failed beyond its items (the graph, a final-phase node) or was cancelled; else the run.
 */
export function throwIfRunFailed(run: PipelineRun): PipelineRun {
  if (run.status === 'cancelled') throw new RunAborted();
  if (run.status === 'done' || (run.status === 'error' && run.items.length && run.items.every((r) => r.error))) return run;
  const message = run.error?.message ?? 'run failed';
  throw run.error?.internal ? new Error(message) : new UserError(message);
}
