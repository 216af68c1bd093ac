import { bestThreshold, kFoldAccuracy, thresholdAtFar, verificationMetrics, type VerificationMetrics } from './metrics.js';
import { adaptivePairScore, type FaceVector } from './adaptive.js';
import type { SimilarityMetric } from './similarity.js';

/** Pairs to verify: image names (an item's name, or its name without extension), with labels where known. */
export interface PairsValue {
  pairs: { a: string; b: string; same?: boolean; fold?: number }[];
  source?: string;
}

export interface ScoredPair {
  a: string;
  b: string;
  score: number;
  same?: boolean;
  /** The pairs file's fold, when it gives one (what k-fold calibration of these scores splits by). */
  fold?: number;
  accepted: boolean;
}

/** The Scores port value: one entry per pair and the threshold(s) the decisions used. */
export interface ScoresValue {
  metric: SimilarityMetric;
  /** Higher is more alike (euclidean scores are negated distances). */
  pairs: ScoredPair[];
  threshold: number;
  thresholdMode: ThresholdMode;
}

export type ThresholdMode = 'fixed' | 'far' | 'kfold';

export interface VerifyOptions {
  metric: SimilarityMetric;
  thresholdMode: ThresholdMode;
  /** For 'fixed'; a similarity (cosine) or a negated distance (euclidean). */
  threshold: number;
  /** For 'far': the FAR the threshold is calibrated to on the labelled pairs. */
  targetFar: number;
  /** For 'kfold' when the pairs carry no folds: split them into this many interleaved folds. */
  folds: number;
}

/** Index names with and without extension so `Name/Name_0001` finds `Name/Name_0001.jpg`. */
export function nameIndex(names: string[]): Map<string, number> {
  const m = new Map<string, number>();
  names.forEach((n, i) => {
    m.set(n, i);
    m.set(n.replace(/\.[^./]+$/, ''), i);
  });
  return m;
}

/** All pairs of items; labelled by folder (`Identity/file`) when every name has one. */
export function allPairs(names: string[]): PairsValue {
  const ident = names.map((n) => (n.includes('/') ? n.slice(0, n.lastIndexOf('/')) : undefined));
  const labelled = ident.every((x) => x !== undefined);
  const pairs: PairsValue['pairs'] = [];
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) {
    pairs.push({ a: names[i], b: names[j], ...(labelled ? { same: ident[i] === ident[j] } : {}) });
  }
  return { pairs };
}

/**
 * Score pairs of embeddings and decide each at a threshold that is fixed, calibrated to a
 * target FAR on the labelled pairs, or chosen per fold on the other folds (k-fold).
 */
export function verifyPairs(embeddings: Map<string, FaceVector>, input: PairsValue, o: VerifyOptions): { scores: ScoresValue; metrics: VerificationMetrics | null } {
  const scored = input.pairs.map((p) => {
    const a = embeddings.get(p.a);
    const b = embeddings.get(p.b);
    if (!a) throw new Error(`no embedding for "${p.a}"`);
    if (!b) throw new Error(`no embedding for "${p.b}"`);
    return { ...p, score: adaptivePairScore(a, b, o.metric) };
  });
  const labelled = scored.filter((p) => p.same !== undefined);
  const hasBoth = labelled.some((p) => p.same) && labelled.some((p) => !p.same);
  if (o.thresholdMode !== 'fixed' && !hasBoth) throw new Error(`threshold mode "${o.thresholdMode}" needs labelled matched and mismatched pairs`);
  const scores = labelled.map((p) => p.score);
  const same = labelled.map((p) => p.same!);
  const folds = labelled.map((p, i) => p.fold ?? (i % Math.max(1, o.folds)) + 1);
  let threshold = o.threshold;
  let perPair: number[] = scored.map(() => threshold);
  if (o.thresholdMode === 'far') {
    threshold = thresholdAtFar(scores, same, o.targetFar);
    perPair = scored.map(() => threshold);
  } else if (o.thresholdMode === 'kfold') {
    const kf = kFoldAccuracy(scores, same, folds);
    const byFold = new Map(kf.folds.map((f) => [f.fold, f.threshold]));
    threshold = bestThreshold(scores, same).threshold;
    let k = 0;
    perPair = scored.map((p) => (p.same !== undefined ? byFold.get(folds[k++])! : threshold));
  }
  const pairs: ScoredPair[] = scored.map((p, i) => ({ a: p.a, b: p.b, score: p.score, ...(p.same !== undefined ? { same: p.same } : {}), ...(p.fold !== undefined ? { fold: p.fold } : {}), accepted: p.score >= perPair[i] }));
  return {
    scores: { metric: o.metric, pairs, threshold, thresholdMode: o.thresholdMode },
    metrics: hasBoth ? verificationMetrics(scores, same, folds) : null,
  };
}
