import type { ContextValue } from '../context/vector.js';
import type { EmbeddingsValue, FeatureMapValue } from '../graph/values.js';
import type { CachedDataset } from './data.js';
import type { TrainTarget } from './prepare.js';

/** One cached pipeline output: the item's outputs per node id, or undefined when the item failed. */
export type ItemOutputs = Record<string, Record<string, unknown>> | undefined;

export interface CollectedRow {
  /** Index of the source image. */
  image: number;
  label: number;
  embedding?: Float32Array;
  context?: Float32Array;
  features?: Float32Array;
  featureShape?: [number, number, number];
}

/**
 * The first face's vectors from one item's outputs (presets for training select one face per
 * image: align select=central). Fallback crops (no detection) are kept, as eval keeps them;
 * returns undefined when the image gave no face or failed.
 */
export function rowFromOutputs(out: ItemOutputs, t: TrainTarget, image: number, label: number): CollectedRow | undefined {
  if (!out) return undefined;
  const get = <T>(port: string) => out[t.sources[port].node]?.[t.sources[port].port] as T | undefined | null;
  if (t.kind === 'gate') {
    const f = get<FeatureMapValue>('features');
    if (!f || f.shape[0] < 1) return undefined;
    const [, h, w, c] = f.shape;
    return { image, label, features: f.data.slice(0, h * w * c), featureShape: [h, w, c] };
  }
  const e = get<EmbeddingsValue>('embeddings');
  const c = get<ContextValue>('context');
  if (!e || !c || e.count < 1 || c.count < 1) return undefined;
  return { image, label, embedding: e.data.slice(0, e.dim), context: c.data.slice(0, c.dim) };
}

/** Stack rows into a dataset (all rows must have the same widths). */
export function stackRows(rows: CollectedRow[]): CachedDataset {
  if (!rows.length) throw new Error('no usable images (no face found in any)');
  const r0 = rows[0];
  const d: CachedDataset = { labels: Int32Array.from(rows.map((r) => r.label)) };
  const stack = (pick: (r: CollectedRow) => Float32Array | undefined, width: number) => {
    const out = new Float32Array(rows.length * width);
    rows.forEach((r, i) => {
      const v = pick(r)!;
      if (v.length !== width) throw new Error(`image ${r.image}: vector width ${v.length}, expected ${width}`);
      out.set(v, i * width);
    });
    return out;
  };
  if (r0.embedding) d.embeddings = { data: stack((r) => r.embedding, r0.embedding.length), dim: r0.embedding.length };
  if (r0.context) d.context = { data: stack((r) => r.context, r0.context.length), dim: r0.context.length };
  if (r0.features && r0.featureShape) d.featureMaps = { data: stack((r) => r.features, r0.features.length), shape: r0.featureShape };
  return d;
}

/**
 * For the rows of all passes stacked in order, the stacked index of the same image's row in the
 * first (clean) pass; a row whose image has no clean row points at itself.
 */
export function cleanRowIndex(passes: CollectedRow[][]): Int32Array {
  const clean = new Map((passes[0] ?? []).map((r, k) => [r.image, k]));
  const out = new Int32Array(passes.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const pass of passes) {
    for (const r of pass) {
      out[at] = clean.get(r.image) ?? at;
      at++;
    }
  }
  return out;
}
