import type { WeightsManifest } from './weights-file.js';
import { dbGet, dbGetAll, dbGetAllKeys, dbPut, WEIGHTS } from './lab-db.js';

/**
 * Gate / fusion weights trained in the app, kept in this browser's IndexedDB (the lab's
 * database, store `weights`). A node's `weights` param names them as
 * `idb:weights/<name>.json`; the browser HostIO reads that URL and the `<name>.weights.bin` beside
 * it (the manifest's path) from here, so the usual weights loader works unchanged.
 */
export const WEIGHTS_URL_PREFIX = 'idb:weights/';

export interface StoredWeights {
  name: string;
  savedAt: number;
  manifest: WeightsManifest;
  bin: Uint8Array;
}

/** A name safe in a URL and as a file name: letters, digits, dot, dash, underscore. */
export function safeWeightsName(name: string): string {
  const s = name.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|-+$/g, '').slice(0, 80);
  if (!s) throw new Error('give the weights a name (letters, digits, . _ -)');
  return s;
}

export const weightsUrl = (name: string) => `${WEIGHTS_URL_PREFIX}${name}.json`;

/** Which stored record and which of its two files a URL means; undefined for other URLs. */
export function parseWeightsUrl(url: string): { name: string; file: 'manifest' | 'bin' } | undefined {
  if (!url.startsWith(WEIGHTS_URL_PREFIX)) return undefined;
  const rest = decodeURIComponent(url.slice(WEIGHTS_URL_PREFIX.length).split(/[?#]/)[0]);
  if (rest.endsWith('.weights.bin')) return { name: rest.slice(0, -'.weights.bin'.length), file: 'bin' };
  if (rest.endsWith('.json')) return { name: rest.slice(0, -'.json'.length), file: 'manifest' };
  return undefined;
}

/** The manifest as saved under `name`: its one .bin path is `<name>.weights.bin`. */
export function renamedManifest(manifest: WeightsManifest, name: string): WeightsManifest {
  return { ...manifest, weightsManifest: manifest.weightsManifest.map((g, i) => ({ ...g, paths: i === 0 ? [`${name}.weights.bin`] : [] })) };
}

/**
 * What deleting leaves of saved weights: the name, so it is never given to other weights. The
 * worker caches loaded weights by URL until a reload, and saved pipelines keep URLs; a reused name
 * would silently swap the weights under them.
 */
interface DeletedWeights {
  name: string;
  deleted: true;
}

const isStored = (r: StoredWeights | DeletedWeights | undefined): r is StoredWeights => !!r && !('deleted' in r);

const listeners = new Set<() => void>();
/** Call `l` after each save or delete in this page; returns the unsubscribe. */
export function onStoredWeightsChange(l: () => void): () => void {
  listeners.add(l);
  return () => void listeners.delete(l);
}

/** The weights saved in this browser, newest first. */
export async function listStoredWeights(): Promise<StoredWeights[]> {
  return (await dbGetAll<StoredWeights | DeletedWeights>(WEIGHTS)).filter(isStored).sort((a, b) => b.savedAt - a.savedAt);
}

/** `base`, or `base` with the first -2, -3... suffix not in `taken`. */
export function freeWeightsName(base: string, taken: ReadonlySet<string>): string {
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
  return name;
}

/**
 * Save under `name` (made safe); a name saved or deleted before gets a -2, -3... suffix, so a URL
 * always means the same weights (the nodes cache loaded weights by URL). Returns the stored record.
 */
export async function saveStoredWeights(name: string, manifest: WeightsManifest, bin: Uint8Array): Promise<StoredWeights> {
  const final = freeWeightsName(safeWeightsName(name), new Set((await dbGetAllKeys(WEIGHTS)).map(String)));
  const record: StoredWeights = { name: final, savedAt: Date.now(), manifest: renamedManifest(manifest, final), bin };
  await dbPut(WEIGHTS, record);
  listeners.forEach((l) => l());
  return record;
}

/** Drop the weights' files; the name stays taken (see DeletedWeights). */
export async function deleteStoredWeights(name: string): Promise<void> {
  await dbPut<DeletedWeights>(WEIGHTS, { name, deleted: true });
  listeners.forEach((l) => l());
}

/** The bytes of `idb:weights/<name>.json` or `.weights.bin`, as HostIO.readFile returns them. */
export async function readWeightsUrl(url: string): Promise<Uint8Array> {
  const ref = parseWeightsUrl(url);
  if (!ref) throw new Error(`${url}: not a saved-weights URL (idb:weights/<name>.json)`);
  const rec = await dbGet<StoredWeights | DeletedWeights>(WEIGHTS, ref.name);
  if (!rec) throw new Error(`${url}: weights “${ref.name}” are not saved in this browser (train them from the node's inspector)`);
  if (!isStored(rec)) throw new Error(`${url}: weights “${ref.name}” were deleted from this browser (pick other weights)`);
  return ref.file === 'bin' ? rec.bin : new TextEncoder().encode(JSON.stringify(rec.manifest, null, 2));
}
