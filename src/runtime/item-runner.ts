import * as tf from '@tensorflow/tfjs';
import { compilePipeline } from '../graph/compile.js';
import type { HostIO, RunItem } from '../graph/node-definition.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { Pipeline } from '../graph/schema.js';
import { initBackend, type BackendChoice, type BackendName } from './backend.js';
import { rebuildRegistry } from './plugins.js';
import type { OutputCache } from './cache.js';
import { Executor, type ItemResult } from './executor.js';

export interface ItemRunnerInit {
  backend?: BackendName;
  modelDir?: string;
  /** URL of the module whose `registry` export lists the node types (a registry itself cannot cross threads). */
  registryModule: string;
  /** URLs of the plugin modules whose node types the parent added to that registry. */
  plugins?: readonly string[];
}

/**
 * What a worker (a worker_thread in the CLI) exposes: initialise once, then run the
 * per-item phase of a pipeline on a slice of the items.
 */
export function createItemRunner(makeIO: (opts: { modelDir?: string }) => HostIO, makeCache?: (registry: NodeRegistry) => OutputCache) {
  let executor: Executor | undefined;
  let io: HostIO | undefined;
  let choice: BackendChoice | undefined;
  let registry: NodeRegistry | undefined;
  return {
    async init(opts: ItemRunnerInit): Promise<BackendChoice> {
      registry = await rebuildRegistry(opts.registryModule, opts.plugins ?? []);
      executor = new Executor(makeCache?.(registry));
      choice = await initBackend(opts.backend);
      io = makeIO({ modelDir: opts.modelDir });
      return choice;
    },
    /** `batch`: items in lockstep per chunk (RunOptions.batch). */
    async runItems(pipeline: Pipeline, items: RunItem[], keep: string[] = [], batch = 1): Promise<{ results: ItemResult[]; timings: Record<string, { ms: number; runs: number; cached: number }>; numTensors: number }> {
      if (!io || !registry || !executor) throw new Error('item runner used before init()');
      const plan = compilePipeline(pipeline, registry);
      const timings = {};
      const results = await executor.runItems(plan, items, { io, retain: 'sinks', keep, batch }, timings);
      return { results, timings, numTensors: tf.memory().numTensors };
    },
  };
}

export type ItemRunner = ReturnType<typeof createItemRunner>;
