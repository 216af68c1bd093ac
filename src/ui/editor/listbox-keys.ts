import type { KeyboardEvent } from 'react';

/**
 * Keyboard handling of a filter box that drives a listbox (aria-activedescendant): arrows move the
 * active option within `count`, Enter picks it (a `pick` that returns false leaves Enter unhandled),
 * Escape closes; keys handled here do not reach the page.
 */
export function listboxKeyDown(e: KeyboardEvent, count: number, setActive: (f: (a: number) => number) => void, pick: () => boolean | void, close: () => void): void {
  if (e.key === 'Escape') close();
  else if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, count - 1));
  else if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
  else if (e.key !== 'Enter' || pick() === false) return;
  e.preventDefault();
}
