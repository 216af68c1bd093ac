import * as Comlink from 'comlink';
import { registry } from '../../../nodes/index.js';
import type { RunItem } from '../../graph/node-definition.js';
import type { Pipeline } from '../../graph/schema.js';
import { validatePipeline } from '../../graph/validate.js';
import { isImageValue } from '../../graph/values.js';
import { setPreview } from '../views/image.js';
import { itemAndFinal, type PipelineRun } from '../../runtime/run.js';
import type { BackendSetting, LabWorkerApi, TrainEvent, TrainImage, TrainOutcome, TrainSettings } from '../../runtime/browser-worker.js';
import type { RunEvent } from '../../runtime/events.js';
import { runSignature } from '../../graph/edit.js';
import { everyFace } from './every-face.js';
import { datasetSplit } from './dataset-split.js';
import type { ScoresValue } from '../../eval/verify.js';
import type { VerificationMetrics } from '../../eval/metrics.js';
import { doc, lab, toast, type InputChoice, type NodeStatus } from '../state/store.js';

/** Where the bundled sample photos are served from (see the package-assets plugin). */
export const SAMPLE_DIR = 'pkg/@vladmandic/face-api/demo/';
export const SAMPLES = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];
export const BASE_URL = new URL(import.meta.env.BASE_URL, location.href).href;

const worker = new Worker(new URL('./compute-worker.ts', import.meta.url), { type: 'module', name: 'faceflow-compute' });
const api = Comlink.wrap<LabWorkerApi>(worker);

let ready: Promise<unknown> = Promise.resolve();
let runSeq = 0;

export function itemFor(input: InputChoice): RunItem {
  if (input.kind === 'sample') return { id: `sample:${input.name}`, name: input.name, path: `${SAMPLE_DIR}${input.name}` };
  return { id: input.id, name: input.name, bytes: input.bytes };
}

/** Switch the tfjs backend in the worker (which clears its cache) and re-run. */
export function setBackend(setting: BackendSetting): Promise<void> {
  lab.set({ backendSetting: setting, backendError: undefined });
  const step = ready.then(async () => {
    try {
      const choice = await api.init({ backend: setting, baseUrl: BASE_URL });
      lab.set({ backend: choice });
    } catch (e) {
      const message = (e as Error).message;
      lab.set({ backendError: message });
      toast(`Backend: ${message}`, 'error');
    }
  });
  ready = step;
  return step.then(() => runNow());
}

function nextStatus(prev: NodeStatus | undefined, e: RunEvent): NodeStatus {
  if (e.kind === 'start') return { state: 'running', progress: 0 };
  if (e.kind === 'progress') return { ...prev, state: 'running', progress: e.fraction };
  if (e.kind === 'done') return { state: e.cached ? 'cached' : 'done', ms: e.ms };
  return { state: 'error', message: e.message };
}

/** Events are applied once per frame, so a burst of them (cached nodes) costs one render. */
let queued: RunEvent[] = [];
function flushEvents(): void {
  if (!queued.length) return;
  const events = queued;
  queued = [];
  lab.set((s) => {
    const statuses = { ...s.statuses };
    for (const e of events) statuses[e.nodeId] = nextStatus(statuses[e.nodeId], e);
    return { statuses };
  });
}
function queueEvent(e: RunEvent): void {
  if (!queued.length) requestAnimationFrame(flushEvents);
  queued.push(e);
}

/** Validate, then run the document on the current input; statuses stream in per node. */
export async function runNow(): Promise<void> {
  clearTimeout(timer);
  lab.set({ pending: false });
  await ready;
  const seq = ++runSeq;
  const pipeline = everyFace(doc());
  const issues = validatePipeline(pipeline, registry);
  if (issues.length) {
    void api.cancel();
    const statuses: Record<string, NodeStatus> = {};
    for (const n of pipeline.nodes) statuses[n.id] = { state: 'idle' };
    for (const i of issues) if (i.nodeId) statuses[i.nodeId] = { state: 'invalid', message: statuses[i.nodeId]?.message ?? i.message };
    lab.set((s) => ({ runs: s.runs + 1, statuses, running: false, lastRun: { status: 'invalid', ms: 0, message: issues.map((i) => i.message).join('\n') } }));
    return;
  }
  if (!pipeline.nodes.length) {
    lab.set((s) => ({ runs: s.runs + 1, statuses: {}, outputs: {}, lastRun: { status: 'empty', ms: 0, message: 'the pipeline has no nodes: add one from the palette' } }));
    return;
  }
  queued = [];
  lab.set({ running: true, statuses: Object.fromEntries(pipeline.nodes.map((n) => [n.id, { state: 'queued' as const }])) });
  const onEvent = Comlink.proxy((e: RunEvent) => {
    if (seq === runSeq) queueEvent(e);
  });
  try {
    const outcome = await api.run(pipeline, itemFor(lab.get().input), onEvent);
    if (outcome.fellBackTo) {
      lab.set({ backend: outcome.fellBackTo });
      toast(`GPU lost: ${outcome.fellBackTo.reason}`, 'error');
    }
    if (seq !== runSeq) return;
    flushEvents();
    const shown = itemAndFinal(outcome);
    for (const [nodeId, ports] of Object.entries(outcome.previews)) {
      for (const [port, bitmap] of Object.entries(ports)) {
        const value = shown.outputs[nodeId]?.[port];
        if (isImageValue(value)) setPreview(value, bitmap);
      }
    }
    const leftover: NodeStatus['state'] = outcome.status === 'cancelled' ? 'idle' : 'skipped';
    const statuses = Object.fromEntries(
      Object.entries(lab.get().statuses).map(([id, st]) => [id, st.state === 'queued' || st.state === 'running' ? { state: leftover } : st]),
    );
    lab.set({ statuses });
    // Previews and views render in the next task, so the status update paints first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (seq !== runSeq) return;
    lab.set((s) => ({
      runs: s.runs + 1,
      running: false,
      outputs: shown.outputs,
      reports: shown.reports,
      lastRun: { status: outcome.status, ms: outcome.seconds * 1000, message: outcome.error?.message },
    }));
  } catch (e) {
    if (seq !== runSeq) return;
    const message = (e as Error).message;
    lab.set((s) => ({ runs: s.runs + 1, running: false, lastRun: { status: 'error', ms: 0, message } }));
    toast(`Run failed: ${message}`, 'error');
  }
}

