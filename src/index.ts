/**
 * faceflow-lab as a library (docs/library.md): load and validate presets, run them over images
 * as an async iterator, and add node types of your own, in-process or in worker threads.
 * Node only (files, worker_threads); the lab in the browser is the app, not this entry.
 */
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { NODE_DEFINITIONS, registry as builtinRegistry } from '../nodes/index.js';
import { loadPipeline } from './graph/load.js';
import type { AnyNodeDefinition, RunItem } from './graph/node-definition.js';
import { NodeRegistry } from './graph/registry.js';
import type { Pipeline } from './graph/schema.js';
import { UserError } from './graph/errors.js';
import { fileRunItem } from './eval/datasets-nodejs.js';
import { BUNDLED_PRESETS_DIR } from './io/file-policy-nodejs.js';
import type { BackendChoice, BackendName } from './runtime/backend.js';
import { RunAborted, type NodeOutputs } from './runtime/executor.js';
import { nodejsHost } from './runtime/nodejs-host.js';
import { withPlugins } from './runtime/plugins-nodejs.js';
import { applyParamOverrides, compileOrExplain, readPreset, resolvedPreset } from './runtime/preset.js';
import { runPipeline } from './runtime/run.js';

export { z } from 'zod';
export { defineNode, NODE_CATEGORIES } from './graph/node-definition.js';
export type { AnyNodeDefinition, HostIO, KernelContext, NodeCategory, NodeDefinition, PortSpec, RunItem } from './graph/node-definition.js';
export type { PortValueOf } from './graph/port-values.js';
export { PORT_TYPES, type PortType } from './graph/ports.js';
export type * from './graph/values.js';
export type { Pipeline, PipelineEdge, PipelineNode } from './graph/schema.js';
export { NodeRegistry } from './graph/registry.js';
export { UserError } from './graph/errors.js';
export { PluginError, pluginDefinitions } from './runtime/plugins.js';
export { RunAborted, type ItemResult, type NodeOutputs } from './runtime/executor.js';
export { runPipeline, type PipelineRun, type RunPipelineOptions } from './runtime/run.js';
export { nodejsHost, nodejsRun } from './runtime/nodejs-host.js';
export type { BackendChoice, BackendName } from './runtime/backend.js';
export { NODE_DEFINITIONS, builtinRegistry };

/** The bundled presets folder (baseline-mtcnn-facenet.json, ...), inside the installed package. */
export const PRESETS_DIR = BUNDLED_PRESETS_DIR;

/**
 * The built-in node types plus `nodes` defined in this thread. Such a registry runs pipelines
 * in-process (workers: 1); for worker threads load the nodes from a module with loadRegistry.
 */
export function createRegistry(nodes: readonly AnyNodeDefinition[] = []): NodeRegistry {
  return nodes.length ? new NodeRegistry([...NODE_DEFINITIONS, ...nodes]) : builtinRegistry;
}

/**
 * The built-in node types plus those exported by the plugin modules (paths relative to the
 * working directory, or file: URLs), as `faceflow --plugin` loads them; worker threads rebuild
 * the same registry. A bad plugin is a PluginError naming it.
 */
export function loadRegistry(opts: { plugins?: readonly string[]; base?: NodeRegistry } = {}): Promise<NodeRegistry> {
  return withPlugins(opts.base ?? builtinRegistry, opts.plugins ?? []);
}

export interface LoadPresetOptions {
  /** The node types it may use (default: the built-ins). */
  registry?: NodeRegistry;
  /** `nodeId.param=value` overrides, as the CLI's --param. */
  params?: readonly string[];
  /** For a document given as an object: the folder its relative weights paths are relative to (default: the working directory). */
  baseDir?: string;
}

/**
 * A preset from a file path or a parsed document: migrated from older versions, checked against
 * the schema and compiled against the registry (unknown types, ports, cycles, params). Errors are
 * UserErrors naming the file (or "preset") and the field.
 */
