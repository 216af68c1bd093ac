import { describe, expect, it } from 'vitest';
import {
  accuracyAt, aucFromRoc, bestThreshold, equalErrorRate, kFoldAccuracy, rocCurve, scoreHistogram, tarAtFar, thresholdAtFar, verificationMetrics,
} from '../../src/eval/metrics.js';
import { cosineSimilarity, euclideanDistance, l2NormalizeRows, pairScore } from '../../src/eval/similarity.js';
import { medianLandmarks } from '../../src/eval/landmark-stats.js';

// Hand-worked cases; the expected numbers are derived in the comments.
describe('verification metrics', () => {
  it('a perfectly separable set: accuracy 1, AUC 1, EER 0, TAR 1 at any FAR', () => {
    const scores = [0.9, 0.8, 0.1, 0.2];
    const same = [true, true, false, false];
    // ascending .1N .2N .8P .9P: only the cut between .2 and .8 gets all four right
    expect(bestThreshold(scores, same)).toEqual({ threshold: 0.5, accuracy: 1 });
    const roc = rocCurve(scores, same);
    expect(roc.map((p) => [p.far, p.tar])).toEqual([[0, 0], [0, 0.5], [0, 1], [0.5, 1], [1, 1]]);
    expect(aucFromRoc(roc)).toBe(1);
    expect(equalErrorRate(roc).eer).toBe(0);
    expect(tarAtFar(roc, 1e-3).tar).toBe(1);
  });

  it('a matched/mismatched tie counts one half in the AUC and both sides move together', () => {
    const scores = [0.5, 0.7, 0.5, 0.3];
    const same = [true, true, false, false];
    const roc = rocCurve(scores, same);
    // descending: .7P -> (0, .5); the .5 tie (P and N) enters at once -> (.5, 1); .3N -> (1, 1)
    expect(roc.map((p) => [p.far, p.tar])).toEqual([[0, 0], [0, 0.5], [0.5, 1], [1, 1]]);
    // Mann-Whitney: (.5,.5)=1/2, (.5,.3)=1, (.7,.5)=1, (.7,.3)=1 -> 3.5/4
    expect(aucFromRoc(roc)).toBeCloseTo(0.875, 12);
    // FAR - FRR goes -0.5 -> +0.5 on the diagonal segment: crosses halfway, at FAR = FRR = 0.25
    expect(equalErrorRate(roc).eer).toBeCloseTo(0.25, 12);
    expect(tarAtFar(roc, 0.01).tar).toBe(0.5);
    // candidates .4 and .6 both get 3/4 right; the lower median (.4) is taken
    expect(bestThreshold(scores, same)).toEqual({ threshold: 0.4, accuracy: 0.75 });
    // accept means score >= threshold: at exactly .5 both tied pairs are accepted
    expect(accuracyAt([0.5, 0.5], [true, false], 0.5)).toBe(0.5);
    expect(accuracyAt([0.5], [false], 0.5)).toBe(0);
  });

  it('k-fold: each fold is scored at the threshold chosen on the other folds', () => {
    // fold 1: P .9 .6, N .4 .7; fold 2: P .8 .55, N .45 .2
    const scores = [0.9, 0.6, 0.4, 0.7, 0.8, 0.55, 0.45, 0.2];
    const same = [true, true, false, false, true, true, false, false];
    const fold = [1, 1, 1, 1, 2, 2, 2, 2];
    const r = kFoldAccuracy(scores, same, fold);
    // fold 2 alone is separable at (.45+.55)/2 = .5; on fold 1 that rejects only .4 -> .7 is a false accept: 3/4
    expect(r.folds[0]).toMatchObject({ fold: 1, pairs: 4, threshold: 0.5, accuracy: 0.75 });
    // fold 1 alone: .5 and .8 tie at 3/4, lower median .5; on fold 2 every pair is right
    expect(r.folds[1]).toMatchObject({ fold: 2, pairs: 4, threshold: 0.5, accuracy: 1 });
    expect(r.mean).toBeCloseTo(0.875, 12);
    expect(r.std).toBeCloseTo(0.125, 12);
    expect(r.thresholdOnSamePairs).toBe(false);
  });

  it('one fold: the threshold comes from the same pairs, and says so', () => {
    const r = kFoldAccuracy([0.9, 0.1, 0.8, 0.3], [true, false, true, false], [1, 1, 1, 1]);
    expect(r.thresholdOnSamePairs).toBe(true);
    expect(r.mean).toBe(1);
    expect(r.std).toBe(0);
  });

  it('a fully inverted scorer has AUC 0 and EER 1', () => {
    const roc = rocCurve([0.1, 0.2, 0.8, 0.9], [true, true, false, false]);
    expect(aucFromRoc(roc)).toBe(0);
    expect(equalErrorRate(roc).eer).toBe(1);
    expect(tarAtFar(roc, 0.01).tar).toBe(0);
  });

  it('threshold at a target FAR keeps the calibration false accepts under it', () => {
    // 10 mismatched at .0 .. .9, matched at .95 and .5
    const neg = Array.from({ length: 10 }, (_, i) => i / 10);
    const scores = [...neg, 0.95, 0.5];
    const same = [...neg.map(() => false), true, true];
    // FAR <= 0.1 allows one false accept: accept down to .8? no: accepting .9 gives FAR .1; .8 would be .2
    const t = thresholdAtFar(scores, same, 0.1);
    expect(t).toBe(0.9);
    expect(thresholdAtFar(scores, same, 0)).toBe(0.95);
  });

  it('histograms split matched and mismatched scores over one set of edges', () => {
    const h = scoreHistogram([0, 0.25, 0.5, 1], [true, false, false, true], 2, [0, 1]);
    expect(h.edges).toEqual([0, 0.5, 1]);
    expect(h.matched).toEqual([1, 1]); // 0 in bin 0; 1 (the upper edge) in the last bin
    expect(h.mismatched).toEqual([1, 1]);
  });

  it('verificationMetrics bundles them and refuses a set without both labels', () => {
    const m = verificationMetrics([0.9, 0.6, 0.4, 0.7], [true, true, false, false], [1, 1, 1, 1], 4);
    expect(m).toMatchObject({ pairs: 4, folds: 1, auc: 0.75 });
    expect(() => rocCurve([0.1, 0.2], [true, true])).toThrow(/both matched and mismatched/);
  });
});

