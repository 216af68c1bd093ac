import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RunItem } from '../graph/node-definition.js';
import { PairsFileError, pairImageStem, parsePairs, type PairsFile } from './lfw.js';

/** Node-only dataset readers (file system). The pure parsing lives in lfw.ts. */

export const IMAGE_EXT = ['.jpg', '.jpeg', '.png', '.JPG', '.JPEG', '.PNG'];

export interface DatasetImage {
  /** Path relative to the images folder, e.g. `Abel_Pacheco/Abel_Pacheco_0001.jpg`. */
  name: string;
  file: string;
  identity: string;
}

export interface ResolvedPairs extends PairsFile {
  /** Every image the pairs use, once, sorted by name. */
  images: DatasetImage[];
  /** For each pair, the indices of its two images in `images`. */
  index: [number, number][];
}

/** Read pairs.txt and find each pair's images (any of jpg/jpeg/png); a missing one is an error naming its line. */
export async function readPairsDataset(pairsPath: string, imagesDir: string, readText: (p: string) => Promise<string>): Promise<ResolvedPairs> {
  const parsed = parsePairs(await readText(pairsPath), pairsPath);
  const st = await stat(imagesDir).catch(() => undefined);
  if (!st?.isDirectory()) throw new PairsFileError(pairsPath, 1, `images folder ${imagesDir} does not exist`);
  const listings = new Map<string, Set<string> | undefined>();
  const listing = async (identity: string) => {
    if (!listings.has(identity)) {
      const files = await readdir(path.join(imagesDir, identity)).catch(() => undefined);
      listings.set(identity, files && new Set(files));
    }
    return listings.get(identity);
  };
  const byStem = new Map<string, string>();
  const find = async (p: { identity: string; number: number }, line: number): Promise<string> => {
    const stem = pairImageStem(p);
    const known = byStem.get(stem);
    if (known) return known;
    const files = await listing(p.identity);
    if (!files) throw new PairsFileError(pairsPath, line, `no folder ${path.join(imagesDir, p.identity)} for "${p.identity}"`);
    const base = path.posix.basename(stem);
    const ext = IMAGE_EXT.find((e) => files.has(base + e));
    if (!ext) throw new PairsFileError(pairsPath, line, `image ${p.identity} #${p.number} not found: no ${path.join(imagesDir, stem)}.{jpg,jpeg,png}`);
    byStem.set(stem, stem + ext);
    return stem + ext;
  };
  const names: [string, string][] = [];
  for (const pair of parsed.pairs) names.push([await find(pair.a, pair.line), await find(pair.b, pair.line)]);
  return withPairImages(parsed, names, imagesDir);
}

/** The pairs file with its images (each found name once, sorted) and, per pair, the indices of its two images. */
export function withPairImages(parsed: PairsFile, names: [string, string][], imagesDir: string): ResolvedPairs {
  const unique = [...new Set(names.flat())].sort();
  const at = new Map(unique.map((n, i) => [n, i]));
  return {
    ...parsed,
    images: unique.map((name) => ({ name, file: path.join(imagesDir, name), identity: name.split('/')[0] })),
    index: names.map(([a, b]) => [at.get(a)!, at.get(b)!]),
  };
}

/** A folder of identities: `<dir>/<identity>/<image>`; every JPEG/PNG one level down, sorted. */
export async function readIdentityFolder(dir: string): Promise<DatasetImage[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => {
    throw new Error(`${dir}: cannot read the identities folder`);
  });
  const out: DatasetImage[] = [];
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const files = (await readdir(path.join(dir, e.name))).filter((f) => IMAGE_EXT.includes(path.extname(f))).sort();
    for (const f of files) out.push({ name: `${e.name}/${f}`, file: path.join(dir, e.name, f), identity: e.name });
  }
  if (!out.length) throw new Error(`${dir}: no <identity>/<image>.{jpg,png} files`);
  return out;
}

/**
 * The cache id is the absolute path plus size and mtime, so an edited file is recomputed; the name is
 * the path within the input folder or dataset, which is what seeded nodes (occlusion) draw by.
 */
export function fileRunItem(file: string, name: string, s: { size: number; mtimeMs: number }): RunItem {
  return { id: `${path.resolve(file)}:${s.size}:${s.mtimeMs}`, name, path: file };
}

/** Run items for dataset images (pairs sets, folders of identities). */
export function fileRunItems(images: { file: string; name: string }[]): Promise<RunItem[]> {
  return Promise.all(images.map(async (img) => fileRunItem(img.file, img.name, await stat(img.file))));
}
