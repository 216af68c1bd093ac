import { useSyncExternalStore } from 'react';
import { edgeId, type Pipeline } from '../../graph/schema.js';
import type { BackendChoice } from '../../runtime/backend.js';
import type { BackendSetting } from '../../runtime/browser-worker.js';
import type { NodeOutputs } from '../../runtime/executor.js';
import type { QuickAdd } from '../editor/commands.js';
import { annotationFlowId } from '../editor/annotations.js';
import { commit, initHistory, redo, replace, undo, type History } from './history.js';

export type NodeState = 'idle' | 'queued' | 'running' | 'cached' | 'done' | 'error' | 'invalid' | 'skipped';
export interface NodeStatus {
  state: NodeState;
  ms?: number;
  message?: string;
  progress?: number;
}

export type InputChoice =
  | { kind: 'sample'; name: string }
  | { kind: 'file'; name: string; id: string; bytes: Uint8Array; url: string };

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
  /** A button on the message, e.g. "Undo" after a delete. */
  action?: { label: string; run: () => void };
}

export interface LabState {
  history: History<Pipeline>;
  selectedNodes: string[];
  selectedEdges: string[];
  statuses: Record<string, NodeStatus>;
  outputs: Record<string, NodeOutputs>;
  reports: Record<string, Record<string, unknown>>;
  running: boolean;
  /** A re-run is scheduled (debounced after an edit). */
  pending: boolean;
  /** Finished runs so far (any outcome); lets observers wait for the next result. */
  runs: number;
  lastRun?: { status: string; ms: number; message?: string };
  backendSetting: BackendSetting;
  backend?: BackendChoice;
  backendError?: string;
  input: InputChoice;
  autoRun: boolean;
  toasts: Toast[];
  quickAdd?: QuickAdd;
  helpOpen: boolean;
  /** A large view over the canvas (cascade viewer, experiments), if open. */
  bigView?: BigView;
  /** The dataset run in progress (experiments), if any. */
  datasetRun?: { done: number; total: number; failed: number; dataset: string };
  /** Counts requests to fit the pipeline in view (after a layout or a load); the canvas fits on each. */
  fitRequests?: number;
}

export type BigView = { kind: 'cascade'; nodeId: string } | { kind: 'experiments' };

type Listener = () => void;

/** A tiny external store: immutable state, shallow-merged updates, React reads it with useLab(selector). */
class Store<S> {
  private listeners = new Set<Listener>();
  constructor(private state: S) {}
  get = (): S => this.state;
  set = (patch: Partial<S> | ((s: S) => Partial<S>)): void => {
    const p = typeof patch === 'function' ? patch(this.state) : patch;
    this.state = { ...this.state, ...p };
    for (const l of this.listeners) l();
  };
  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
}

let store: Store<LabState>;

export function createLabStore(initial: LabState): void {
  store = new Store(initial);
}

export const lab = {
  get: (): LabState => store.get(),
  set: (patch: Partial<LabState> | ((s: LabState) => Partial<LabState>)) => store.set(patch),
  subscribe: (l: Listener) => store.subscribe(l),
};

/** Read a slice of the lab state; the selector must return a stable reference (a field, not a new object). */
export function useLab<T>(selector: (s: LabState) => T): T {
  return useSyncExternalStore(store.subscribe, () => selector(store.get()));
}

export const doc = (): Pipeline => store.get().history.present;

/** The new history, with the selection narrowed to what still exists in its document. */
function withHistory(s: LabState, history: History<Pipeline>): Partial<LabState> {
  const d = history.present;
  const nodes = new Set([...d.nodes.map((n) => n.id), ...(d.annotations ?? []).map((a) => annotationFlowId(a.id))]);
  const edges = new Set(d.edges.map(edgeId));
  const selectedNodes = s.selectedNodes.filter((id) => nodes.has(id));
  const selectedEdges = s.selectedEdges.filter((id) => edges.has(id));
  return {
    history,
    selectedNodes: selectedNodes.length === s.selectedNodes.length ? s.selectedNodes : selectedNodes,
    selectedEdges: selectedEdges.length === s.selectedEdges.length ? s.selectedEdges : selectedEdges,
  };
}

/** Record an edit as one undo step (or merge it into the last one with the same coalesce key). */
export function edit(next: Pipeline | ((d: Pipeline) => Pipeline), coalesceKey?: string): void {
  const h = store.get().history;
  const value = typeof next === 'function' ? next(h.present) : next;
  if (value === h.present) return;
  store.set((s) => withHistory(s, commit(h, value, coalesceKey)));
}

let dragBase: Pipeline | undefined;

/** Live update during a drag; `endLiveEdit` turns the whole drag into one undo step. */
export function liveEdit(next: (d: Pipeline) => Pipeline): void {
  const h = store.get().history;
  dragBase ??= h.present;
  store.set({ history: replace(h, next(h.present)) });
}

export function endLiveEdit(): void {
  if (!dragBase) return;
  const h = store.get().history;
  const moved = h.present;
  store.set((s) => withHistory(s, commit({ ...h, present: dragBase!, coalesceKey: undefined }, moved)));
  dragBase = undefined;
}

export function undoEdit(): void {
  store.set((s) => withHistory(s, undo(s.history)));
}

export function redoEdit(): void {
  store.set((s) => withHistory(s, redo(s.history)));
}

/** Replace the document (load a preset) as one undo step. */
export function loadDocument(next: Pipeline): void {
  store.set((s) => ({ history: commit(s.history, next), selectedNodes: [], selectedEdges: [] }));
}

/** Ask the canvas to fit the pipeline in view once it has rendered the current document. */
export function requestFit(): void {
  store.set((s) => ({ fitRequests: (s.fitRequests ?? 0) + 1 }));
}

export function select(nodes: string[], edges: string[] = []): void {
  store.set({ selectedNodes: nodes, selectedEdges: edges });
}

let toastSeq = 0;
export function toast(text: string, kind: Toast['kind'] = 'info', ms = kind === 'error' ? 6000 : 3000, action?: Toast['action']): void {
  const t = { id: ++toastSeq, kind, text, action };
  store.set((s) => ({ toasts: [...s.toasts.slice(-3), t] }));
  setTimeout(() => store.set((s) => ({ toasts: s.toasts.filter((x) => x.id !== t.id) })), ms);
}

export { initHistory };

export function dismissToast(id: number): void {
  store.set((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) }));
}
