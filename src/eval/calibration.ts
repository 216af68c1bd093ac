import { z } from 'zod';
import { UserError } from '../graph/errors.js';

/**
 * Calibrated match scores: maps a similarity (cosine, or a negated distance) to the probability
 * that the two faces are the same person, fitted on a labelled pair set.
 *
 * - Platt scaling: p = 1 / (1 + exp(-(a s + b))), fitted by Newton's method on the cross-entropy
 *   with Platt's smoothed targets ((N+ + 1) / (N+ + 2) and 1 / (N- + 2)).
 * - Isotonic regression: pool-adjacent-violators on the 0/1 labels sorted by score (tied scores
 *   pooled first), applied by linear interpolation between the blocks' end points (as
 *   scikit-learn's IsotonicRegression does), constant outside the fitted range.
 * - k-fold: each pair's probability comes from a fit on the other folds only, so the expected
 *   calibration error (ECE) reported never scores a pair the fit has seen.
 */

export type CalibrationMethod = 'platt' | 'isotonic';

export interface PlattFit { a: number; b: number }
/** Knots of a non-decreasing piecewise-linear map: x ascending, y in [0, 1] non-decreasing. */
export interface IsotonicFit { x: number[]; y: number[] }

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** log(1 + exp(z)) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

export function fitPlatt(scores: ArrayLike<number>, same: ArrayLike<boolean>): PlattFit {
  const n = scores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) if (same[i]) pos++;
  const neg = n - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  const t = Array.from({ length: n }, (_, i) => (same[i] ? hi : lo));
  // loss = sum softplus(z) - t z with z = a s + b (cross-entropy against the smoothed targets)
  const loss = (a: number, b: number) => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const z = a * scores[i] + b;
      l += softplus(z) - t[i] * z;
    }
    return l;
  };
  let a = 0;
  let b = Math.log((pos + 1) / (neg + 1));
  let f = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const s = scores[i];
      const p = sigmoid(a * s + b);
      const d = p - t[i];
      const w = p * (1 - p);
      ga += d * s;
      gb += d;
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-9 && Math.abs(gb) < 1e-9) break;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(-hab * ga + haa * gb) / det;
    let step = 1;
    let improved = false;
    while (step >= 1e-10) {
      const fa = loss(a + step * da, b + step * db);
      if (fa < f + 1e-4 * step * (ga * da + gb * db)) {
        a += step * da;
        b += step * db;
        f = fa;
        improved = true;
        break;
      }
      step /= 2;
    }
    if (!improved) break;
  }
  return { a, b };
}

export function applyPlatt(fit: PlattFit, score: number): number {
  return sigmoid(fit.a * score + fit.b);
}

export function fitIsotonic(scores: ArrayLike<number>, same: ArrayLike<boolean>): IsotonicFit {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((i, j) => scores[i] - scores[j]);
  // pool tied scores, then pool adjacent violators
  const blocks: { lo: number; hi: number; sum: number; w: number }[] = [];
  for (const i of order) {
    const s = scores[i];
    const last = blocks.at(-1);
    if (last && last.hi === s) {
      last.sum += same[i] ? 1 : 0;
      last.w++;
    } else blocks.push({ lo: s, hi: s, sum: same[i] ? 1 : 0, w: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1];
      const p = blocks[blocks.length - 2];
      if (p.sum / p.w < b.sum / b.w) break;
      blocks.pop();
      p.hi = b.hi;
      p.sum += b.sum;
      p.w += b.w;
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (const b of blocks) {
    const v = b.sum / b.w;
    x.push(b.lo);
    y.push(v);
    if (b.hi !== b.lo) {
      x.push(b.hi);
      y.push(v);
    }
  }
  return { x, y };
}

export function applyIsotonic(fit: IsotonicFit, score: number): number {
  const { x, y } = fit;
  if (!x.length) return 0.5;
  if (score <= x[0]) return y[0];
  if (score >= x[x.length - 1]) return y[y.length - 1];
  let lo = 0, hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= score) lo = mid;
    else hi = mid;
  }
  const span = x[hi] - x[lo];
  return span > 0 ? y[lo] + ((score - x[lo]) / span) * (y[hi] - y[lo]) : y[hi];
}

