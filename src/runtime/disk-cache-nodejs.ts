import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { NodeRegistry } from '../graph/registry.js';
import { OutputCache } from './cache.js';

/**
 * Node only, opt-in: an output cache that also keeps the outputs of chosen node types on disk,
 * so that repeated experiments over the same images (training runs, evaluating several variants
 * of a preset) compute the expensive frozen stages once. Entries are keyed exactly like the
 * in-memory cache (node type, params, upstream keys, and for source nodes the item's path, size
 * and mtime), so an entry is reused only for identical inputs and params.
 *
 * Not keyed by the nodes' code: clear (or rename) the folder after changing a cached node's
 * kernel or its upstream nodes' kernels. Never cache nodes whose params name a weights file
 * that may be rewritten (gate, fusion): their key holds the path, not the content.
 *
 *   FACEFLOW_NODE_CACHE=<dir>                 turn it on, entries under <dir>
 *   FACEFLOW_NODE_CACHE_TYPES=a,b             node types to keep (default: the registry's diskCacheable ones)
 *   FACEFLOW_MEMORY_CACHE_BYTES=<n>           cap of the in-memory part (default 512 MB; 0 keeps nothing in memory)
 */
export class DiskOutputCache extends OutputCache {
  readonly dir: string;
  readonly types: Set<string>;
  hits = 0;
  writes = 0;

  constructor(dir: string, types: readonly string[], maxBytes?: number) {
    super(maxBytes);
    this.dir = path.resolve(dir);
    this.types = new Set(types);
    mkdirSync(this.dir, { recursive: true });
  }

  private file(key: string, nodeType: string): string {
    const h = createHash('sha256').update(`${nodeType}|${key}`).digest('hex');
    return path.join(this.dir, nodeType, h.slice(0, 2), `${h.slice(2, 40)}.v8`);
  }

  override get(key: string, nodeType?: string): Record<string, unknown> | undefined {
    const mem = super.get(key, nodeType);
    if (mem || !nodeType || !this.types.has(nodeType)) return mem;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.file(key, nodeType));
    } catch {
      return undefined;
    }
    let value: Record<string, unknown>;
    try {
      value = deserialize(bytes) as Record<string, unknown>;
    } catch {
      return undefined; // a torn or foreign file: recompute (and overwrite)
    }
    this.hits++;
    super.set(key, value, nodeType);
    return value;
  }

  override set(key: string, value: Record<string, unknown>, nodeType?: string): void {
    super.set(key, value, nodeType);
    if (!nodeType || !this.types.has(nodeType)) return;
    const file = this.file(key, nodeType);
    mkdirSync(path.dirname(file), { recursive: true });
    // write then rename, so a reader (another worker) never sees half a file
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, serialize(value));
    renameSync(tmp, file);
    this.writes++;
  }
}

/** The cache the CLI's executors use: on disk when FACEFLOW_NODE_CACHE is set, else in memory only. */
export function nodeOutputCache(registry: NodeRegistry, env: NodeJS.ProcessEnv = process.env): OutputCache {
  const dir = env.FACEFLOW_NODE_CACHE;
  // FACEFLOW_MEMORY_CACHE_BYTES: the in-memory cache's cap (default 512 MB); embed sets 0, as no image repeats there
  const cap = Number(env.FACEFLOW_MEMORY_CACHE_BYTES);
  const maxBytes = env.FACEFLOW_MEMORY_CACHE_BYTES !== undefined && Number.isFinite(cap) && cap >= 0 ? cap : undefined;
  if (!dir) return new OutputCache(maxBytes);
  const types = env.FACEFLOW_NODE_CACHE_TYPES?.split(',').map((s) => s.trim()).filter(Boolean);
  return new DiskOutputCache(dir, types?.length ? types : registry.list().filter((d) => d.diskCacheable).map((d) => d.type), maxBytes);
}
