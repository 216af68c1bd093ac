import type { EmbeddingsValue } from '../graph/values.js';
import { pairScore, type SimilarityMetric } from './similarity.js';

/**
 * Occlusion-adaptive matching: a masked face against an unmasked one is also compared with the
 * unmasked face's masked twin (the same face with a synthetic mask drawn from its landmarks),
 * like with like; the two scores are mixed by the twin weight. Any other pair, or faces without
 * twins, score as usual.
 */
export interface FaceVector {
  embedding: ArrayLike<number>;
  /** The context calls the face masked (present only with a twin). */
  masked?: boolean;
  twin?: ArrayLike<number>;
  twinWeight?: number;
}

export function adaptivePairScore(a: FaceVector, b: FaceVector, metric: SimilarityMetric = 'cosine'): number {
  const plain = pairScore(a.embedding, b.embedding, metric);
  if (a.masked === undefined || b.masked === undefined || a.masked === b.masked) return plain;
  const [m, u] = a.masked ? [a, b] : [b, a];
  const w = u.twinWeight ?? m.twinWeight ?? 0;
  if (!u.twin || w === 0) return plain;
  return (1 - w) * plain + w * pairScore(m.embedding, u.twin, metric);
}

/** Face `i` of an Embeddings value as a FaceVector (with its twin when a masked-twin node made one). */
export function faceVectorOf(e: EmbeddingsValue, i = 0): FaceVector {
  const at = (d: Float32Array) => d.subarray(i * e.dim, (i + 1) * e.dim);
  const t = e.twins;
  return { embedding: at(e.data), ...(t ? { masked: t.masked[i], twin: at(t.data), twinWeight: t.weight } : {}) };
}
