/** Similarities between embeddings stored as rows of a Float32Array. */

/** Scale each row of `data` ([rows, dim]) to unit L2 norm, in place; returns data. A zero row stays zero. */
export function l2NormalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let r = 0; r + dim <= data.length; r += dim) {
    let ss = 0;
    for (let k = 0; k < dim; k++) ss += data[r + k] * data[r + k];
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let k = 0; k < dim; k++) data[r + k] *= inv;
  }
  return data;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Cosine similarity in [-1, 1]. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = Math.sqrt(dot(a, a) * dot(b, b));
  return d > 0 ? dot(a, b) / d : 0;
}

/** Euclidean distance. On unit vectors d^2 = 2 - 2 cos, so it ranks pairs exactly as cosine does. */
export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

export type SimilarityMetric = 'cosine' | 'euclidean';

/**
 * A score where higher means more alike: cosine similarity, or the negated Euclidean
 * distance between the unit-normalised vectors (so both share one threshold direction).
 */
export function pairScore(a: ArrayLike<number>, b: ArrayLike<number>, metric: SimilarityMetric): number {
  if (metric === 'cosine') return cosineSimilarity(a, b);
  const na = Math.sqrt(dot(a, a)) || 1;
  const nb = Math.sqrt(dot(b, b)) || 1;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] / na - b[i] / nb) ** 2;
  return -Math.sqrt(s);
}
