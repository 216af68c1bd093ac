import os from 'node:os';
import type { Plan } from '../graph/compile';
import type { RunItem } from '../graph/node-definition';
import type { Pipeline } from '../graph/schema';
import { createNodeIO } from '../io/node-io';
import { initBackend, type BackendChoice, type BackendName } from './backend';
import { Executor, type ItemResult, type NodeOutputs, type NodeTiming } from './executor';
import { WorkerPool } from './pool';
import { nodeOutputCache } from './disk-cache-node';

export interface PipelineRunOptions {
  backend?: BackendName;
  workers?: number;
  modelDir?: string;
  /** Nodes whose per-item outputs are kept besides the sinks'. */
  keep?: string[];
  onItems?: (done: number, total: number) => void;
}

export interface PipelineRun {
  backend: BackendChoice;
  workers: number;
  items: ItemResult[];
  final: Record<string, NodeOutputs>;
  finalReports: Record<string, Record<string, unknown>>;
  timings: Record<string, NodeTiming>;
  seconds: number;
}

export function defaultWorkers(): number {
  return os.availableParallelism();
}

/**
 * Run a compiled pipeline on items: the per-item phase in-process (one worker, or one
 * item) or spread over worker_threads; the final phase (aggregates) in-process.
 */
export async function runPipeline(pipeline: Pipeline, plan: Plan, items: RunItem[], opts: PipelineRunOptions): Promise<PipelineRun> {
  const t0 = performance.now();
  const workers = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), items.length || 1));
  const io = createNodeIO({ modelDir: opts.modelDir });
  const executor = new Executor(nodeOutputCache());
  const backend = await initBackend(opts.backend);
  let itemResults: ItemResult[];
  let timings: Record<string, NodeTiming> = {};
  if (workers === 1) {
    itemResults = [];
    for (let i = 0; i < Math.max(items.length, 1); i++) {
      const slice = items.length ? [items[i]] : [];
      const [r] = await executor.runItems(plan, slice, { io, retain: 'sinks', keep: opts.keep }, timings);
      itemResults.push({ ...r, index: i });
      opts.onItems?.(i + 1, items.length);
    }
  } else {
    const pool = await WorkerPool.start(workers, { backend: opts.backend, modelDir: opts.modelDir });
    try {
      ({ results: itemResults, timings } = await pool.runItems(pipeline, items, (done) => opts.onItems?.(done, items.length), opts.keep));
    } finally {
      await pool.close();
    }
  }
  const { final, finalReports } = await executor.runFinal(plan, itemResults, items, { io }, timings);
  return { backend, workers, items: itemResults, final, finalReports, timings, seconds: (performance.now() - t0) / 1000 };
}
