import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng.js';
import type { TrainBatch } from './module.js';

/**
 * Per-image vectors computed once by the frozen pipeline and cached: one row per image, with its
 * identity label. Only the fields the trained module needs have to be present.
 */
export interface CachedDataset {
  labels: Int32Array;
  embeddings?: { data: Float32Array; dim: number };
  context?: { data: Float32Array; dim: number };
  /** Feature maps at the gate's tap, each [h, w, c]. */
  featureMaps?: { data: Float32Array; shape: [number, number, number] };
  /** For each row, the row of the same image without a synthetic occluder (itself for clean rows). */
  cleanRow?: Int32Array;
}

export function checkDataset(d: CachedDataset, needs: readonly (keyof TrainBatch)[]): void {
  const n = d.labels.length;
  const rows = (what: string, len: number, width: number) => {
    if (len !== n * width) throw new Error(`dataset: ${what} hold ${len} values, expected ${n} rows of ${width}`);
  };
  if (d.embeddings) rows('embeddings', d.embeddings.data.length, d.embeddings.dim);
  if (d.context) rows('context vectors', d.context.data.length, d.context.dim);
  if (d.featureMaps) rows('feature maps', d.featureMaps.data.length, d.featureMaps.shape.reduce((a, b) => a * b, 1));
  if (d.cleanRow && (d.cleanRow.length !== n || d.cleanRow.some((r) => r < 0 || r >= n))) throw new Error(`dataset: cleanRow must name one of the ${n} rows for each row`);
  for (const f of needs) if (!d[f]) throw new Error(`dataset: the module needs cached ${f}, which this dataset lacks`);
}

/** Rows `idx` of a row-major [n, width] array, in that order. */
export function gatherRows(data: Float32Array, width: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * width);
  for (let i = 0; i < idx.length; i++) out.set(data.subarray(idx[i] * width, (idx[i] + 1) * width), i * width);
  return out;
}

/** Tensors for the rows `idx` (caller disposes them, e.g. with disposeBatch). */
export function gatherBatch(d: CachedDataset, idx: readonly number[], needs: readonly (keyof TrainBatch)[]): TrainBatch {
  const b: TrainBatch = {};
  const n = idx.length;
  if (needs.includes('embeddings') && d.embeddings) b.embeddings = tf.tensor2d(gatherRows(d.embeddings.data, d.embeddings.dim, idx), [n, d.embeddings.dim]);
  if (needs.includes('context') && d.context) b.context = tf.tensor2d(gatherRows(d.context.data, d.context.dim, idx), [n, d.context.dim]);
  if (needs.includes('featureMaps') && d.featureMaps) {
    const [h, w, c] = d.featureMaps.shape;
    b.featureMaps = tf.tensor4d(gatherRows(d.featureMaps.data, h * w * c, idx), [n, h, w, c]);
  }
  return b;
}

export function disposeBatch(b: TrainBatch): void {
  b.embeddings?.dispose();
  b.context?.dispose();
  b.featureMaps?.dispose();
}

/**
 * One epoch's batches for triplet training (P identities x K images). Each identity with two or
 * more images is cut, after a shuffle, into groups of K (a trailing single image joins the previous
 * group); the groups are shuffled and packed into batches of about `batchSize` rows, each with at
 * least two identities. Single-image identities are dealt out as extra negatives.
 */
export function tripletBatches(labels: Int32Array, batchSize: number, perIdentity: number, rng: Rng): number[][] {
  const byId = new Map<number, number[]>();
  labels.forEach((l, i) => {
    const list = byId.get(l);
    if (list) list.push(i);
    else byId.set(l, [i]);
  });
  const groups: number[][] = [];
  const singles: number[] = [];
  for (const idx of byId.values()) {
    if (idx.length < 2) {
      singles.push(...idx);
      continue;
    }
    rng.shuffle(idx);
    for (let s = 0; s < idx.length; s += perIdentity) {
      const g = idx.slice(s, s + perIdentity);
      if (g.length === 1) groups[groups.length - 1].push(g[0]);
      else groups.push(g);
    }
  }
  rng.shuffle(groups);
  rng.shuffle(singles);
  const batches: number[][] = [];
  let cur: number[] = [];
  let ids = 0;
  for (const g of groups) {
    cur.push(...g);
    ids++;
    if (cur.length >= batchSize && ids >= 2) {
      batches.push(cur);
      cur = [];
      ids = 0;
    }
  }
  if (cur.length) {
    if (ids >= 2 || !batches.length) batches.push(cur);
    else batches[batches.length - 1].push(...cur);
  }
  singles.forEach((s, i) => batches[i % Math.max(1, batches.length)]?.push(s));
  return batches.filter((b) => b.length >= 2);
}
