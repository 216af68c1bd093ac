import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes';
import type { Pipeline } from '../../src/graph/schema';
import type { WeightsValue } from '../../src/models/fusion/runtime';
import { addOccludedBranch, attentionPair } from '../../src/ui/views/attention/pairs';
import { componentWeights, headMatrices } from '../../src/ui/views/fusion-data';

const doc: Pipeline = {
  schema: 'faceflow/pipeline', version: 2, name: 'g', description: '',
  nodes: [
    { id: 'align', type: 'align', params: {}, position: { x: 0, y: 0 } },
    { id: 'embed', type: 'mobilefacenet', params: { tap: true }, position: { x: 300, y: 0 } },
    { id: 'gate', type: 'attention-gate', params: { weights: 'weights/gate.json' }, position: { x: 600, y: 0 } },
  ],
  edges: [
    { from: { node: 'align', port: 'faces' }, to: { node: 'embed', port: 'faces' } },
    { from: { node: 'embed', port: 'features' }, to: { node: 'gate', port: 'features' } },
  ],
};

describe('attention pairs', () => {
  it('finds only the clean gate before a branch is added', () => {
    const p = attentionPair(doc, 'gate');
    expect(p.clean?.gateId).toBe('gate');
    expect(p.occluded).toBeUndefined();
    expect(p.cleanFaces).toEqual({ node: 'align', port: 'faces' });
  });

  it('adds an occluded twin with the same weights and pairs the two gates either way', () => {
    const r = addOccludedBranch(doc, registry, 'gate')!;
    expect(r.doc.nodes.map((n) => n.type)).toEqual(['align', 'mobilefacenet', 'attention-gate', 'occlusion', 'mobilefacenet', 'attention-gate']);
    expect(r.doc.nodes.find((n) => n.id === r.gateId)?.params.weights).toBe('weights/gate.json');
    for (const id of ['gate', r.gateId]) {
      const p = attentionPair(r.doc, id);
      expect(p.clean?.gateId).toBe('gate');
      expect(p.occluded?.gateId).toBe(r.gateId);
      expect(p.occluded?.occlusionId).toBe('occlusion');
    }
    // An occluded gate gets no second branch.
    expect(addOccludedBranch(r.doc, registry, r.gateId)).toBeUndefined();
  });
});

describe('fusion weights', () => {
  it('splits [face, component] rows and [face, head, query, key] matrices', () => {
    const w: WeightsValue = { kind: 'fusion-attention', shape: [2, 3], data: new Float32Array([0.2, 0.3, 0.5, 0.6, 0.3, 0.1]), axes: ['face', 'component'], labels: ['a', 'b', 'c'] };
    const c = componentWeights(w);
    expect(c.faces).toBe(2);
    expect(c.row(1).map((v) => +v.toFixed(2))).toEqual([0.6, 0.3, 0.1]);
    const t: WeightsValue = { kind: 'fusion-transformer', shape: [1, 2, 2, 2], data: new Float32Array([1, 0, 0, 1, 0.5, 0.5, 0.25, 0.75]), axes: ['face', 'head', 'query', 'key'] };
    expect(headMatrices(t, 0)).toEqual([[[1, 0], [0, 1]], [[0.5, 0.5], [0.25, 0.75]]]);
  });
});
