import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { WeightsValue } from '../../src/graph/values.js';
import {
  colourRange, differenceCells, divergingColor, faceMapOf, isFaceMap, mapPlacement, symmetricRange, toUnit, valueRange, type FaceMap,
} from '../../src/ui/views/attention/maps.js';
import { addOccludedBranch, attentionPair, mapSource } from '../../src/ui/views/attention/pairs.js';
import { componentWeights, headMatrices } from '../../src/ui/views/fusion-data.js';

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
    expect(p.clean?.nodeId).toBe('gate');
    expect(p.occluded).toBeUndefined();
    expect(p.cleanFaces).toEqual({ node: 'align', port: 'faces' });
  });

  it('adds an occluded twin with the same weights and pairs the two gates either way', () => {
    const r = addOccludedBranch(doc, registry, 'gate')!;
    expect(r.doc.nodes.map((n) => n.type)).toEqual(['align', 'mobilefacenet', 'attention-gate', 'occlusion', 'mobilefacenet', 'attention-gate']);
    expect(r.doc.nodes.find((n) => n.id === r.nodeId)?.params.weights).toBe('weights/gate.json');
    for (const id of ['gate', r.nodeId]) {
      const p = attentionPair(r.doc, id);
      expect(p.clean?.nodeId).toBe('gate');
      expect(p.occluded?.nodeId).toBe(r.nodeId);
      expect(p.occluded?.occlusionId).toBe('occlusion');
    }
    // An occluded gate gets no second branch.
    expect(addOccludedBranch(r.doc, registry, r.nodeId)).toBeUndefined();
  });
});

describe('a backbone with its own gate map (the 14x14 attention output of a fine-tuned MobileFaceNet)', () => {
  it('is its own chain; its occluded twin is an occlusion node and a copy of the backbone (same weights)', () => {
    const d: Pipeline = { ...doc, nodes: doc.nodes.map((n) => (n.id === 'embed' ? { ...n, params: { ...n.params, weights: 'student.json' } } : n)) };
    expect(mapSource(d, 'embed')?.chain).toEqual(['embed']);
    const r = addOccludedBranch(d, registry, 'embed')!;
    const added = r.doc.nodes.slice(d.nodes.length);
    expect(added.map((n) => n.type)).toEqual(['occlusion', 'mobilefacenet']);
    expect(added[1].params.weights).toBe('student.json');
    const p = attentionPair(r.doc, r.nodeId);
    expect([p.clean?.nodeId, p.occluded?.nodeId]).toEqual(['embed', r.nodeId]);
  });
});

describe('occlusion sensitivity pairs', () => {
  const sens: Pipeline = {
    ...doc,
    nodes: [...doc.nodes, { id: 'sens', type: 'occlusion-sensitivity', params: { backbone: 'dlib-resnet', stride: 4 }, position: { x: 300, y: 300 } }],
    edges: [...doc.edges, { from: { node: 'align', port: 'faces' }, to: { node: 'sens', port: 'faces' } }],
  };

  it('a node fed by faces directly is its own chain; the gate\'s chain is backbone + gate', () => {
    expect(mapSource(sens, 'sens')).toEqual({ nodeId: 'sens', faces: { node: 'align', port: 'faces' }, chain: ['sens'] });
    expect(mapSource(sens, 'gate')?.chain).toEqual(['embed', 'gate']);
  });

  it('the occluded twin is an occlusion node and a copy of the node with the same params; the pair is found from either side', () => {
    const r = addOccludedBranch(sens, registry, 'sens')!;
    const added = r.doc.nodes.slice(sens.nodes.length);
    expect(added.map((n) => n.type)).toEqual(['occlusion', 'occlusion-sensitivity']);
    expect(added[1].params).toEqual({ backbone: 'dlib-resnet', stride: 4 });
    expect(r.doc.edges.slice(sens.edges.length)).toEqual([
      { from: { node: 'align', port: 'faces' }, to: { node: 'occlusion', port: 'faces' } },
      { from: { node: 'occlusion', port: 'faces' }, to: { node: r.nodeId, port: 'faces' } },
    ]);
    for (const id of ['sens', r.nodeId]) {
      const p = attentionPair(r.doc, id);
      expect(p.clean?.nodeId).toBe('sens');
      expect(p.occluded?.nodeId).toBe(r.nodeId);
    }
    // The gate is not paired with a sensitivity node (another type).
    expect(attentionPair(r.doc, 'gate').occluded).toBeUndefined();
  });
});

/** A map of `kind` over n faces of h x w cells with the given values. */
const faceMap = (kind: string, n: number, h: number, w: number, values: number[], extra: Partial<FaceMap> = {}): FaceMap =>
  ({ kind, shape: [n, h, w], data: Float32Array.from(values), axes: ['face', 'row', 'column'], ...extra });