export interface ReliabilityBin { lo: number; hi: number; count: number; confidence: number; accuracy: number }

/** Equal-width bins over [0, 1]: per bin the pairs in it, their mean probability and the share that are the same person. */
export function reliabilityBins(probs: ArrayLike<number>, same: ArrayLike<boolean>, bins = 15): ReliabilityBin[] {
  const out = Array.from({ length: bins }, (_, k) => ({ lo: k / bins, hi: (k + 1) / bins, count: 0, confidence: 0, accuracy: 0 }));
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1, Math.max(0, probs[i]));
    const b = out[Math.min(bins - 1, Math.floor(p * bins))];
    b.count++;
    b.confidence += p;
    b.accuracy += same[i] ? 1 : 0;
  }
  for (const b of out) if (b.count) {
    b.confidence /= b.count;
    b.accuracy /= b.count;
  }
  return out;
}

/** Expected calibration error: sum over equal-width bins of |accuracy - confidence| weighted by the bin's share of pairs. */
export function expectedCalibrationError(probs: ArrayLike<number>, same: ArrayLike<boolean>, bins = 15): number {
  const n = probs.length;
  return n ? reliabilityBins(probs, same, bins).reduce((e, b) => e + (b.count / n) * Math.abs(b.accuracy - b.confidence), 0) : 0;
}

/** Raw similarity read as a probability (what "a cosine of 0.41 means 41 %" would be): clamped to [0, 1]. */
export function rawProbability(score: number): number {
  return Math.min(1, Math.max(0, score));
}

/** Fold of each pair: the pair set's own folds when it has two or more, else `k` interleaved folds. */
export function foldsOf(n: number, given: ArrayLike<number | undefined> | undefined, k = 10): number[] {
  const g = given ? Array.from({ length: n }, (_, i) => given[i]) : [];
  const distinct = new Set(g.filter((f) => f !== undefined));
  if (g.length === n && g.every((f) => f !== undefined) && distinct.size >= 2) return g as number[];
  return Array.from({ length: n }, (_, i) => i % Math.max(2, k));
}

/** Out-of-fold probabilities: pair i scored by a fit on the pairs of every other fold. */
export function kFoldProbabilities(scores: ArrayLike<number>, same: ArrayLike<boolean>, folds: number[], method: CalibrationMethod): number[] {
  const out = new Array<number>(scores.length).fill(NaN);
  for (const f of new Set(folds)) {
    const trainS: number[] = [];
    const trainY: boolean[] = [];
    for (let i = 0; i < scores.length; i++) if (folds[i] !== f) {
      trainS.push(scores[i]);
      trainY.push(same[i]);
    }
    const apply = method === 'platt' ? ((fit) => (s: number) => applyPlatt(fit, s))(fitPlatt(trainS, trainY)) : ((fit) => (s: number) => applyIsotonic(fit, s))(fitIsotonic(trainS, trainY));
    for (let i = 0; i < scores.length; i++) if (folds[i] === f) out[i] = apply(scores[i]);
  }
  return out;
}

// ---- the calibration file ----

export const CALIBRATION_SCHEMA = 'faceflow/calibration';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const calibrationFileSchema = z.object({
  schema: z.literal(CALIBRATION_SCHEMA),
  version: z.literal(1),
  method: z.enum(['platt', 'isotonic']),
  metric: z.enum(['cosine', 'euclidean']),
  model: z.string().optional(),
  platt: z.object({ a: finite, b: finite }),
  isotonic: z.object({ x: z.array(finite).min(1), y: z.array(z.number().min(0).max(1)).min(1) }),
  fitted_on: z.object({ pairs: z.string(), count: z.number().int().min(1), same: z.number().int().min(0) }).optional(),
  kfold: z.record(z.string(), z.unknown()).optional(),
}).superRefine((c, ctx) => {
  const { x, y } = c.isotonic;
  if (x.length !== y.length) ctx.addIssue({ code: 'custom', path: ['isotonic'], message: `x has ${x.length} knots but y has ${y.length}` });
  for (let i = 1; i < x.length; i++) {
    if (x[i] < x[i - 1]) { ctx.addIssue({ code: 'custom', path: ['isotonic', 'x', i], message: 'knots must be in ascending order' }); break; }
    if (y[i] < y[i - 1]) { ctx.addIssue({ code: 'custom', path: ['isotonic', 'y', i], message: 'probabilities must not decrease' }); break; }
  }
});

