import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import { verificationMetrics } from '../../src/eval/metrics.js';
import type { Pipeline } from '../../src/graph/schema.js';
import { datasetItems, datasetName, datasetPath, datasetPipeline, embeddingsSink } from '../../src/ui/experiments/dataset.js';
import { operatingPoint, SUMMARY_COLUMNS, thinRoc, toCsv, toJson, type ExperimentRecord } from '../../src/ui/experiments/records.js';

const embed: Pipeline = {
  schema: 'faceflow/pipeline', version: 2, name: 'Embed, "quoted"', description: '',
  nodes: [
    { id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
    { id: 'align', type: 'align', params: { mode: 'center' }, position: { x: 0, y: 0 } },
    { id: 'embed', type: 'mobilefacenet', params: { tap: true }, position: { x: 0, y: 0 } },
    { id: 'gate', type: 'attention-gate', params: {}, position: { x: 0, y: 0 } },
  ],
  edges: [
    { from: { node: 'input', port: 'image' }, to: { node: 'align', port: 'image' } },
    { from: { node: 'align', port: 'faces' }, to: { node: 'embed', port: 'faces' } },
    { from: { node: 'embed', port: 'features' }, to: { node: 'gate', port: 'features' } },
    { from: { node: 'embed', port: 'embeddings' }, to: { node: 'gate', port: 'embeddings' } },
  ],
};

describe('dataset runs', () => {
  it('names items by their path inside the picked folder, images only, sorted', () => {
    expect(datasetPath('lfw/Aaron/Aaron_0001.jpg', 'x.jpg')).toBe('Aaron/Aaron_0001.jpg');
    expect(datasetPath('', 'x.jpg')).toBe('x.jpg');
    expect(datasetName('lfw/Aaron/a.jpg', 'files')).toBe('lfw');
    const blob = (size: number) => Object.assign(new Blob([new Uint8Array(size)]), { lastModified: 7 });
    const items = datasetItems([
      { path: 'B/b.png', file: blob(3) }, { path: 'A/a.jpg', file: blob(2) }, { path: 'A/notes.txt', file: blob(1) },
    ], (f) => `blob:${f.path}`);
    expect(items).toEqual([
      { id: 'ds:A/a.jpg:2:7', name: 'A/a.jpg', path: 'blob:A/a.jpg' },
      { id: 'ds:B/b.png:3:7', name: 'B/b.png', path: 'blob:B/b.png' },
    ]);
  });

  it('verifies the last embeddings of the pipeline, with a pairs file when given', () => {
    expect(embeddingsSink(embed, registry)).toEqual({ node: 'gate', port: 'embeddings' });
    const plain = datasetPipeline(embed, registry);
    expect(plain.verifyId).toBe('__verify');
    expect(plain.pipeline.edges.at(-1)).toEqual({ from: { node: 'gate', port: 'embeddings' }, to: { node: '__verify', port: 'embeddings' } });
    expect(embed.nodes).toHaveLength(4); // the document itself is unchanged
    const withPairs = datasetPipeline(embed, registry, 'blob:pairs');
    expect(withPairs.pipeline.nodes.find((n) => n.id === '__pairs')?.params).toEqual({ file: 'blob:pairs' });
    expect(withPairs.pipeline.edges).toContainEqual({ from: { node: '__pairs', port: 'pairs' }, to: { node: '__verify', port: 'pairs' } });
    expect(() => datasetPipeline({ ...embed, nodes: embed.nodes.slice(0, 2), edges: embed.edges.slice(0, 1) }, registry)).toThrow(/no node that makes embeddings/);
  });
});

describe('experiment records', () => {
  const scores = [0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.85, 0.1];
  const same = [true, true, true, false, false, false, true, false];
  const record: ExperimentRecord = {
    id: 3, preset: 'Embed, "quoted"', presetHash: 'abc', pipeline: embed, dataset: { name: 'mini', items: 8, failed: 0 },
    backend: 'wasm', time: '2026-01-01T00:00:00.000Z', ms: 1234, metrics: verificationMetrics(scores, same, [1, 1, 1, 1, 2, 2, 2, 2]),
  };

  it('exports a CSV row per run, quoting where needed, and JSON without infinities', () => {
    const [head, row] = toCsv([record]).trim().split('\n');
    expect(head.split(',')).toEqual([...SUMMARY_COLUMNS]);
    expect(row.startsWith('3,"Embed, ""quoted""",abc,mini,8,0,8,1,0,1,0.500000,1,0,1,1,')).toBe(true);
    const json = JSON.parse(toJson([record]));
    expect(json.runs[0].metrics.roc[0].threshold).toBeNull();
  });

  it('reads the operating point at a FAR from the ROC, and thins long ROCs', () => {
    const op = operatingPoint(record, 0.01);
    expect(op.far).toBe(0);
    expect(op.tar).toBe(1);
    const long = Array.from({ length: 5000 }, (_, i) => ({ threshold: 1 - i / 5000, far: i / 5000, tar: Math.sqrt(i / 5000) }));
    const thin = thinRoc(long, 300);
    expect(thin.length).toBeLessThanOrEqual(300);
    expect(thin.length).toBeGreaterThan(100);
    expect(thin[0]).toBe(long[0]);
    expect(thin.at(-1)).toBe(long.at(-1));
  });
});
