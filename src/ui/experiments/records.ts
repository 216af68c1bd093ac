import { tarAtFar, type RocPoint, type VerificationMetrics } from '../../eval/metrics.js';
import type { Pipeline } from '../../graph/schema.js';
import type { CalibrationReport } from '../../eval/calibration.js';
import { balancedAccuracy, matchedShare, type KindSummary, type PairKind } from './honest.js';

/** One dataset run as stored in IndexedDB. */
export interface ExperimentRecord {
  id?: number;
  /** The preset (document) name at run time. */
  preset: string;
  /** Hash of what affects results (node types, params, edges): equal hashes ran the same pipeline. */
  presetHash: string;
  /** The pipeline that ran; absent on runs imported from `faceflow eval` JSON (source "cli"). */
  pipeline?: Pipeline;
  /** Where the run was made: a lab dataset run (absent on older records) or an imported CLI eval. */
  source?: 'lab' | 'cli';
  dataset: { name: string; items: number; failed: number; pairs?: string };
  backend: string;
  /** ISO time the run finished. */
  time: string;
  ms: number;
  metrics: VerificationMetrics;
  /** k-fold calibration of the run's scores (ECE, reliability bins); absent on runs recorded before it was measured. */
  calibration?: CalibrationReport;
  /** Per kind of pair (both masked, one, neither) when the dataset had mask labels (labels.txt). */
  maskBreakdown?: Partial<Record<PairKind, KindSummary>>;
}

/** The summary columns of the comparison table (and of the CSV). */
export const SUMMARY_COLUMNS = ['id', 'preset', 'presetHash', 'dataset', 'items', 'failed', 'pairs', 'accuracy', 'accuracyStd', 'balancedAccuracy', 'matchedShare', 'auc', 'eer', 'tar@far=1e-2', 'tar@far=1e-3', 'threshold', 'backend', 'time', 'seconds'] as const;

export function summaryRow(r: ExperimentRecord): Record<(typeof SUMMARY_COLUMNS)[number], string | number> {
  const m = r.metrics;
  return {
    id: r.id ?? '',
    preset: r.preset,
    presetHash: r.presetHash,
    dataset: r.dataset.name,
    items: r.dataset.items,
    failed: r.dataset.failed,
    pairs: m.pairs,
    accuracy: m.accuracy.mean,
    accuracyStd: m.accuracy.std,
    balancedAccuracy: balancedAccuracy(m.roc),
    matchedShare: matchedShare(m),
    auc: m.auc,
    eer: m.eer,
    'tar@far=1e-2': m.tarAtFar['0.01'],
    'tar@far=1e-3': m.tarAtFar['0.001'],
    threshold: m.threshold,
    backend: r.backend,
    time: r.time,
    seconds: Math.round(r.ms / 100) / 10,
  };
}

function csvCell(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : v;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(records: ExperimentRecord[]): string {
  const lines = [SUMMARY_COLUMNS.join(',')];
  for (const r of records) {
    const row = summaryRow(r);
    lines.push(SUMMARY_COLUMNS.map((c) => csvCell(row[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Full records as JSON (thresholds of +Infinity become null). */
export function toJson(records: ExperimentRecord[]): string {
  return JSON.stringify({ schema: 'faceflow/experiments', version: 1, runs: records }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}

/** At most `max` points of a ROC: its ends, and per bucket of log FAR (1e-6..1) the bucket's last (highest-TAR) point. */
export function thinRoc(roc: RocPoint[], max = 300): RocPoint[] {
  if (roc.length <= max) return roc;
  const buckets = max - 2;
  const kept = new Map<number, RocPoint>();
  for (let i = 1; i < roc.length - 1; i++) {
    const lf = Math.log10(Math.max(roc[i].far, 1e-6));
    kept.set(Math.min(buckets - 1, Math.floor(((lf + 6) / 6) * buckets)), roc[i]);
  }
  return [roc[0], ...[...kept.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p), roc[roc.length - 1]];
}

/** The operating point at a target FAR: threshold and TAR there (metrics.ts's tarAtFar). */
export function operatingPoint(r: ExperimentRecord, far: number): { threshold: number; tar: number; far: number } {
  // an imported CLI run without its ROC CSV has no curve to read
  return r.metrics.roc.length ? tarAtFar(r.metrics.roc, far) : { threshold: NaN, tar: NaN, far: NaN };
}
