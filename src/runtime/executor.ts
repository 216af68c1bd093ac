import * as tf from '@tensorflow/tfjs';
import type { HostIO, KernelContext, RunItem } from '../graph/node-definition.js';
import type { Plan, PlanStep } from '../graph/compile.js';
import { heldModelTensors } from '../models/held-tensors.js';
import { OutputCache } from './cache.js';
import type { RunEvent } from './events.js';
import { hashKey, stableStringify } from '../util/hash.js';

export type NodeOutputs = Record<string, unknown>;

export interface RunOptions {
  io: HostIO;
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** Keep every node's outputs for every item ('all', for inspection) or only what sinks and aggregates need. */
  retain?: 'all' | 'sinks';
  /** With retain 'sinks': also keep these nodes' outputs. */
  keep?: string[];
}

export interface ItemResult {
  index: number;
  name: string;
  /** Outputs per node id (what `retain` kept). */
  outputs: Record<string, NodeOutputs>;
  /** Cache keys per node id, so the final phase can key aggregates by their inputs. */
  keys: Record<string, string>;
  reports: Record<string, Record<string, unknown>>;
  /** Milliseconds each node took on this item (0 when cached). */
  ms: Record<string, number>;
  error?: { nodeId: string; message: string };
}

export interface NodeTiming {
  ms: number;
  runs: number;
  cached: number;
}

export interface RunResult {
  backend: string;
  items: ItemResult[];
  /** Outputs of the final-phase nodes (aggregates and what follows them). */
  final: Record<string, NodeOutputs>;
  finalReports: Record<string, Record<string, unknown>>;
  timings: Record<string, NodeTiming>;
}

export class RunAborted extends Error {
  constructor() {
    super('run cancelled');
    this.name = 'AbortError';
  }
}

/** A node failed; the message names the node and, for item nodes, the item. */
export class NodeError extends Error {
  /**
   * True when the failure is a bug in the code (a TypeError or ReferenceError in a kernel, a
   * leaked tensor, a missing output) rather than a problem with what the node was given.
   */
  readonly internal: boolean;

  constructor(readonly nodeId: string, message: string, readonly itemName?: string, cause?: unknown) {
    const rest = itemName && message.startsWith(`${itemName}: `) ? message.slice(itemName.length + 2) : message;
    super(itemName ? `${itemName}: node "${nodeId}": ${rest}` : `node "${nodeId}": ${rest}`);
    this.name = 'NodeError';
    this.internal = cause === undefined || cause instanceof TypeError || cause instanceof ReferenceError || cause instanceof SyntaxError && !/JSON/.test(cause.message);
  }
}

/**
 * Runs compiled plans. Item steps are mapped over the run's items; final steps run once.
 * Every node output is cached under a key made of the node's type and params and its
 * inputs' keys, so after an edit only the edited node and what is downstream of it run again.
 */
export class Executor {
  readonly cache: OutputCache;

  constructor(cache = new OutputCache()) {
    this.cache = cache;
  }

  async run(plan: Plan, items: RunItem[], opts: RunOptions): Promise<RunResult> {
    const timings: Record<string, NodeTiming> = {};
    const itemResults = await this.runItems(plan, items, opts, timings);
    const { final, finalReports } = await this.runFinal(plan, itemResults, items, opts, timings);
    return { backend: tf.getBackend(), items: itemResults, final, finalReports, timings };
  }

  /** The per-item phase. With no items, item steps run once with no current item. */
  async runItems(plan: Plan, items: RunItem[], opts: RunOptions, timings: Record<string, NodeTiming> = {}): Promise<ItemResult[]> {
    const steps = plan.steps.filter((s) => s.phase === 'items');
    const runItems: (RunItem | undefined)[] = items.length ? items : [undefined];
    const needed = neededOutputs(plan, opts.retain ?? 'all', opts.keep);
    const results: ItemResult[] = [];
    for (let index = 0; index < runItems.length; index++) {
      const item = runItems[index];
      const result: ItemResult = { index, name: item?.name ?? '', outputs: {}, keys: {}, reports: {}, ms: {} };
      const live: Record<string, NodeOutputs> = {};
      for (const step of steps) {
        await yieldToEventLoop();
        checkAborted(opts.signal);
        const inputs = gatherInputs(step, live);
        const key = cacheKey(step, (ref) => result.keys[ref], item ? `item:${item.id}` : 'noitem');
        result.keys[step.nodeId] = key;
        const t0 = performance.now();
        try {
          live[step.nodeId] = await this.execute(step, key, inputs, { item, items: runItems.length, index }, opts, timings, result.reports);
          result.ms[step.nodeId] = performance.now() - t0;
        } catch (e) {
          if (e instanceof RunAborted) throw e;
          const message = (e as Error).message ?? String(e);
          opts.onEvent?.({ kind: 'error', nodeId: step.nodeId, item: index, items: runItems.length, message });
          result.error = { nodeId: step.nodeId, message };
          break;
        }
        if (needed.has(step.nodeId)) result.outputs[step.nodeId] = live[step.nodeId];
      }
      results.push(result);
    }
    return results;
  }

