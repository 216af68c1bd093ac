import * as tf from '@tensorflow/tfjs';

export const TRIPLET_MARGIN = 0.2;

/** Squared Euclidean distances between the rows of x [n, d]: [n, n], clamped at 0. */
export function pairwiseSquaredDistances(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(x), 1);
    const gram = tf.matMul(x, x, false, true);
    const d = tf.add(tf.sub(tf.expandDims(sq, 1), tf.mul(2, gram)), tf.expandDims(sq, 0));
    return tf.relu(d) as tf.Tensor2D;
  });
}

/** The triplets a batch trains on, chosen on its current distances. */
export interface MinedTriplets {
  /** +1 at (anchor, positive) and -1 at (anchor, negative) for each active triplet, [n * n]. */
  G: Float32Array;
  n: number;
  /** Valid (anchor, positive) pairs: same identity, distinct items, some negative in the batch. */
  pairs: number;
  /** Pairs whose hinge is positive (they produce a gradient). */
  active: number;
}

export interface TripletLossResult {
  /** Mean hinge over every valid (anchor, positive) pair, a scalar. */
  loss: tf.Scalar;
  pairs: number;
  active: number;
}

/**
 * Triplet loss (FaceNet, the paper's Eq. 5: max(d(a,p) - d(a,n) + margin, 0) with squared
 * Euclidean distances) with batch-wise semi-hard negative mining. Every (anchor, positive) pair
 * of the same identity is used; its negative comes from the other identities in the batch:
 *   1. semi-hard: negatives farther than the positive but inside the margin,
 *      d(a,p) < d(a,n) < d(a,p) + margin; the hardest (nearest) of them;
 *   2. else, if some negative is at least as near as the positive (a hard one), the easiest hard
 *      one (the farthest with d(a,n) <= d(a,p)): it still has a gradient, and avoiding the hardest
 *      negatives keeps early training from collapsing (FaceNet, section 3.2);
 *   3. else every negative is beyond the margin and the pair contributes 0.
 * Unlike tf-addons' variant (which in case 2 takes a farther negative beyond the margin when one
 * exists, giving 0), a pair whose only violations are hard negatives is never silently dropped:
 * that is exactly the masked-anchor case, where other masked faces crowd in. The choice is made
 * in plain JS on the current distances (it is discrete; `mineSemiHard`, which reads them
 * asynchronously, as the webgpu backend needs), so gradients flow through the chosen distances
 * only (`tripletLoss`). The loss is the mean over all valid pairs (zero-loss pairs included).
 *
 * `labels` are identity ids per row of `embeddings` [n, d] (expected L2-normalised).
 */
export async function mineSemiHard(embeddings: tf.Tensor2D, labels: ArrayLike<number>, margin = TRIPLET_MARGIN): Promise<MinedTriplets> {
  const n = embeddings.shape[0];
  if (labels.length !== n) throw new Error(`triplet loss: ${labels.length} labels for ${n} embeddings`);
  const dist = pairwiseSquaredDistances(embeddings);
  const d = (await dist.data()) as Float32Array;
  dist.dispose();
  return mineFromDistances(d, labels, margin);
}

/** The semi-hard choice of `mineSemiHard` on squared distances already read back, [n * n] row-major. */
export function mineFromDistances(d: Float32Array, labels: ArrayLike<number>, margin = TRIPLET_MARGIN): MinedTriplets {
  const n = labels.length;
  if (d.length !== n * n) throw new Error(`triplet loss: ${d.length} distances for ${n} rows`);
  let pairs = 0;
  let active = 0;
  // Each active triplet adds +1 at (a, p) and -1 at (a, n): the mean hinge is then
  // (sum(G * dist) + margin * active) / pairs, exact in value and gradient (the hinge is linear
  // where it is positive), and needs no gather (whose gradient the wasm backend lacks).
  const G = new Float32Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let p = 0; p < n; p++) {
      if (p === a || labels[p] !== labels[a]) continue;
      const dap = d[a * n + p];
      let semiHard = -1;
      let easiestHard = -1;
      let nearest = -1;
      for (let k = 0; k < n; k++) {
        if (labels[k] === labels[a]) continue;
        const dan = d[a * n + k];
        if (dan > dap && dan < dap + margin) {
          if (semiHard < 0 || dan < d[a * n + semiHard]) semiHard = k;
        } else if (dan <= dap) {
          if (easiestHard < 0 || dan > d[a * n + easiestHard]) easiestHard = k;
        }
        if (nearest < 0 || dan < d[a * n + nearest]) nearest = k;
      }
      const neg = semiHard >= 0 ? semiHard : easiestHard >= 0 ? easiestHard : nearest;
      if (neg < 0) continue; // no other identity in the batch
      pairs++;
      if (dap - d[a * n + neg] + margin > 0) {
        active++;
        G[a * n + p] += 1;
        G[a * n + neg] -= 1;
      }
    }
  }
  return { G, n, pairs, active };
}

/** The mean hinge of the mined triplets on `embeddings` (the same rows they were mined on), differentiable. */
export function tripletLoss(embeddings: tf.Tensor2D, mined: MinedTriplets, margin = TRIPLET_MARGIN): tf.Scalar {
  return tf.tidy(() => {
    const dist = pairwiseSquaredDistances(embeddings);
    if (mined.pairs === 0) return tf.mul(tf.sum(dist), 0) as tf.Scalar;
    return tf.div(tf.add(tf.sum(tf.mul(dist, tf.tensor2d(mined.G, [mined.n, mined.n]))), margin * mined.active), mined.pairs) as tf.Scalar;
  });
}

/** Mining and loss in one call (no gradient needed across the two). */
export async function tripletSemiHardLoss(embeddings: tf.Tensor2D, labels: ArrayLike<number>, margin = TRIPLET_MARGIN): Promise<TripletLossResult> {
  const mined = await mineSemiHard(embeddings, labels, margin);
  return { loss: tripletLoss(embeddings, mined, margin), pairs: mined.pairs, active: mined.active };
}
