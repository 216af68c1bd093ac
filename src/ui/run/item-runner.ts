import type { HostIO, RunItem } from '../../graph/node-definition.js';
import type { NodeRegistry } from '../../graph/registry.js';
import type { Pipeline } from '../../graph/schema.js';
import { compilePipeline, type Plan } from '../../graph/compile.js';
import type { Executor, ItemResult, NodeTiming } from '../../runtime/executor.js';

/** What the pool reads back about a member: for the test that cancel stops every one, and `faceflowDebug.datasetPool()`. */
export interface ItemRunnerStats {
  busy: boolean;
  itemsRun: number;
}

/**
 * A pool member's side of a dataset run (an item worker's, or the compute worker's own): the
 * per-item phase over `executor` on the items it is dealt, one call at a time.
 */
export function createItemRunner(executor: Executor, io: HostIO, registry: NodeRegistry) {
  let current: { plan: Plan; keep: string[]; controller: AbortController } | undefined;
  const stats: ItemRunnerStats = { busy: false, itemsRun: 0 };
  return {
    /** A new run: compile its pipeline once; `keep` as runPipeline's (outputs the final phase reads). */
    begin(pipeline: Pipeline, keep: string[] = []): void {
      current = { plan: compilePipeline(pipeline, registry), keep, controller: new AbortController() };
    },

    /** A failed item carries its error; a cancel rejects with RunAborted. */
    async runItems(items: RunItem[]): Promise<{ results: ItemResult[]; timings: Record<string, NodeTiming> }> {
      if (!current) throw new Error('item runner used before begin()');
      const timings: Record<string, NodeTiming> = {};
      stats.busy = true;
      try {
        const results = await executor.runItems(current.plan, items, { io, signal: current.controller.signal, retain: 'sinks', keep: current.keep }, timings);
        stats.itemsRun += results.length;
        return { results, timings };
      } finally {
        stats.busy = false;
      }
    },

    /** Stop the item in flight at its next node boundary (or where its kernel checks the signal). */
    cancel(): void {
      current?.controller.abort();
    },

    clearCache(): void {
      executor.cache.clear();
    },

    stats(): ItemRunnerStats {
      return { ...stats };
    },
  };
}

export type ItemRunner = ReturnType<typeof createItemRunner>;
