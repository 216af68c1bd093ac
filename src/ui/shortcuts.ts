import { copySelection, cutSelection, deleteSelection, duplicateSelection, layout, paste, selectAll } from './editor/commands.js';
import { cancelRun, runNow } from './run/runner.js';
import { lab, redoEdit, toast, undoEdit } from './state/store.js';
import { openConnectPicker } from './editor/ConnectPicker.js';
import { currentNode, focusNode, nodeElement, nodeInDirection } from './editor/focus.js';

export interface Shortcut {
  /** How the help panel shows it ("Mod" = Ctrl, or Cmd on a Mac). */
  keys: string[];
  label: string;
  match(e: KeyboardEvent, mod: boolean): boolean;
  run(e: KeyboardEvent): void;
  /** Handled before React Flow sees the key (Alt+arrows it would take as a move, Mod+Enter as a selection toggle). */
  capture?: boolean;
}

/** Opens the search popup at the pointer (or the canvas centre). */
let pointer = { x: innerWidth / 2, y: innerHeight / 2 };
window.addEventListener('pointermove', (e: PointerEvent) => (pointer = { x: e.clientX, y: e.clientY }), { passive: true });

/** Where search-to-add opens: beside the node the keyboard is on, else at the pointer. */
function quickAddAt(toFlow: (p: { x: number; y: number }) => { x: number; y: number }) {
  const from = currentNode();
  const r = from ? nodeElement(from)?.getBoundingClientRect() : undefined;
  const screen = r ? { x: r.right + 70, y: r.top } : pointer;
  return { screen, flow: toFlow(screen), returnTo: from };
}

const ARROWS: Record<string, 'left' | 'right' | 'up' | 'down'> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

/** One record per command: the key handler and the help panel both read this list. */
export function shortcuts(toFlow: (p: { x: number; y: number }) => { x: number; y: number }, fitView: () => void): Shortcut[] {
  const k = (e: KeyboardEvent) => e.key.toLowerCase();
  return [
    { keys: ['Mod+Z'], label: 'Undo', match: (e, m) => m && !e.shiftKey && k(e) === 'z', run: undoEdit },
    { keys: ['Shift+Mod+Z', 'Mod+Y'], label: 'Redo', match: (e, m) => m && ((e.shiftKey && k(e) === 'z') || k(e) === 'y'), run: redoEdit },
    { keys: ['Mod+C'], label: 'Copy selected nodes', match: (e, m) => m && k(e) === 'c', run: copySelection },
    { keys: ['Mod+X'], label: 'Cut selected nodes', match: (e, m) => m && k(e) === 'x', run: cutSelection },
    { keys: ['Mod+V'], label: 'Paste', match: (e, m) => m && k(e) === 'v', run: paste },
    { keys: ['Mod+D'], label: 'Duplicate selected nodes', match: (e, m) => m && k(e) === 'd', run: duplicateSelection },
    { keys: ['Mod+A'], label: 'Select all nodes', match: (e, m) => m && k(e) === 'a', run: selectAll },
    { keys: ['Delete', 'Backspace'], label: 'Delete selection', match: (e, m) => !m && (e.key === 'Delete' || e.key === 'Backspace'), run: deleteSelection },
    { keys: ['/'], label: 'Search to add a node', match: (e, m) => !m && e.key === '/', run: () => lab.set({ quickAdd: quickAddAt(toFlow) }) },
    {
      keys: ['C'], label: 'Connect a port of the focused node', match: (e, m) => !m && !e.altKey && k(e) === 'c',
      run: () => {
        const id = currentNode();
        if (id) openConnectPicker(id);
        else toast('Connect: first go to a node (Tab, or Alt+arrow keys), then press C');
      },
    },
    {
      keys: ['Alt+Arrow keys'], label: 'Go to the nearest node in that direction', capture: true,
      match: (e, m) => !m && e.altKey && e.key in ARROWS,
      run: (e) => {
        const next = nodeInDirection(currentNode(), ARROWS[e.key]);
        if (next) focusNode(next);
      },
    },
    { keys: ['Tab', 'Shift+Tab'], label: 'Next / previous control, node or connection', match: () => false, run: () => undefined },
    { keys: ['Mod+Enter'], label: 'Run now', capture: true, match: (e, m) => m && e.key === 'Enter', run: () => void runNow() },
    { keys: ['Escape'], label: 'Cancel the run / close popups', match: (e) => e.key === 'Escape', run: () => (lab.get().helpOpen ? lab.set({ helpOpen: false }) : void cancelRun()) },
    { keys: ['F'], label: 'Fit the pipeline in view', match: (e, m) => !m && k(e) === 'f', run: fitView },
    { keys: ['L'], label: 'Auto-layout', match: (e, m) => !m && k(e) === 'l', run: layout },
    { keys: ['?'], label: 'Show this help', match: (e) => e.key === '?', run: () => lab.set((s) => ({ helpOpen: !s.helpOpen })) },
  ];
}

/** Mouse gestures for the help panel (xyflow handles them). */
export const GESTURES: [string, string][] = [
  ['Drag from a port', 'Connect; drop on empty canvas to add a fitting node'],
  ['Double-click canvas', 'Search to add a node'],
  ['Shift+drag', 'Box-select'],
  ['Mod+click', 'Add to / remove from selection'],
  ['Scroll / pinch', 'Zoom'],
  ['Drag canvas', 'Pan'],
];

export function isEditable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

export const isMac = /Mac|iPhone|iPad/.test(navigator.platform);
export const modName = isMac ? '⌘' : 'Ctrl';
