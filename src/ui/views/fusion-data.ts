import type { WeightsValue } from '../../graph/values.js';

/** Per-face rows of a [face, component] (or [component]) weights value, with their labels. */
export function componentWeights(w: WeightsValue): { faces: number; labels: string[]; row: (i: number) => number[] } {
  const k = w.shape[w.shape.length - 1] ?? 0;
  const faces = w.shape.length > 1 ? w.shape[0] : 1;
  const labels = w.labels?.length === k ? w.labels : Array.from({ length: k }, (_, i) => `c${i}`);
  return { faces, labels, row: (i) => Array.from(w.data.subarray(i * k, (i + 1) * k)) };
}

/** Per-head attention matrices of one face from a [face, head, query, key] value. */
export function headMatrices(w: WeightsValue, face: number): number[][][] {
  const [, heads, q, k] = w.shape;
  const out: number[][][] = [];
  for (let h = 0; h < heads; h++) {
    const m: number[][] = [];
    for (let r = 0; r < q; r++) {
      const at = ((face * heads + h) * q + r) * k;
      m.push(Array.from(w.data.subarray(at, at + k)));
    }
    out.push(m);
  }
  return out;
}
