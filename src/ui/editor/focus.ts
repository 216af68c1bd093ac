import { lab, select } from '../state/store.js';

/** The canvas element of a node (React Flow's wrapper, which is focusable). */
export function nodeElement(id: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
}

/** Move keyboard focus to a node (once it is rendered) and select it. */
export function focusNode(id: string, selectIt = true): void {
  if (selectIt) select([id]);
  let tries = 0;
  // A new node is hidden until React Flow has measured it, and hidden elements take no focus: retry.
  const go = () => {
    const el = nodeElement(id);
    el?.focus();
    if (el && document.activeElement === el) return;
    if (++tries < 60) requestAnimationFrame(go);
  };
  requestAnimationFrame(go);
}

/** The node the keyboard is on: the focused one, else the only selected one. */
export function currentNode(): string | undefined {
  const el = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>('.react-flow__node');
  if (el?.dataset.id) return el.dataset.id;
  const sel = lab.get().selectedNodes;
  return sel.length === 1 ? sel[0] : undefined;
}

type Dir = 'left' | 'right' | 'up' | 'down';

/**
 * The nearest node in a direction from `fromId` (by the nodes' centres, within a 45 degree cone each
 * side, nearer along the direction first); with no node focused, the top-left one.
 */
export function nodeInDirection(fromId: string | undefined, dir: Dir): string | undefined {
  const els = [...document.querySelectorAll<HTMLElement>('.react-flow__node')];
  const centre = (el: HTMLElement) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  };
  const from = fromId ? els.find((e) => e.dataset.id === fromId) : undefined;
  if (!from) return els.map((e) => ({ id: e.dataset.id, c: centre(e) })).sort((a, b) => a.c.y + a.c.x - (b.c.y + b.c.x))[0]?.id;
  const c0 = centre(from);
  let best: { id: string; score: number } | undefined;
  for (const el of els) {
    if (el === from || !el.dataset.id) continue;
    const c = centre(el);
    const dx = c.x - c0.x;
    const dy = c.y - c0.y;
    const along = dir === 'right' ? dx : dir === 'left' ? -dx : dir === 'down' ? dy : -dy;
    const across = dir === 'right' || dir === 'left' ? Math.abs(dy) : Math.abs(dx);
    if (along <= 0 || across > along) continue;
    const score = along + 2 * across;
    if (!best || score < best.score) best = { id: el.dataset.id, score };
  }
  return best?.id;
}
