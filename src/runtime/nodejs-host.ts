import os from 'node:os';
import { createNodeIO } from '../io/nodejs-io.js';
import { initBackend, type BackendChoice, type BackendName } from './backend.js';
import { nodeOutputCache } from './disk-cache-nodejs.js';
import { Executor } from './executor.js';
import { WorkerPool } from './pool.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { RunHost, RunPipelineOptions } from './run.js';

export function defaultWorkers(): number {
  return os.availableParallelism();
}

/**
 * Images per lockstep chunk when the caller names none: on a GPU enough to keep it busy; on
 * wasm/cpu a few (MTCNN's stages on 4-8 images at once cost ~6% less per image on one thread,
 * `npm run bench -- speed`; more would only hold more images in memory).
 */
export function defaultBatch(backend: string): number {
  return backend === 'webgpu' || backend === 'webgl' ? 16 : 4;
}

/**
 * Runs in a Node process (the CLI, eval, training, benches): files through the file access
 * policy, the output cache of FACEFLOW_NODE_CACHE (made on first use, so settings made before
 * the first run apply), worker threads for the per-item phase.
 */
export function nodejsHost(opts: { backend?: BackendName; modelDir?: string } = {}): RunHost {
  let ready: Promise<{ executor: Executor; io: ReturnType<typeof createNodeIO>; backend: BackendChoice }> | undefined;
  return {
    prepare: (registry) => (ready ??= (async () => ({ executor: new Executor(nodeOutputCache(registry)), io: createNodeIO({ modelDir: opts.modelDir }), backend: await initBackend(opts.backend) }))()),
    startPool: (size, registry) => WorkerPool.start(size, { backend: opts.backend, modelDir: opts.modelDir, registry }),
    defaultWorkers: defaultWorkers(),
    defaultBatch,
  };
}

/** What the CLI, eval, training and benches say about a run in Node. */
export interface NodejsRunOptions extends Omit<RunPipelineOptions, 'host'> {
  backend?: BackendName;
  modelDir?: string;
  registry: NodeRegistry;
}

/** runPipeline's options for a run in this process: a fresh host (executor and cache) per call, as each run keeps its own. */
export function nodejsRun(opts: NodejsRunOptions): RunPipelineOptions {
  const { backend, modelDir, ...rest } = opts;
  return { ...rest, host: nodejsHost({ backend, modelDir }) };
}
