import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunItem } from '../graph/node-definition.js';
import { fileRunItem } from '../eval/datasets-nodejs.js';
import { UsageError } from './errors.js';

const IMAGE_EXT = /\.(jpe?g|png)$/i;

export interface InputSet {
  /** The directory given, or undefined for a single file. */
  dir?: string;
  items: RunItem[];
}

/** A file becomes one item; a directory becomes every JPEG/PNG below it, sorted by relative path. */
export async function listInputs(input: string): Promise<InputSet> {
  const st = await stat(input).catch(() => undefined);
  if (!st) throw new UsageError(`${input}: no such file or directory`);
  if (st.isFile()) return { items: [fileRunItem(input, path.basename(input), st)] };
  const items: RunItem[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (IMAGE_EXT.test(e.name)) {
        items.push(fileRunItem(full, path.relative(input, full), await stat(full)));
      }
    }
  };
  await walk(input);
  if (!items.length) throw new UsageError(`${input}: no .jpg, .jpeg or .png files in this directory`);
  return { dir: input, items };
}