describe('face maps: colour range, difference, placement', () => {
  it('any [n, h, w] gate map is a face map (7x7, 14x14, 28x28), whatever output port it is on; fusion weights are not', () => {
    for (const s of [7, 14, 28]) expect(isFaceMap(faceMap('gate', 2, s, s, new Array(2 * s * s).fill(0.5)))).toBe(true);
    expect(isFaceMap(faceMap('gate', 1, 14, 14, new Array(10).fill(0)))).toBe(false); // data does not fit the shape
    const fusion: WeightsValue = { kind: 'fusion-attention', shape: [1, 12], data: new Float32Array(12), axes: ['face', 'component'] };
    expect(isFaceMap(fusion)).toBe(false);
    // The mobilefacenet node's "attention" output without a fine-tuned network is [0, 0, 0]: the plain summary, no heatmap.
    expect(isFaceMap(faceMap('gate', 0, 0, 0, []))).toBe(false);
    expect(isFaceMap(faceMap('gate', 0, 14, 14, []))).toBe(true);
    const g14 = faceMap('gate', 1, 14, 14, new Array(196).fill(0.9));
    expect(faceMapOf({ embeddings: { dim: 192 }, gateMap: g14 })).toEqual({ port: 'gateMap', map: g14 });
  });

  it('stretches colours to the maps\' own range: a 0.88..0.996 gate map spans the whole scale (the fixed 0..1 scale hid it)', () => {
    const m = faceMap('gate', 1, 2, 2, [0.88, 0.9, 0.95, 0.996]);
    const stretched = colourRange([{ map: m, index: 0 }], 'stretch')!;
    expect(stretched.min).toBeCloseTo(0.88, 6);
    expect(stretched.max).toBeCloseTo(0.996, 6);
    expect(toUnit(stretched.min, stretched)).toBe(0);
    expect(toUnit(0.9, stretched)).toBeCloseTo(0.02 / 0.116, 4);
    expect(toUnit(0.996, stretched)).toBeCloseTo(1, 6);
    expect(colourRange([{ map: m, index: 0 }], 'fixed')).toEqual({ min: 0, max: 1 });
    expect(toUnit(0.95, { min: 0, max: 1 }) - toUnit(0.88, { min: 0, max: 1 })).toBeLessThan(0.1);
    // A flat map sits mid-scale instead of dividing by zero.
    expect(toUnit(0.5, { min: 0.5, max: 0.5 })).toBe(0.5);
    // Over several faces and both columns: one shared range, only the faces shown.
    const two = faceMap('sensitivity', 2, 1, 2, [0.01, 0.2, 0.5, -0.001]);
    expect(colourRange([{ map: two, index: 0 }], 'stretch')).toEqual({ min: Math.fround(0.01), max: Math.fround(0.2) });
    expect(valueRange([two.data])).toEqual({ min: Math.fround(-0.001), max: 0.5 });
  });

  it('clean minus occluded, cell by cell; positive where the occluder lowered the map; maps of other sizes do not subtract', () => {
    const clean = faceMap('gate', 1, 2, 2, [0.9, 0.9, 0.95, 0.95]);
    const occ = faceMap('gate', 1, 2, 2, [0.9, 0.92, 0.6, 0.5]);
    expect(Array.from(differenceCells(clean, occ, 0)!).map((v) => +v.toFixed(3))).toEqual([0, -0.02, 0.35, 0.45]);
    expect(differenceCells(clean, faceMap('gate', 1, 1, 4, [0, 0, 0, 0]), 0)).toBeUndefined();
    expect(differenceCells(clean, occ, 1)).toBeUndefined();
    const r = symmetricRange([differenceCells(clean, occ, 0)!]);
    expect(r.max).toBeCloseTo(0.45, 6);
    expect(r.min).toBeCloseTo(-0.45, 6);
    expect(divergingColor(1)[0]).toBeGreaterThan(divergingColor(1)[2]); // positive: warm
    expect(divergingColor(-1)[2]).toBeGreaterThan(divergingColor(-1)[0]); // negative: cool
  });

  it('a gate map tiles the crop; a sensitivity map sits on its patch centres (13 x 13 cells of 8 px from 4 px on a 112 crop)', () => {
    expect(mapPlacement(faceMap('gate', 1, 14, 14, new Array(196).fill(0)), 112)).toEqual({ x: 0, y: 0, width: 112, height: 112 });
    const grid = { size: 112, patch: 16, stride: 8, count: 13, offset: 0 };
    const s = faceMap('sensitivity', 1, 13, 13, new Array(169).fill(0), { grid });
    expect(mapPlacement(s, 112)).toEqual({ x: 4, y: 4, width: 104, height: 104 });
    // Drawn on a 224 px canvas of the same crop: everything doubles.
    expect(mapPlacement(s, 224)).toEqual({ x: 8, y: 8, width: 208, height: 208 });
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
