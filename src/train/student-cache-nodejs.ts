import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StudentData } from './student.js';

/**
 * Node only: the student's training rows (front maps, coverage, teacher targets) kept on disk under a
 * key of everything they depend on, so a second run with other training settings (learning rate,
 * epochs, loss weights) skips the cache pass and the frozen front (the slow part on CPU).
 */
export interface StudentCacheEntry {
  train: StudentData;
  val: StudentData;
  valPairs: { a: number; b: number; same: boolean }[];
  skipped: number;
}

export function studentCacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

const ARRAYS = ['labels', 'cleanRow', 'maps', 'coverage', 'targets'] as const;

export async function loadStudentCache(dir: string, key: string): Promise<StudentCacheEntry | undefined> {
  const base = path.join(dir, key);
  const meta = await readFile(path.join(base, 'meta.json'), 'utf8').then(JSON.parse, () => undefined);
  if (!meta) return undefined;
  const load = async (set: 'train' | 'val'): Promise<StudentData> => {
    const m = meta[set];
    const buf = async (name: string) => {
      const b = await readFile(path.join(base, `${set}.${name}.bin`));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    };
    return {
      labels: new Int32Array(await buf('labels')), cleanRow: new Int32Array(await buf('cleanRow')),
      maps: new Float32Array(await buf('maps')), coverage: new Float32Array(await buf('coverage')), targets: new Float32Array(await buf('targets')),
      shape: m.shape, dim: m.dim,
    };
  };
  return { train: await load('train'), val: await load('val'), valPairs: meta.valPairs, skipped: meta.skipped };
}

export async function saveStudentCache(dir: string, key: string, e: StudentCacheEntry): Promise<void> {
  const base = path.join(dir, key);
  const tmp = `${base}.tmp-${process.pid}`;
  await mkdir(tmp, { recursive: true });
  for (const set of ['train', 'val'] as const) {
    for (const name of ARRAYS) {
      const a = e[set][name];
      await writeFile(path.join(tmp, `${set}.${name}.bin`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
  }
  const meta = { train: { shape: e.train.shape, dim: e.train.dim }, val: { shape: e.val.shape, dim: e.val.dim }, valPairs: e.valPairs, skipped: e.skipped };
  await writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta));
  await rename(tmp, base);
}
