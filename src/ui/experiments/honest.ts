import { z } from 'zod';
import type { MaskLabel } from '../../eval/mask-labels.js';
import { aucFromRoc, rocCurve, type RocPoint, type VerificationMetrics } from '../../eval/metrics.js';
import type { ScoredPair } from '../../eval/verify.js';
import { flatParams } from '../presets/param-diff.js';
import type { ExperimentRecord } from './records.js';

/** Matched and mismatched pairs of a run (its score histogram counts every pair once). */
export function pairCounts(m: VerificationMetrics): { matched: number; mismatched: number } {
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  return { matched: sum(m.histogram.matched), mismatched: sum(m.histogram.mismatched) };
}

/**
 * A pair set is imbalanced when fewer than a fifth (or more than four fifths) of its pairs are
 * matched: then "always different" (or "always same") already scores >= 80% accuracy.
 */
export function matchedShare(m: VerificationMetrics): number {
  const c = pairCounts(m);
  return c.matched / Math.max(1, c.matched + c.mismatched);
}
export const isImbalanced = (m: VerificationMetrics) => Math.abs(matchedShare(m) - 0.5) > 0.3;

/** Balanced accuracy, (TAR + TNR) / 2, at its best threshold over the pairs: blind to the matched/mismatched ratio. */
export function balancedAccuracy(roc: RocPoint[]): number {
  return roc.reduce((best, p) => Math.max(best, (p.tar + 1 - p.far) / 2), roc.length ? 0 : NaN);
}

export type PairKind = 'masked-masked' | 'masked-unmasked' | 'unmasked-unmasked';
export const PAIR_KINDS: PairKind[] = ['masked-masked', 'masked-unmasked', 'unmasked-unmasked'];

export interface KindSummary {
  pairs: number;
  matched: number;
  /** At the run's own threshold (one operating point for the whole set). */
  accuracy: number;
  tar: number;
  tnr: number;
  auc: number;
  balancedAccuracy: number;
}

/** "Name_0003.png" (any folder) -> the labels.txt key "Name#3". */
function labelKey(image: string): string | undefined {
  const m = /([^/\\]+)_(\d+)\.[a-z]+$/i.exec(image);
  return m ? `${m[1]}#${Number(m[2])}` : undefined;
}

/**
 * Results per kind of pair when the dataset labels which faces wear a mask (MFR2's labels.txt):
 * both masked, one masked, neither. Pairs with an unlabelled image are left out.
 */
export function maskBreakdown(pairs: ScoredPair[], labels: MaskLabel[], threshold: number): Partial<Record<PairKind, KindSummary>> {
  const masked = new Map(labels.map((l) => [`${l.identity}#${l.number}`, l.masked]));
  const groups = new Map<PairKind, ScoredPair[]>();
  for (const p of pairs) {
    if (p.same === undefined) continue;
    const a = masked.get(labelKey(p.a) ?? '');
    const b = masked.get(labelKey(p.b) ?? '');
    if (a === undefined || b === undefined) continue;
    const kind: PairKind = a && b ? 'masked-masked' : a || b ? 'masked-unmasked' : 'unmasked-unmasked';
    groups.set(kind, [...(groups.get(kind) ?? []), p]);
  }
  const out: Partial<Record<PairKind, KindSummary>> = {};
  for (const [kind, ps] of groups) {
    const same = ps.map((p) => p.same!);
    const matched = same.filter(Boolean).length;
    // a ROC (AUC, balanced accuracy) needs both matched and mismatched pairs in the group
    const roc = matched && matched < ps.length ? rocCurve(ps.map((p) => p.score), same) : [];
    const accepted = (p: ScoredPair) => p.score >= threshold;
    const tp = ps.filter((p) => p.same && accepted(p)).length;
    const tn = ps.filter((p) => !p.same && !accepted(p)).length;
    out[kind] = {
      pairs: ps.length, matched, accuracy: (tp + tn) / ps.length,
      tar: matched ? tp / matched : NaN, tnr: ps.length - matched ? tn / (ps.length - matched) : NaN,
      auc: roc.length ? aucFromRoc(roc) : NaN, balancedAccuracy: balancedAccuracy(roc),
    };
  }
  return out;
}

