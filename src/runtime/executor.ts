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
  /** Items run in lockstep per chunk (default 1): nodes with a batch kernel then see that many items at once. */
  batch?: number;
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

  /**
   * The per-item phase. With no items, item steps run once with no current item. Items go through
   * in chunks of `opts.batch` (default 1) in lockstep, node by node: a node with a batch kernel
   * then runs once on the chunk's items (e.g. one network call on the faces of several images).
   */
  async runItems(plan: Plan, items: RunItem[], opts: RunOptions, timings: Record<string, NodeTiming> = {}): Promise<ItemResult[]> {
    const runItems: (RunItem | undefined)[] = items.length ? items : [undefined];
    const chunk = Math.max(1, Math.floor(opts.batch ?? 1));
    const steps = plan.steps.filter((s) => s.phase === 'items');
    const needed = neededOutputs(plan, opts.retain ?? 'all', opts.keep);
    const results: ItemResult[] = [];
    for (let start = 0; start < runItems.length; start += chunk) {
      const lanes = runItems.slice(start, start + chunk).map((item, k): Lane => ({
        item, index: start + k, live: {}, result: { index: start + k, name: item?.name ?? '', outputs: {}, keys: {}, reports: {}, ms: {} },
      }));
      await this.runLanes(steps, needed, lanes, runItems.length, opts, timings);
      results.push(...lanes.map((l) => l.result));
    }
    return results;
  }

  /** Every item step over a chunk's lanes; a lane whose node fails stops there with its error. */
  private async runLanes(steps: PlanStep[], needed: Set<string>, lanes: Lane[], total: number, opts: RunOptions, timings: Record<string, NodeTiming>): Promise<void> {
    for (const step of steps) {
      const todo: { lane: Lane; key: string; inputs: Record<string, unknown> }[] = [];
      for (const lane of lanes.filter((l) => !l.result.error)) {
        await yieldToEventLoop();
        checkAborted(opts.signal);
        const key = cacheKey(step, (ref) => lane.result.keys[ref], lane.item ? `item:${lane.item.id}` : 'noitem');
        lane.result.keys[step.nodeId] = key;
        todo.push({ lane, key, inputs: gatherInputs(step, lane.live) });
      }
      // a batch kernel runs once on the lanes whose output is not cached
      const batchable = !!step.def.batchKernel && todo.length > 1;
      const cached = new Map(batchable ? todo.map((t) => [t, this.fromCache(step, t.key, { items: total, index: t.lane.index }, opts, timings, t.lane.result.reports)]) : []);
      const fresh = todo.filter((t) => !cached.get(t));
      const batched = batchable && fresh.length > 1 ? await this.executeBatch(step, fresh, total, opts, timings) : undefined;
      for (const t of todo) {
        const { lane } = t;
        const at = { item: lane.item, items: total, index: lane.index };
        const t0 = performance.now();
        try {
          const hit = cached.get(t);
          const done = batched?.get(t);
          lane.live[step.nodeId] = hit ?? done?.outputs ?? (await this.execute(step, t.key, t.inputs, at, opts, timings, lane.result.reports));
          lane.result.ms[step.nodeId] = hit ? 0 : done ? done.ms : performance.now() - t0;
        } catch (e) {
          if (e instanceof RunAborted) throw e;
          const message = (e as Error).message ?? String(e);
          opts.onEvent?.({ kind: 'error', nodeId: step.nodeId, item: lane.index, items: total, message });
          lane.result.error = { nodeId: step.nodeId, message };
          continue;
        }
        if (needed.has(step.nodeId)) lane.result.outputs[step.nodeId] = lane.live[step.nodeId];
      }
    }
  }

  /**
   * One batch-kernel call on several lanes' inputs; each lane's outputs are cached and reported as
   * if its item had run alone. When the call fails, nothing is returned: the lanes then run one by
   * one, so the failure lands on the item that caused it.
   */
  private async executeBatch(
    step: PlanStep, lanes: { lane: Lane; key: string; inputs: Record<string, unknown> }[], total: number, opts: RunOptions, timings: Record<string, NodeTiming>,
  ): Promise<Map<object, { outputs: NodeOutputs; ms: number }> | undefined> {
    for (const { lane } of lanes) opts.onEvent?.({ kind: 'start', nodeId: step.nodeId, item: lane.index, items: total });
    const { ctx } = this.kernelContext(step, opts, {});
    const leaked = tensorWatch();
    const t0 = performance.now();
    let outs: { outputs: NodeOutputs; report?: Record<string, unknown> }[];
    try {
      outs = await step.def.batchKernel!(lanes.map((l) => l.inputs), step.params, ctx);
    } catch {
      if (opts.signal?.aborted) throw new RunAborted();
      return undefined;
    }
    const ms = (performance.now() - t0) / lanes.length;
    if (leaked() > 0) throw new NodeError(step.nodeId, `batch kernel leaked ${leaked()} tensor(s)`);
    if (outs.length !== lanes.length) throw new NodeError(step.nodeId, `batch kernel gave ${outs.length} results for ${lanes.length} items`);
    const done = new Map<object, { outputs: NodeOutputs; ms: number }>();
    lanes.forEach((l, k) => {
      const { outputs, report } = outs[k];
      const at = { item: l.lane.item, items: total, index: l.lane.index };
      this.store(step, l.key, outputs, report, ms, at, opts, timings, l.lane.result.reports);
      done.set(l, { outputs, ms });
    });
    return done;
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
    const cached = this.fromCache(step, key, at, opts, timings, reports);
    if (cached) return cached;
    timings[step.nodeId] ??= { ms: 0, runs: 0, cached: 0 };
    opts.onEvent?.({ kind: 'start', nodeId: step.nodeId, item: at.index, items: at.items });
    const { ctx, report } = this.kernelContext(step, opts, at);
    const leaked = tensorWatch();
    const t0 = performance.now();
    let outputs: NodeOutputs;
    try {
      outputs = await step.def.kernel(inputs, step.params, ctx);
    } catch (e) {
      if (opts.signal?.aborted) throw new RunAborted();
      throw new NodeError(step.nodeId, (e as Error)?.message ?? String(e), at.item?.name, e ?? new Error(String(e)));
    }
    const ms = performance.now() - t0;
    if (leaked() > 0) throw new NodeError(step.nodeId, `kernel leaked ${leaked()} tensor(s)`, at.item?.name);
    this.store(step, key, outputs, report(), ms, at, opts, timings, reports);
    return outputs;
  }

  /** A kernel call's outputs, checked, counted, cached under `key` with its report, and announced. */
  private store(
    step: PlanStep, key: string, outputs: NodeOutputs, report: Record<string, unknown> | undefined, ms: number,
    at: { item?: RunItem; items: number; index?: number }, opts: RunOptions,
    timings: Record<string, NodeTiming>, reports: Record<string, Record<string, unknown>>,
  ): void {
    this.checkOutputs(step, outputs, at.item);
    const timing = (timings[step.nodeId] ??= { ms: 0, runs: 0, cached: 0 });
    timing.ms += ms;
    timing.runs++;
    if (report) reports[step.nodeId] = report;
    this.cache.set(key, report ? { ...outputs, __report: report } : outputs, step.def.type);
    opts.onEvent?.({ kind: 'done', nodeId: step.nodeId, item: at.index, items: at.items, ms, cached: false });
  }

  /** A cached output of this step (counted and announced as such), or undefined. */
  private fromCache(
    step: PlanStep, key: string, at: { items: number; index?: number }, opts: RunOptions,
    timings: Record<string, NodeTiming>, reports: Record<string, Record<string, unknown>>,
  ): NodeOutputs | undefined {
    const cached = this.cache.get(key, step.def.type);
    if (!cached) return undefined;
    (timings[step.nodeId] ??= { ms: 0, runs: 0, cached: 0 }).cached++;
    const report = cached.__report as Record<string, unknown> | undefined;
    if (report) reports[step.nodeId] = report;
    opts.onEvent?.({ kind: 'done', nodeId: step.nodeId, item: at.index, items: at.items, ms: 0, cached: true });
    return cached;
  }

  /** The context a kernel call gets, and the summary it reported (read after the call). */
  private kernelContext(step: PlanStep, opts: RunOptions, at: { item?: RunItem; all?: RunItem[] }): { ctx: KernelContext; report: () => Record<string, unknown> | undefined } {
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
    return { ctx, report: () => report };
  }

  private checkOutputs(step: PlanStep, outputs: NodeOutputs, item?: RunItem): void {
    for (const port of Object.keys(step.def.outputs)) {
      if (!(port in outputs)) throw new NodeError(step.nodeId, `kernel did not produce output "${port}"`, item?.name);
    }
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

/** One item's way through the per-item steps of a chunk. */
interface Lane {
  item?: RunItem;
  index: number;
  live: Record<string, NodeOutputs>;
  result: ItemResult;
}

/**
 * Tensors left behind since this call: a kernel's leak check. Weights a model cache loaded
 * meanwhile stay alive on purpose (src/models/held-tensors.ts) and do not count.
 */
function tensorWatch(): () => number {
  const tensors = tf.memory().numTensors;
  const held = heldModelTensors();
  return () => tf.memory().numTensors - tensors - (heldModelTensors() - held);
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