export async function loadPreset(source: string | object, opts: LoadPresetOptions = {}): Promise<Pipeline> {
  const registry = opts.registry ?? builtinRegistry;
  const label = typeof source === 'string' ? source : 'preset';
  const loaded = typeof source === 'string' ? await readPreset(source) : resolvedPreset(loadPipeline(source), label, path.resolve(opts.baseDir ?? '.'));
  const pipeline = applyParamOverrides(loaded, [...(opts.params ?? [])], registry);
  compileOrExplain(pipeline, label, registry);
  return pipeline;
}

/** An image to run: a file path, or a run item (bytes or a decoded image, with a stable id for the cache). */
export type ImageSource = string | RunItem;

export interface RunImagesOptions {
  /** The node types (default: the built-ins); with workers > 1, one from loadRegistry (or the built-ins). */
  registry?: NodeRegistry;
  /** Worker threads for the per-image work (default 1: in this thread). */
  workers?: number;
  backend?: BackendName;
  /** A folder searched first for model files. */
  modelDir?: string;
  /** Images handed to the engine at a time (default 8 per worker): results come back a batch at a time, and memory stays bounded by it. */
  batchSize?: number;
  /** Keep every node's outputs ('all') or only the sinks' (default) and `keep`'s. */
  retain?: 'all' | 'sinks';
  keep?: string[];
  signal?: AbortSignal;
}

/** One image's result: node outputs by node id and port (plain typed arrays, no tensors to dispose). */
export interface ImageResult {
  /** The image's place in the input sequence. */
  index: number;
  item: RunItem;
  outputs: Record<string, NodeOutputs>;
  reports: Record<string, Record<string, unknown>>;
  /** Milliseconds per node. */
  ms: Record<string, number>;
  backend: BackendChoice;
  /** Set when the pipeline failed on this image (the iteration goes on). */
  error?: { nodeId?: string; message: string };
}

/**
 * Run a pipeline over images, yielding each image's result in input order as its batch finishes.
 * The images may be an (async) iterable of any length: they are read as the results are consumed.
 * Worker threads are started once and closed when the loop ends, breaks or throws. Pipelines whose
 * nodes aggregate over all images (verify, enroll, ...) need the whole set: use runPipeline.
 * A fired signal ends the iteration with RunAborted.
 */
export async function* runImages(pipeline: Pipeline, images: Iterable<ImageSource> | AsyncIterable<ImageSource>, opts: RunImagesOptions = {}): AsyncGenerator<ImageResult, void, undefined> {
  const registry = opts.registry ?? builtinRegistry;
  const aggregates = compileOrExplain(pipeline, `preset "${pipeline.name}"`, registry).steps.filter((s) => s.phase === 'final').map((s) => s.nodeId);
  if (aggregates.length) throw new UserError(`runImages: ${aggregates.join(', ')} aggregate over all images; run the whole set with runPipeline`);
  const workers = Math.max(1, opts.workers ?? 1);
  const batchSize = Math.max(1, opts.batchSize ?? 8 * workers);
  const host = nodejsHost({ backend: opts.backend, modelDir: opts.modelDir });
  const pool = workers > 1 ? await host.startPool!(workers, registry) : undefined;
  try {
    let batch: RunItem[] = [];
    let first = 0;
    const runBatch = async function* () {
      const run = await runPipeline(pipeline, batch, { host, registry, pool, workers: 1, retain: opts.retain, keep: opts.keep, signal: opts.signal });
      if (run.status === 'cancelled') throw new RunAborted();
      if (run.status === 'invalid') throw new UserError(run.error!.message);
      for (const r of run.items) yield { index: first + r.index, item: batch[r.index], outputs: r.outputs, reports: r.reports, ms: r.ms, backend: run.backend, ...(r.error ? { error: r.error } : {}) };
      first += batch.length;
      batch = [];
    };
    for await (const image of images) {
      batch.push(typeof image === 'string' ? fileRunItem(image, path.basename(image), await statImage(image)) : image);
      if (batch.length >= batchSize) yield* runBatch();
    }
    if (batch.length) yield* runBatch();
  } finally {
    await pool?.close();
  }
}

async function statImage(file: string) {
  try {
    return await stat(file);
  } catch {
    throw new UserError(`${file}: no such image file`);
  }
}