describe('similarity', () => {
  it('cosine, euclidean on unit vectors, and their shared ranking', () => {
    expect(cosineSimilarity([1, 0], [0, 2])).toBe(0);
    expect(cosineSimilarity([1, 1], [2, 2])).toBeCloseTo(1, 12);
    expect(euclideanDistance([0, 0], [3, 4])).toBe(5);
    // unit vectors at 90 degrees: distance sqrt(2)
    expect(pairScore([2, 0], [0, 5], 'euclidean')).toBeCloseTo(-Math.SQRT2, 12);
    const rows = l2NormalizeRows(new Float32Array([3, 4, 0, 0]), 2);
    expect(Array.from(rows)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
  });
});

describe('median landmarks', () => {
  it('takes the per-coordinate median of landmarks relative to each image size (even count: mean of the middle two)', () => {
    const pts = (x: number, y: number) => Array.from({ length: 5 }, (_, k) => [x + k, y] as [number, number]);
    const m = medianLandmarks([
      { width: 100, height: 100, landmarks: pts(10, 50) },
      { width: 200, height: 100, landmarks: pts(60, 20) },
      { width: 100, height: 200, landmarks: pts(40, 100) },
      { width: 100, height: 100, landmarks: pts(90, 60) },
    ]);
    // x/w for k = 0: 0.1, 0.3, 0.4, 0.9 -> 0.35; y/h: 0.5, 0.2, 0.5, 0.6 -> 0.5
    expect(m[0][0]).toBeCloseTo(0.35, 12);
    expect(m[0][1]).toBeCloseTo(0.5, 12);
    // k = 4: 0.14, 0.32, 0.44, 0.94 -> 0.38
    expect(m[4][0]).toBeCloseTo(0.38, 12);
    expect(() => medianLandmarks([])).toThrow(/no detections/);
  });
});
