/**
 * Verification metrics over scored pairs. Scores are similarities: higher means "same
 * identity" (use -distance for distances). A pair is accepted when score >= threshold.
 * Pure functions on plain arrays; no tfjs.
 */

export interface RocPoint {
  /** Accept when score >= threshold. +Infinity for the first point (accept nothing). */
  threshold: number;
  /** False accept rate: accepted mismatched pairs / mismatched pairs. */
  far: number;
  /** True accept rate: accepted matched pairs / matched pairs. */
  tar: number;
}

export interface FoldResult {
  fold: number;
  pairs: number;
  /** Threshold chosen on the other folds (on this fold itself when there is only one). */
  threshold: number;
  accuracy: number;
}

export interface KFoldResult {
  folds: FoldResult[];
  mean: number;
  /** Population standard deviation over folds (ddof 0, as the LFW protocol scripts compute it). */
  std: number;
  /** True when there was one fold, so its threshold was chosen on the same pairs (optimistic). */
  thresholdOnSamePairs: boolean;
}

function checkInputs(scores: ArrayLike<number>, same: ArrayLike<boolean>): void {
  if (scores.length !== same.length) throw new Error(`${scores.length} scores but ${same.length} labels`);
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`score ${i} is NaN`);
  }
}

/** Fraction of pairs decided correctly at `threshold` (accept when score >= threshold). */
export function accuracyAt(scores: ArrayLike<number>, same: ArrayLike<boolean>, threshold: number, indices?: number[]): number {
  const idx = indices ?? Array.from({ length: scores.length }, (_, i) => i);
  if (!idx.length) return NaN;
  let correct = 0;
  for (const i of idx) if ((scores[i] >= threshold) === same[i]) correct++;
  return correct / idx.length;
}

/**
 * The threshold that maximises accuracy on the given pairs. Candidates are the midpoints
 * between consecutive distinct scores plus one below the lowest and one above the highest,
 * so tied scores always fall on the same side. Where several candidates tie for the best
 * accuracy, the lower median of them is taken (stable, and away from the edges of the band).
 */
export function bestThreshold(scores: ArrayLike<number>, same: ArrayLike<boolean>, indices?: number[]): { threshold: number; accuracy: number } {
  checkInputs(scores, same);
  const idx = indices ?? Array.from({ length: scores.length }, (_, i) => i);
  if (!idx.length) throw new Error('bestThreshold: no pairs');
  const sorted = [...idx].sort((a, b) => scores[a] - scores[b]);
  const positives = sorted.reduce((n, i) => n + (same[i] ? 1 : 0), 0);
  // Sweep from a threshold below everything (all accepted) upwards.
  let correct = positives; // all accepted: positives right, negatives wrong
  const candidates: { threshold: number; correct: number }[] = [];
  const first = scores[sorted[0]];
  const last = scores[sorted[sorted.length - 1]];
  const margin = Math.max(1e-6, (last - first) * 1e-3);
  candidates.push({ threshold: first - margin, correct });
  let k = 0;
  while (k < sorted.length) {
    const s = scores[sorted[k]];
    // every pair with this exact score moves to "rejected" together
    while (k < sorted.length && scores[sorted[k]] === s) {
      correct += same[sorted[k]] ? -1 : 1;
      k++;
    }
    const threshold = k < sorted.length ? (s + scores[sorted[k]]) / 2 : last + margin;
    candidates.push({ threshold, correct });
  }
  const best = Math.max(...candidates.map((c) => c.correct));
  const ties = candidates.filter((c) => c.correct === best);
  const pick = ties[Math.floor((ties.length - 1) / 2)];
  return { threshold: pick.threshold, accuracy: best / idx.length };
}

/**
 * LFW-style k-fold accuracy: for each fold, the threshold is chosen on the other folds and
 * applied to the held-out one. With a single fold the threshold comes from that fold itself.
 */
export function kFoldAccuracy(scores: ArrayLike<number>, same: ArrayLike<boolean>, fold: ArrayLike<number>): KFoldResult {
  checkInputs(scores, same);
  if (fold.length !== scores.length) throw new Error(`${scores.length} scores but ${fold.length} fold numbers`);
  const ids = [...new Set(Array.from(fold))].sort((a, b) => a - b);
  if (!ids.length) throw new Error('kFoldAccuracy: no pairs');
  const single = ids.length === 1;
  const folds = ids.map((f): FoldResult => {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < scores.length; i++) (fold[i] === f ? test : train).push(i);
    const { threshold } = bestThreshold(scores, same, single ? test : train);
    return { fold: f, pairs: test.length, threshold, accuracy: accuracyAt(scores, same, threshold, test) };
  });
  const accs = folds.map((f) => f.accuracy);
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / accs.length);
  return { folds, mean, std, thresholdOnSamePairs: single };
}

/**
 * ROC curve: one point per distinct score, from (0, 0) (threshold +Infinity) to (1, 1).
 * Tied scores enter together, so a tie between a matched and a mismatched pair is a
 * diagonal segment (and counts one half in the AUC, as in the Mann-Whitney statistic).
 */
