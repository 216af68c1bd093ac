/** Approximate size of a node output in bytes (typed arrays dominate). */
export function approxBytes(value: unknown, depth = 0): number {
  if (value == null || depth > 6) return 8;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value === 'string') return value.length * 2;
  if (typeof value !== 'object') return 8;
  let total = 16;
  for (const v of Array.isArray(value) ? value : Object.values(value)) total += approxBytes(v, depth + 1);
  return total;
}

/**
 * Node outputs keyed by (node type, params, upstream keys, item). Least recently used
 * entries are dropped once the total passes `maxBytes`.
 */
export class OutputCache {
  private readonly entries = new Map<string, { value: Record<string, unknown>; bytes: number }>();
  private total = 0;

  constructor(private readonly maxBytes = 512 * 1024 * 1024) {}

  /** `nodeType` lets a subclass decide what to keep elsewhere (the Node disk cache); ignored here. */
  get(key: string, _nodeType?: string): Record<string, unknown> | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e); // most recently used last
    return e.value;
  }

  set(key: string, value: Record<string, unknown>, _nodeType?: string): void {
    const bytes = approxBytes(value);
    if (bytes > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.total -= old.bytes;
    this.entries.delete(key);
    this.entries.set(key, { value, bytes });
    this.total += bytes;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(k);
      this.total -= e.bytes;
    }
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}
