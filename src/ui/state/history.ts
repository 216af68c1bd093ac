/** Undo history of immutable documents: one list for every edit, so undo never misses one. */
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** Consecutive commits with the same key (e.g. dragging one slider) merge into one step. */
  coalesceKey?: string;
  /** When the last step was committed (ms), for the coalescing window. */
  at?: number;
}

const LIMIT = 200;
/** Edits with the same key closer together than this merge into one undo step. */
const COALESCE_MS = 1500;

export function initHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

export function commit<T>(h: History<T>, next: T, coalesceKey?: string, now = Date.now()): History<T> {
  if (next === h.present) return h;
  if (coalesceKey && coalesceKey === h.coalesceKey && now - (h.at ?? 0) < COALESCE_MS) return { ...h, present: next, future: [], at: now };
  return { past: [...h.past, h.present].slice(-LIMIT), present: next, future: [], coalesceKey, at: now };
}

/** Replace the present without a new step (live updates during a drag, committed when it ends). */
export function replace<T>(h: History<T>, next: T): History<T> {
  return { ...h, present: next };
}

export function undo<T>(h: History<T>): History<T> {
  if (!h.past.length) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1], future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  if (!h.future.length) return h;
  return { past: [...h.past, h.present], present: h.future[0], future: h.future.slice(1) };
}