export function rocCurve(scores: ArrayLike<number>, same: ArrayLike<boolean>): RocPoint[] {
  checkInputs(scores, same);
  let P = 0;
  for (let i = 0; i < same.length; i++) if (same[i]) P++;
  const N = same.length - P;
  if (!P || !N) throw new Error(`ROC needs both matched and mismatched pairs (got ${P} matched, ${N} mismatched)`);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const points: RocPoint[] = [{ threshold: Infinity, far: 0, tar: 0 }];
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (k < order.length) {
    const s = scores[order[k]];
    while (k < order.length && scores[order[k]] === s) {
      if (same[order[k]]) tp++;
      else fp++;
      k++;
    }
    points.push({ threshold: s, far: fp / N, tar: tp / P });
  }
  return points;
}

/** Area under the ROC curve (trapezoids). */
export function aucFromRoc(roc: RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < roc.length; i++) area += (roc[i].far - roc[i - 1].far) * (roc[i].tar + roc[i - 1].tar) / 2;
  return area;
}

/**
 * Equal error rate: where FAR equals FRR (1 - TAR), linearly interpolated along the ROC
 * segment where FAR - FRR changes sign. The threshold is interpolated the same way
 * (finite end points only).
 */
export function equalErrorRate(roc: RocPoint[]): { eer: number; threshold: number } {
  const diff = (p: RocPoint) => p.far - (1 - p.tar); // rises from -1 to +1 along the curve
  for (let i = 1; i < roc.length; i++) {
    const a = roc[i - 1];
    const b = roc[i];
    const da = diff(a);
    const db = diff(b);
    if (da <= 0 && db >= 0) {
      const t = db === da ? 0 : -da / (db - da);
      const far = a.far + t * (b.far - a.far);
      const frr = 1 - (a.tar + t * (b.tar - a.tar));
      const threshold = Number.isFinite(a.threshold) ? a.threshold + t * (b.threshold - a.threshold) : b.threshold;
      return { eer: (far + frr) / 2, threshold };
    }
  }
  throw new Error('equalErrorRate: ROC does not cross FAR = FRR');
}

/**
 * TAR at a target FAR: the highest TAR among ROC points whose FAR does not exceed the
 * target (no interpolation, so the operating point is one a threshold really achieves).
 */
export function tarAtFar(roc: RocPoint[], targetFar: number): { tar: number; far: number; threshold: number } {
  let best: RocPoint = roc[0];
  for (const p of roc) if (p.far <= targetFar && p.tar >= best.tar) best = p;
  return { tar: best.tar, far: best.far, threshold: best.threshold };
}

/**
 * Threshold for a target FAR chosen on calibration pairs: the lowest threshold at which
 * the mismatched pairs' accept rate stays <= targetFar.
 */
export function thresholdAtFar(scores: ArrayLike<number>, same: ArrayLike<boolean>, targetFar: number): number {
  const { threshold } = tarAtFar(rocCurve(scores, same), targetFar);
  return threshold;
}

export interface ScoreHistogram {
  /** bins + 1 edges; bin i is [edges[i], edges[i+1]) and the last bin also holds edges[bins]. */
  edges: number[];
  matched: number[];
  mismatched: number[];
}

/** Histograms of matched and mismatched pair scores over a common range (default: the scores' range). */
export function scoreHistogram(scores: ArrayLike<number>, same: ArrayLike<boolean>, bins = 50, range?: [number, number]): ScoreHistogram {
  checkInputs(scores, same);
  if (!(bins >= 1)) throw new Error('scoreHistogram: bins must be >= 1');
  let [lo, hi] = range ?? [Infinity, -Infinity];
  if (!range) for (let i = 0; i < scores.length; i++) { lo = Math.min(lo, scores[i]); hi = Math.max(hi, scores[i]); }
  if (!(hi > lo)) { lo = (Number.isFinite(lo) ? lo : 0) - 0.5; hi = lo + 1; }
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const matched = new Array<number>(bins).fill(0);
  const mismatched = new Array<number>(bins).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (s < lo || s > hi) continue;
    const b = Math.min(bins - 1, Math.floor((s - lo) / width));
    (same[i] ? matched : mismatched)[b]++;
  }
  return { edges, matched, mismatched };
}

export interface VerificationMetrics {
  pairs: number;
  folds: number;
  accuracy: { mean: number; std: number; perFold: FoldResult[]; thresholdOnSamePairs: boolean };
  auc: number;
  eer: number;
  tarAtFar: { '0.01': number; '0.001': number };
  /** The accuracy-maximising threshold over all pairs (a deployable operating point). */
  threshold: number;
  roc: RocPoint[];
  histogram: ScoreHistogram;
}

/** Every verification metric the project reports, from scored pairs with their folds. */
export function verificationMetrics(scores: ArrayLike<number>, same: ArrayLike<boolean>, fold: ArrayLike<number>, bins = 50): VerificationMetrics {
  const kf = kFoldAccuracy(scores, same, fold);
  const roc = rocCurve(scores, same);
  return {
    pairs: scores.length,
    folds: kf.folds.length,
    accuracy: { mean: kf.mean, std: kf.std, perFold: kf.folds, thresholdOnSamePairs: kf.thresholdOnSamePairs },
    auc: aucFromRoc(roc),
    eer: equalErrorRate(roc).eer,
    tarAtFar: { '0.01': tarAtFar(roc, 1e-2).tar, '0.001': tarAtFar(roc, 1e-3).tar },
    threshold: bestThreshold(scores, same).threshold,
    roc,
    histogram: scoreHistogram(scores, same, bins),
  };
}