export type CalibrationFile = z.infer<typeof calibrationFileSchema>;

/** A calibration file that is not JSON or not a valid calibration: one line naming the file and the problem. */
export class CalibrationFileError extends UserError {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CalibrationFileError';
  }
}

export function parseCalibration(text: string, file = 'calibration'): CalibrationFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CalibrationFileError(file, `not a calibration file: invalid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!raw || typeof raw !== 'object' || (raw as { schema?: unknown }).schema !== CALIBRATION_SCHEMA) {
    throw new CalibrationFileError(file, `not a calibration file (expected "schema": "${CALIBRATION_SCHEMA}"; make one with faceflow calibrate)`);
  }
  const r = calibrationFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : 'file';
    throw new CalibrationFileError(file, `invalid calibration: ${where}: ${issue.message}`);
  }
  return r.data;
}

/** P(same person) for a similarity under a calibration file (its own method unless another is asked for). */
export function calibrate(cal: Pick<CalibrationFile, 'method' | 'platt' | 'isotonic'>, score: number, method: CalibrationMethod = cal.method): number {
  return method === 'platt' ? applyPlatt(cal.platt, score) : applyIsotonic(cal.isotonic, score);
}

export interface CalibrationReport {
  pairs: number;
  same: number;
  folds: number;
  bins: number;
  ece: { raw: number; platt: number; isotonic: number };
  /** Reliability diagrams of the out-of-fold probabilities (and of the raw similarity clamped to [0, 1]). */
  reliability: { raw: ReliabilityBin[]; platt: ReliabilityBin[]; isotonic: ReliabilityBin[] };
}

const round = (v: number, d = 6) => Number(v.toFixed(d));

/**
 * Fit both methods on every pair (the file's maps) and measure each by k-fold (out-of-fold
 * probabilities), beside the raw similarity read as a probability.
 */
export function buildCalibration(
  scores: number[],
  same: boolean[],
  opts: { folds: number[]; method: CalibrationMethod; metric: 'cosine' | 'euclidean'; model?: string; pairsSource: string; bins?: number },
): { file: CalibrationFile; report: CalibrationReport } {
  if (scores.length !== same.length) throw new Error(`${scores.length} scores for ${same.length} labels`);
  const pos = same.filter(Boolean).length;
  if (!pos || pos === same.length) throw new UserError(`${opts.pairsSource}: calibration needs both matched and mismatched pairs (${pos} of ${same.length} are matched)`);
  const bins = opts.bins ?? 15;
  const platt = fitPlatt(scores, same);
  const iso = fitIsotonic(scores, same);
  const pPlatt = kFoldProbabilities(scores, same, opts.folds, 'platt');
  const pIso = kFoldProbabilities(scores, same, opts.folds, 'isotonic');
  const pRaw = scores.map(rawProbability);
  const report: CalibrationReport = {
    pairs: scores.length,
    same: pos,
    folds: new Set(opts.folds).size,
    bins,
    ece: {
      raw: expectedCalibrationError(pRaw, same, bins),
      platt: expectedCalibrationError(pPlatt, same, bins),
      isotonic: expectedCalibrationError(pIso, same, bins),
    },
    reliability: { raw: reliabilityBins(pRaw, same, bins), platt: reliabilityBins(pPlatt, same, bins), isotonic: reliabilityBins(pIso, same, bins) },
  };
  const file: CalibrationFile = {
    schema: CALIBRATION_SCHEMA,
    version: 1,
    method: opts.method,
    metric: opts.metric,
    ...(opts.model ? { model: opts.model } : {}),
    platt: { a: round(platt.a), b: round(platt.b) },
    isotonic: { x: iso.x.map((v) => round(v)), y: iso.y.map((v) => round(v)) },
    fitted_on: { pairs: opts.pairsSource, count: scores.length, same: pos },
    kfold: { folds: report.folds, bins, ece_raw: round(report.ece.raw), ece_platt: round(report.ece.platt), ece_isotonic: round(report.ece.isotonic) },
  };
  return { file, report };
}