const short = (v: unknown) => {
  const s = typeof v === 'string' ? v.replace(/^.*\//, '') : JSON.stringify(v);
  return s.length > 24 ? `${s.slice(0, 23)}…` : s;
};

/**
 * A name per run: its preset and, when other runs of a preset of that name ran another pipeline,
 * what differs (up to three params, e.g. "fusion.heads=8"), so rows no longer read alike.
 */
export function runLabels(records: ExperimentRecord[]): Map<number | undefined, string> {
  const labels = new Map<number | undefined, string>();
  const byPreset = new Map<string, ExperimentRecord[]>();
  for (const r of records) byPreset.set(r.preset, [...(byPreset.get(r.preset) ?? []), r]);
  for (const group of byPreset.values()) {
    const hashes = new Set(group.map((r) => r.presetHash));
    const flat = group.map((r) => flatParams(r.pipeline));
    const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
    const differing = hashes.size > 1 ? keys.filter((k) => new Set(flat.map((f) => f.get(k) ?? '∅')).size > 1) : [];
    group.forEach((r, i) => {
      const parts = differing.slice(0, 3).map((k) => {
        const v = flat[i].get(k);
        if (k.startsWith('+')) return v === undefined ? `−${k.slice(1)}` : k;
        return `${k}=${v === undefined ? '∅' : short(JSON.parse(v))}`;
      });
      const more = differing.length > 3 ? ` +${differing.length - 3}` : '';
      labels.set(r.id, parts.length ? `${r.preset} · ${parts.join(', ')}${more}` : r.preset);
    });
  }
  return labels;
}

/** The JSON `faceflow eval --json` writes (src/eval/run-eval.ts evalSummary): the fields a run record needs. */
const EvalJson = z.object({
  pairs: z.number().int().positive(),
  folds: z.number().int().positive(),
  images: z.number().int().nonnegative(),
  accuracy: z.object({ mean: z.number(), std: z.number() }),
  auc: z.number(),
  eer: z.number(),
  tar_at_far: z.object({ '0.01': z.number(), '0.001': z.number() }),
  threshold: z.number().nullable(),
  failed_detections: z.number().int().nonnegative().default(0),
  seconds: z.number(),
  backend: z.string(),
  model: z.string().default(''),
  threshold_on_same_pairs: z.boolean().default(false),
  per_fold: z.array(z.object({ fold: z.number(), pairs: z.number(), threshold: z.number().nullable(), accuracy: z.number() })).default([]),
  histogram: z.object({ edges: z.array(z.number()), matched: z.array(z.number()), mismatched: z.array(z.number()) }),
});

/** `threshold,far,tar` lines (`faceflow eval --roc`), "inf" for the reject-all threshold. */
export function parseRocCsv(text: string, file: string): RocPoint[] {
  const lines = text.trim().split(/\r?\n/);
  if (lines[0]?.trim() !== 'threshold,far,tar') throw new Error(`${file}: expected the header "threshold,far,tar" (faceflow eval --roc)`);
  return lines.slice(1).map((l, i) => {
    const [t, far, tar] = l.split(',');
    const p = { threshold: t === 'inf' ? Infinity : Number(t), far: Number(far), tar: Number(tar) };
    if (![p.far, p.tar].every(Number.isFinite) || Number.isNaN(p.threshold)) throw new Error(`${file}:${i + 2}: expected threshold,far,tar numbers, got "${l}"`);
    return p;
  });
}

/** A run record from the JSON `faceflow eval` wrote (and its --roc CSV when given), to sit beside the lab's runs. */
export function recordFromEvalJson(text: string, file: string, roc: RocPoint[] = []): ExperimentRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file}: not valid JSON`);
  }
  const parsed = EvalJson.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: "${issue.path.join('.')}" ${issue.message} (expected the JSON of faceflow eval --json)`);
  }
  const e = parsed.data;
  const stem = file.replace(/\.json$/i, '');
  return {
    preset: `${stem} (CLI)`,
    presetHash: '',
    source: 'cli',
    dataset: { name: `${e.images} images`, items: e.images, failed: e.failed_detections, pairs: file },
    backend: e.backend,
    time: new Date().toISOString(),
    ms: e.seconds * 1000,
    metrics: {
      pairs: e.pairs, folds: e.folds,
      accuracy: { mean: e.accuracy.mean, std: e.accuracy.std, perFold: e.per_fold.map((f) => ({ ...f, threshold: f.threshold ?? Infinity })), thresholdOnSamePairs: e.threshold_on_same_pairs },
      auc: e.auc, eer: e.eer, tarAtFar: e.tar_at_far, threshold: e.threshold ?? Infinity, roc, histogram: e.histogram,
    },
  };
}
