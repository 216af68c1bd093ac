import type { ViewProps } from './types.js';

/** Short text for any value: shapes of arrays and typed arrays, numbers, nested keys (depth-limited). */
export function summarise(value: unknown, depth = 0): string {
  if (value == null) return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(value)) return depth > 1 ? `[${value.length}]` : `[${value.length}] ${value.length ? summarise(value[0], depth + 1) : ''}`.trim();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (typeof value !== 'object') return JSON.stringify(value);
  if (depth > 1) return '{…}';
  return `{ ${Object.entries(value).slice(0, 8).map(([k, v]) => `${k}: ${summarise(v, depth + 1)}`).join(', ')} }`;
}

/** Fallback view for port types without their own view yet. */
export function ValueSummaryView({ value, size }: ViewProps) {
  // Focusable: a long summary scrolls, and a scroll region must be reachable from the keyboard.
  return <pre className={`value-summary value-summary-${size}`} tabIndex={0} aria-label="output value">{summarise(value)}</pre>;
}