/** Destroy the worker's WebGPU device, as a driver reset would (for checking the fallback; `faceflowDebug.loseGpu()` in the console). */
export function simulateGpuLoss(): Promise<boolean> {
  return api.simulateGpuLoss();
}

/** Drop every cached node output in the worker and run again from scratch (e.g. to time every node). */
export async function rerunFromScratch(): Promise<void> {
  await api.clearCache();
  await runNow();
}

/** Workers for a dataset run: 'auto' is datasetSplit's choice for this machine. */
export type DatasetWorkers = 'auto' | number;

export function datasetWorkerCount(choice: DatasetWorkers): number {
  return choice === 'auto' ? datasetSplit(navigator.hardwareConcurrency || 1, globalThis.crossOriginIsolated).workers : choice;
}

let lastDataset: PipelineRun | undefined;

/**
 * Run a pipeline over many items in the worker (after any backend switch), over a pool of
 * `workers` item workers on wasm/cpu (one: the compute worker alone); progress comes back per item.
 */
export async function runDatasetInWorker(pipeline: Pipeline, items: RunItem[], onProgress: (done: number, total: number, failed: number) => void, workers: DatasetWorkers = 'auto'): Promise<PipelineRun> {
  await ready;
  lastDataset = await api.runDataset(pipeline, items, Comlink.proxy(onProgress), datasetWorkerCount(workers));
  return lastDataset;
}

/** Start the dataset pool's workers ahead of a run (a dataset was picked). */
export async function warmDatasetPool(workers: DatasetWorkers = 'auto'): Promise<void> {
  await ready;
  await api.warmDatasetPool(datasetWorkerCount(workers));
}

/** The last dataset run in brief, with its per-pair scores (`faceflowDebug.lastDatasetRun()`: the browser tests and the lab-dataset bench compare them). */
export function lastDatasetRun() {
  if (!lastDataset) return undefined;
  const { status, workers, seconds, backend, items, final } = lastDataset;
  const values = Object.values(final).flatMap((o) => Object.values(o));
  // the verify node's scores (a pairs node's output has pairs too, without scores) and metrics
  const scores = values.find((v): v is ScoresValue => Array.isArray((v as ScoresValue | undefined)?.pairs) && !!(v as ScoresValue).thresholdMode);
  const metrics = values.find((v): v is VerificationMetrics => typeof (v as VerificationMetrics | undefined)?.auc === 'number');
  return {
    status, workers, seconds, backend: backend.name,
    errors: items.flatMap((r) => (r.error ? [r.error.message] : [])),
    pairs: scores?.pairs.map(({ a, b, score, same }) => ({ a, b, score, same })),
    accuracy: metrics?.accuracy.mean,
    auc: metrics?.auc,
  };
}

/** Per worker of the dataset pool: busy, items run, wasm threads, isolated (`faceflowDebug.datasetPool()`). */
export function datasetPoolStats(): Promise<unknown[]> {
  return api.datasetPoolStats();
}

/** Train a gate / fusion node in the worker (after any backend switch); events come back per cache item and per epoch. */
export async function trainInWorker(pipeline: Pipeline, nodeId: string, images: TrainImage[], settings: TrainSettings, onEvent: (e: TrainEvent) => void): Promise<TrainOutcome> {
  await ready;
  return api.train(pipeline, nodeId, images, settings, Comlink.proxy(onEvent));
}

export async function cancelTraining(): Promise<void> {
  await api.cancelTrain();
}

export async function cancelDatasetRun(): Promise<void> {
  await api.cancelDataset();
}

export async function cancelRun(): Promise<void> {
  await api.cancel();
}

let timer: ReturnType<typeof setTimeout> | undefined;
export function scheduleRun(delayMs = 250): void {
  clearTimeout(timer);
  lab.set({ pending: true });
  timer = setTimeout(() => void runNow(), delayMs);
}

/** Re-run (debounced) whenever something that affects results changes: the graph's params/edges or the input. */
export function startAutoRun(): () => void {
  let last = '';
  const key = () => {
    const s = lab.get();
    const input = s.input.kind === 'sample' ? s.input.name : s.input.id;
    return `${runSignature(s.history.present)}|${input}`;
  };
  last = key();
  return lab.subscribe(() => {
    const k = key();
    if (k === last) return;
    last = k;
    if (lab.get().autoRun) scheduleRun();
  });
}
