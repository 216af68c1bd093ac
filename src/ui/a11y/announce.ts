import { useSyncExternalStore } from 'react';
import { registry } from '../../../nodes/index.js';
import { lab } from '../state/store.js';
import { describeChange } from './describe.js';

/** The live region's text: the last thing that happened, read out by screen readers (role=status). */
let message = '';
let seq = 0;
const listeners = new Set<() => void>();

export function announce(text: string): void {
  // The same sentence twice in a row is still read: a counter of invisible characters makes it differ.
  message = `${text}${'\u200b'.repeat(++seq % 2)}`;
  for (const l of listeners) l();
}

export function useAnnouncement(): string {
  return useSyncExternalStore((l) => (listeners.add(l), () => listeners.delete(l)), () => message);
}

const title = (type: string) => registry.get(type)?.title;

/**
 * Announce every committed change of the document: edits, undo and redo (keyboard or mouse alike).
 * Live updates during a drag are skipped; the drag's end is a move, which is not announced.
 */
export function announceEdits(): () => void {
  let h = lab.get().history;
  return lab.subscribe(() => {
    const next = lab.get().history;
    if (next === h) return;
    const prev = h;
    h = next;
    if (prev.present === next.present) return;
    const what = describeChange(prev.present, next.present, title);
    if (!what) return;
    const undone = next.future[0] === prev.present && next.present === prev.past[prev.past.length - 1];
    const redone = next.past[next.past.length - 1] === prev.present && next.present === prev.future[0];
    announce(undone ? `undo: ${what}` : redone ? `redo: ${what}` : what);
  });
}
