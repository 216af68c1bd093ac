import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyIsotonic, applyPlatt, buildCalibration, calibrate, expectedCalibrationError, fitIsotonic, fitPlatt, foldsOf,
  kFoldProbabilities, parseCalibration, rawProbability, reliabilityBins,
} from '../../src/eval/calibration.js';
import { loadCalibrationFile } from '../../src/eval/calibration-file.js';

/** Scores drawn so that P(same | s) = sigmoid(a s + b) exactly: the truth a calibration should find. */
function synthetic(n: number, a: number, b: number, seed = 1) {
  let state = seed >>> 0;
  const r = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const scores: number[] = [];
  const same: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const s = -0.2 + r() * 1.0;
    scores.push(s);
    same.push(r() < 1 / (1 + Math.exp(-(a * s + b))));
  }
  return { scores, same };
}

describe('calibration maps', () => {
  it('Platt scaling recovers the logistic map that generated the labels', () => {
    const { scores, same } = synthetic(20000, 12, -4);
    const fit = fitPlatt(scores, same);
    expect(fit.a).toBeCloseTo(12, 0);
    expect(fit.b).toBeCloseTo(-4, 0);
    expect(applyPlatt(fit, 1 / 3)).toBeCloseTo(0.5, 1);
  });

  it('isotonic regression is the pool-adjacent-violators fit: non-decreasing, exact on a hand-worked case', () => {
    // scores 1..6 with labels 0 1 0 1 1 0: PAV pools (2,3) -> 0.5 and (5,6) -> 0.5, then (4,5,6) -> 2/3 ... checked by hand
    const fit = fitIsotonic([1, 2, 3, 4, 5, 6], [false, true, false, true, true, false]);
    expect(fit).toEqual({ x: [1, 2, 3, 4, 6], y: [0, 0.5, 0.5, 2 / 3, 2 / 3] });
    expect(applyIsotonic(fit, 0)).toBe(0);
    expect(applyIsotonic(fit, 1.5)).toBeCloseTo(0.25);
    expect(applyIsotonic(fit, 5)).toBeCloseTo(2 / 3);
    expect(applyIsotonic(fit, 9)).toBeCloseTo(2 / 3);
    const { scores, same } = synthetic(5000, 12, -4, 2);
    const big = fitIsotonic(scores, same);
    for (let i = 1; i < big.y.length; i++) expect(big.y[i]).toBeGreaterThanOrEqual(big.y[i - 1]);
    // tied scores form one knot
    expect(fitIsotonic([0.5, 0.5, 0.5, 0.9], [true, false, false, true])).toEqual({ x: [0.5, 0.9], y: [1 / 3, 1] });
  });

  it('ECE and reliability bins: hand-worked values', () => {
    const probs = [0.05, 0.15, 0.95, 0.95];
    const same = [false, true, true, false];
    const bins = reliabilityBins(probs, same, 10);
    expect(bins[0]).toMatchObject({ count: 1, accuracy: 0 });
    expect(bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(bins[9].confidence).toBeCloseTo(0.95);
    // (1 * 0.05 + 1 * 0.85 + 2 * 0.45) / 4
    expect(expectedCalibrationError(probs, same, 10)).toBeCloseTo(0.45);
    expect(rawProbability(-0.3)).toBe(0);
    expect(rawProbability(0.41)).toBe(0.41);
  });

  it('k-fold probabilities never come from a fit that saw the pair: a lone pair per fold gets the other folds\' map', () => {
    // fold 0 holds the only matched pair at a high score: a fit on the other folds has never seen a match
    const scores = [0.9, 0.1, 0.2, 0.3, 0.15, 0.25];
    const same = [true, false, false, false, false, false];
    const folds = [0, 1, 1, 2, 2, 2];
    const p = kFoldProbabilities(scores, same, folds, 'isotonic');
    expect(p[0]).toBe(0);
    expect(foldsOf(4, [1, 1, 2, 2])).toEqual([1, 1, 2, 2]);
    expect(foldsOf(4, [1, 1, 1, 1], 3)).toEqual([0, 1, 2, 0]);
  });

  it('a calibrated map brings ECE far below the raw cosine\'s on well-separated synthetic scores', () => {
    const { scores, same } = synthetic(6000, 20, -8, 3);
    const { file, report } = buildCalibration(scores, same, { folds: foldsOf(scores.length, undefined, 10), method: 'isotonic', metric: 'cosine', pairsSource: 'synthetic' });
    expect(report.ece.platt).toBeLessThan(0.02);
    expect(report.ece.isotonic).toBeLessThan(0.02);
    expect(report.ece.raw).toBeGreaterThan(0.05);
    const again = parseCalibration(JSON.stringify(file), 'cal.json');
    expect(calibrate(again, 0.4)).toBeCloseTo(calibrate(file, 0.4), 5);
    expect(calibrate(again, 0.4, 'platt')).toBeCloseTo(1 / (1 + Math.exp(-(20 * 0.4 - 8))), 1);
    expect(() => buildCalibration([0.1, 0.2], [true, true], { folds: [0, 1], method: 'platt', metric: 'cosine', pairsSource: 'p.txt' })).toThrow(/both matched and mismatched/);
  });
});

describe('calibration file', () => {
  const good = { schema: 'faceflow/calibration', version: 1, method: 'isotonic', metric: 'cosine', platt: { a: 10, b: -4 }, isotonic: { x: [0, 1], y: [0, 1] } };

  it('refuses a malformed file with one line naming the file and the problem', async () => {
    const bad: [unknown, RegExp][] = [
      ['{not json', /^c\.json: not a calibration file: invalid JSON/],
      [{ schema: 'faceflow/gallery' }, /^c\.json: not a calibration file \(expected "schema": "faceflow\/calibration"/],
      [{ ...good, method: 'sigmoid' }, /^c\.json: invalid calibration: method: /],
      [{ ...good, isotonic: { x: [0, 1, 2], y: [0, 1] } }, /^c\.json: invalid calibration: isotonic: x has 3 knots but y has 2$/],
      [{ ...good, isotonic: { x: [1, 0], y: [0, 1] } }, /^c\.json: invalid calibration: isotonic\.x\.1: knots must be in ascending order$/],
      [{ ...good, isotonic: { x: [0, 1], y: [0.9, 0.1] } }, /^c\.json: invalid calibration: isotonic\.y\.1: probabilities must not decrease$/],
      [{ ...good, platt: { a: 'x', b: 0 } }, /^c\.json: invalid calibration: platt\.a: /],
    ];
    for (const [content, msg] of bad) {
      let err: Error | undefined;
      try {
        parseCalibration(typeof content === 'string' ? content : JSON.stringify(content), 'c.json');
      } catch (e) {
        err = e as Error;
      }
      expect(err?.name).toBe('CalibrationFileError');
      expect(err?.message).toMatch(msg);
      expect(err?.message).not.toContain('\n');
    }
    expect(parseCalibration(JSON.stringify(good)).method).toBe('isotonic');
  });

  it('loads from disk; a missing file is one line', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-cal-'));
    const file = path.join(dir, 'cal.json');
    await writeFile(file, JSON.stringify(good));
    expect(calibrate(await loadCalibrationFile(file), 0.25)).toBeCloseTo(0.25);
    await expect(loadCalibrationFile(path.join(dir, 'none.json'))).rejects.toThrow(/none\.json: cannot read the calibration file \(ENOENT\)$/);
  });
});

describe('calibration node', () => {
  it('adds P(same) to verify pairs and to identify matches and their top 5; refuses a malformed file', async () => {
    const { calibrationNode } = await import('../../nodes/calibration/index.js');
    const file = { schema: 'faceflow/calibration', version: 1, method: 'isotonic', metric: 'cosine', platt: { a: 10, b: -4 }, isotonic: { x: [0, 1], y: [0, 1] } };
    const reports: Record<string, unknown>[] = [];
    const ctx = (text: string) => ({
      nodeId: 'cal', signal: new AbortController().signal, backend: 'cpu', progress() {}, report: (r: Record<string, unknown>) => reports.push(r),
      io: { readFile: async () => new TextEncoder().encode(text), decodeImage: async () => { throw new Error('no'); }, readPackageAsset: async () => new Uint8Array() },
    });
    const params = calibrationNode.params.parse({ file: 'cal.json' });
    const verified = { metric: 'cosine', threshold: 0.4, thresholdMode: 'kfold', pairs: [{ a: 'x', b: 'y', score: 0.3, same: false, accepted: false }, { a: 'x', b: 'z', score: 0.8, same: true, accepted: true }] };
    const out = await calibrationNode.kernel({ scores: verified }, params, ctx(JSON.stringify(file)) as never) as { scores: { pairs: { probability: number }[]; calibration: unknown } };
    expect(out.scores.pairs.map((p) => p.probability)).toEqual([0.3, 0.8]);
    expect(out.scores.calibration).toMatchObject({ method: 'isotonic' });
    expect(reports[0]).toMatchObject({ method: 'isotonic', scored: 2 });
    const matches = { threshold: null, matches: [{ probe: 'p', identity: 'A', score: 0.5, top: [{ name: 'A', score: 0.5 }, { name: 'B', score: 0.1 }] }] };
    const platt = calibrationNode.params.parse({ file: 'cal.json', method: 'platt' });
    const m = await calibrationNode.kernel({ scores: matches }, platt, ctx(JSON.stringify(file)) as never) as { scores: { matches: { probability: number; top: { probability: number }[] }[] } };
    expect(m.scores.matches[0].probability).toBeCloseTo(1 / (1 + Math.exp(-(10 * 0.5 - 4))));
    expect(m.scores.matches[0].top[1].probability).toBeCloseTo(1 / (1 + Math.exp(-(10 * 0.1 - 4))));
    await expect(calibrationNode.kernel({ scores: matches }, params, ctx('{"schema":"faceflow/calibration"}') as never)).rejects.toThrow(/^cal\.json: invalid calibration: /);
  });
});