  /** The final phase: aggregates see arrays over the items that succeeded; item steps after them run once. */
  async runFinal(plan: Plan, itemResults: ItemResult[], items: RunItem[], opts: RunOptions, timings: Record<string, NodeTiming> = {}) {
    const final: Record<string, NodeOutputs> = {};
    const finalReports: Record<string, Record<string, unknown>> = {};
    const ok = itemResults.filter((r) => !r.error);
    const okItems = ok.map((r) => items[r.index]).filter((x): x is RunItem => !!x);
    const finalKeys: Record<string, string> = {};
    for (const step of plan.steps.filter((s) => s.phase === 'final')) {
      await yieldToEventLoop();
      checkAborted(opts.signal);
      const inputs: Record<string, unknown> = {};
      const upstreamKeys: Record<string, string> = {};
      for (const [port, ref] of Object.entries(step.inputs)) {
        if (Object.hasOwn(final, ref.node)) {
          inputs[port] = final[ref.node][ref.port];
          upstreamKeys[ref.node] = finalKeys[ref.node];
        } else {
          inputs[port] = ok.map((r) => r.outputs[ref.node]?.[ref.port]);
          upstreamKeys[ref.node] = hashKey(ok.map((r) => r.keys[ref.node]).join('|'));
        }
      }
      const key = cacheKey(step, (ref) => upstreamKeys[ref], 'final');
      finalKeys[step.nodeId] = key;
      final[step.nodeId] = await this.execute(step, key, inputs, { items: 1, index: undefined, all: okItems }, opts, timings, finalReports);
    }
    return { final, finalReports };
  }

  private async execute(
    step: PlanStep,
    key: string,
    inputs: Record<string, unknown>,
    at: { item?: RunItem; items: number; index?: number; all?: RunItem[] },
    opts: RunOptions,
    timings: Record<string, NodeTiming>,
    reports: Record<string, Record<string, unknown>>,
  ): Promise<NodeOutputs> {
    const timing = (timings[step.nodeId] ??= { ms: 0, runs: 0, cached: 0 });
    const cached = this.cache.get(key, step.def.type);
    if (cached) {
      timing.cached++;
      const report = cached.__report as Record<string, unknown> | undefined;
      if (report) reports[step.nodeId] = report;
      opts.onEvent?.({ kind: 'done', nodeId: step.nodeId, item: at.index, items: at.items, ms: 0, cached: true });
      return cached;
    }
    opts.onEvent?.({ kind: 'start', nodeId: step.nodeId, item: at.index, items: at.items });
    let report: Record<string, unknown> | undefined;
    const ctx: KernelContext = {
      nodeId: step.nodeId,
      signal: opts.signal ?? new AbortController().signal,
      backend: tf.getBackend(),
      item: at.item,
      items: at.all,
      io: opts.io,
      progress: (fraction) => opts.onEvent?.({ kind: 'progress', nodeId: step.nodeId, fraction }),
      report: (summary) => {
        report = { ...report, ...summary };
      },
    };
    const tensorsBefore = tf.memory().numTensors;
    const heldBefore = heldModelTensors();
    const t0 = performance.now();
    let outputs: NodeOutputs;
    try {
      outputs = await step.def.kernel(inputs, step.params, ctx);
    } catch (e) {
      if (opts.signal?.aborted) throw new RunAborted();
      throw new NodeError(step.nodeId, (e as Error)?.message ?? String(e), at.item?.name, e ?? new Error(String(e)));
    }
    const ms = performance.now() - t0;
    // weights a model cache loaded during this call stay alive on purpose (src/models/held-tensors.ts)
    const leaked = tf.memory().numTensors - tensorsBefore - (heldModelTensors() - heldBefore);
    if (leaked > 0) throw new NodeError(step.nodeId, `kernel leaked ${leaked} tensor(s)`, at.item?.name);
    for (const port of Object.keys(step.def.outputs)) {
      if (!(port in outputs)) throw new NodeError(step.nodeId, `kernel did not produce output "${port}"`, at.item?.name);
    }
    timing.ms += ms;
    timing.runs++;
    if (report) reports[step.nodeId] = report;
    this.cache.set(key, report ? { ...outputs, __report: report } : outputs, step.def.type);
    opts.onEvent?.({ kind: 'done', nodeId: step.nodeId, item: at.index, items: at.items, ms, cached: false });
    return outputs;
  }
}

/**
 * Let queued messages run between nodes: kernels on wasm/cpu rarely yield to the event loop,
 * so without this a cancel sent to a worker would only arrive after the whole run.
 */
function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function checkAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new RunAborted();
}

function gatherInputs(step: PlanStep, live: Record<string, NodeOutputs>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [port, ref] of Object.entries(step.inputs)) inputs[port] = live[ref.node]?.[ref.port];
  return inputs;
}

function cacheKey(step: PlanStep, upstreamKey: (nodeId: string) => string, itemKey: string): string {
  const upstream = Object.entries(step.inputs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([port, ref]) => `${port}=${upstreamKey(ref.node)}.${ref.port}`)
    .join(',');
  const sourceKey = Object.keys(step.def.inputs).length === 0 ? itemKey : '';
  return hashKey(`${step.def.type}|${stableStringify(step.params)}|${upstream}|${sourceKey}`);
}

/** Nodes whose per-item outputs must be kept: all of them, or the sinks plus whatever feeds the final phase. */
function neededOutputs(plan: Plan, retain: 'all' | 'sinks', keep: string[] = []): Set<string> {
  const needed = new Set<string>(keep);
  for (const step of plan.steps) {
    if (retain === 'all' || (step.sink && step.phase === 'items')) needed.add(step.nodeId);
    if (step.phase === 'final') for (const ref of Object.values(step.inputs)) needed.add(ref.node);
  }
  return needed;
}
