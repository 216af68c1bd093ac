import { describe, expect, it } from 'vitest';
import { verificationMetrics } from '../../src/eval/metrics.js';
import type { Pipeline } from '../../src/graph/schema.js';
import { balancedAccuracy, isImbalanced, maskBreakdown, parseRocCsv, recordFromEvalJson, runLabels } from '../../src/ui/experiments/honest.js';
import type { ExperimentRecord } from '../../src/ui/experiments/records.js';

const pipeline = (clip: number, extra = false): Pipeline => ({
  schema: 'faceflow/pipeline', version: 2, name: 'P', description: '',
  nodes: [
    { id: 'clahe', type: 'clahe', params: { clipLimit: clip }, position: { x: 0, y: 0 } },
    ...(extra ? [{ id: 'gray', type: 'grayscale', params: {}, position: { x: 0, y: 0 } }] : []),
  ],
  edges: [],
});
const record = (id: number, p: Pipeline, hash: string): ExperimentRecord => ({
  id, preset: p.name, presetHash: hash, pipeline: p, dataset: { name: 'd', items: 4, failed: 0 }, backend: 'wasm', time: '', ms: 1,
  metrics: verificationMetrics([0.9, 0.8, 0.1, 0.2], [true, true, false, false], [0, 0, 0, 0]),
});

describe('honest experiments', () => {
  it('names runs of one preset name by the params and nodes that differ, and leaves lone presets alone', () => {
    const names = runLabels([record(1, pipeline(2), 'a'), record(2, pipeline(4), 'b'), record(3, pipeline(2, true), 'c'), record(4, { ...pipeline(2), name: 'Q' }, 'd')]);
    expect(names.get(1)).toBe('P · −gray, clahe.clipLimit=2');
    expect(names.get(2)).toBe('P · −gray, clahe.clipLimit=4');
    expect(names.get(3)).toBe('P · +gray, clahe.clipLimit=2');
    expect(names.get(4)).toBe('Q');
  });

  it('balanced accuracy ignores the share of matched pairs; a 3% matched set is flagged', () => {
    // 3 matched, 97 mismatched; scores separate all but one matched pair
    const same = Array.from({ length: 100 }, (_, i) => i < 3);
    const scores = same.map((s, i) => (s ? (i === 0 ? 0.1 : 0.9) : 0.2 + i / 1000));
    const m = verificationMetrics(scores, same, same.map((_, i) => i % 10));
    expect(isImbalanced(m)).toBe(true);
    expect(balancedAccuracy(m.roc)).toBeCloseTo((2 / 3 + 1) / 2, 6);
    expect(isImbalanced(verificationMetrics([0.9, 0.1], [true, false], [0, 0]))).toBe(false);
  });

  it('breaks pairs down by mask labels, at the run threshold', () => {
    const labels = [
      { identity: 'A', number: 1, masked: true, type: 'cloth' }, { identity: 'A', number: 2, masked: false, type: 'no-mask' },
      { identity: 'B', number: 1, masked: true, type: 'cloth' },
    ];
    const pairs = [
      { a: 'images/A/A_0001.png', b: 'images/A/A_0002.png', score: 0.7, same: true, accepted: true },
      { a: 'images/A/A_0001.png', b: 'images/B/B_0001.png', score: 0.6, same: false, accepted: true },
      { a: 'images/A/A_0002.png', b: 'images/C/C_0001.png', score: 0.1, same: false, accepted: false },
    ];
    const b = maskBreakdown(pairs, labels, 0.5);
    expect(b['masked-unmasked']).toMatchObject({ pairs: 1, matched: 1, accuracy: 1, tar: 1 });
    expect(b['masked-masked']).toMatchObject({ pairs: 1, matched: 0, accuracy: 0, tnr: 0 });
    expect(b['unmasked-unmasked']).toBeUndefined();
  });

  it('imports faceflow eval JSON with its ROC CSV, and names the file and field of a bad one', () => {
    const json = JSON.stringify({
      pairs: 4, folds: 1, images: 4, accuracy: { mean: 0.75, std: 0 }, auc: 0.9, eer: 0.25, tar_at_far: { '0.01': 0.5, '0.001': 0.5 },
      threshold: 0.4, failed_detections: 0, seconds: 2, backend: 'wasm', histogram: { edges: [0, 1], matched: [2], mismatched: [2] },
    });
    const roc = parseRocCsv('threshold,far,tar\ninf,0,0\n0.5,0,0.5\n-1,1,1\n', 'r.csv');
    const r = recordFromEvalJson(json, 'base.json', roc);
    expect(r).toMatchObject({ preset: 'base (CLI)', source: 'cli', ms: 2000, metrics: { accuracy: { mean: 0.75 }, roc } });
    expect(() => recordFromEvalJson('{"pairs": 4}', 'x.json')).toThrow(/^x\.json: "folds"/);
    expect(() => parseRocCsv('a,b\n', 'r.csv')).toThrow(/r\.csv: expected the header/);
  });
});
