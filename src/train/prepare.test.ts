import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import type { Pipeline } from '../graph/schema.js';
import { cachePipeline, findTrainTarget, withOcclusion } from './prepare.js';

const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, params, position: { x: 0, y: 0 } });
const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });

function preset(): Pipeline {
  return {
    schema: 'faceflow/pipeline', version: 2, name: 'p', description: '',
    nodes: [node('img', 'image-input'), node('det', 'mtcnn'), node('align', 'align'), node('mfn', 'mobilefacenet', { tap: false }),
      node('gate', 'attention-gate'), node('ctx', 'context'), node('fuse', 'fusion-transformer'), node('pairs', 'pairs')],
    edges: [
      edge('img', 'image', 'det', 'image'), edge('img', 'image', 'align', 'image'), edge('det', 'detections', 'align', 'detections'),
      edge('align', 'faces', 'mfn', 'faces'), edge('mfn', 'features', 'gate', 'features'), edge('mfn', 'embeddings', 'gate', 'embeddings'),
      edge('align', 'faces', 'ctx', 'faces'), edge('det', 'detections', 'ctx', 'detections'),
      edge('gate', 'embeddings', 'fuse', 'embeddings'), edge('ctx', 'context', 'fuse', 'context'), edge('fuse', 'embeddings', 'pairs', 'embeddings'),
    ],
  } as Pipeline;
}

describe('training pipeline surgery', () => {
  it('finds the trainable node and its input sources', () => {
    expect(() => findTrainTarget(preset(), registry)).toThrow(/several trainable nodes/);
    const t = findTrainTarget(preset(), registry, 'transformer');
    expect(t).toEqual({ kind: 'transformer', nodeId: 'fuse', sources: { embeddings: { node: 'gate', port: 'embeddings' }, context: { node: 'ctx', port: 'context' } } });
    expect(findTrainTarget(preset(), registry, 'gate').sources).toEqual({ features: { node: 'mfn', port: 'features' } });
    expect(() => findTrainTarget(preset(), registry, 'concat')).toThrow(/no fusion-concat node/);
  });

  it('keeps only what the inputs depend on, so they become sinks', () => {
    const fusion = cachePipeline(preset(), findTrainTarget(preset(), registry, 'transformer'));
    expect(fusion.nodes.map((n) => n.id).sort()).toEqual(['align', 'ctx', 'det', 'gate', 'img', 'mfn']);
    expect(fusion.edges.some((e) => e.from.node === 'gate' || e.from.node === 'ctx')).toBe(false);
    const gate = cachePipeline(preset(), findTrainTarget(preset(), registry, 'gate'));
    expect(gate.nodes.map((n) => n.id).sort()).toEqual(['align', 'det', 'img', 'mfn']);
    expect(gate.nodes.find((n) => n.id === 'mfn')!.params.tap).toBe(true);
  });

  it('trains the occlusion classifier on the aligned faces before any occlusion node', () => {
    const p = withOcclusion(preset(), { kind: 'any', probability: 1, seed: 1 });
    const t = findTrainTarget(p, registry, 'occlusion');
    expect(t).toEqual({ kind: 'occlusion', nodeId: 'ctx', sources: { faces: { node: 'align', port: 'faces' } } });
    expect(cachePipeline(p, t).nodes.map((n) => n.id).sort()).toEqual(['align', 'det', 'img']);
  });

  it('inserts occlusion after align, for every consumer of the aligned faces', () => {
    const p = withOcclusion(preset(), { kind: 'any-mask', probability: 1, seed: 4 });
    const occ = p.nodes.find((n) => n.type === 'occlusion')!;
    expect(occ.params).toEqual({ kind: 'any-mask', probability: 1, seed: 4 });
    expect(p.edges.filter((e) => e.from.node === 'align')).toEqual([edge('align', 'faces', occ.id, 'faces')]);
    expect(p.edges.filter((e) => e.from.node === occ.id).map((e) => e.to.node).sort()).toEqual(['ctx', 'mfn']);
    const again = withOcclusion(p, { kind: 'sunglasses', probability: 0.5, seed: 1 });
    expect(again.nodes.filter((n) => n.type === 'occlusion')).toHaveLength(1);
    expect(again.nodes.find((n) => n.type === 'occlusion')!.params.kind).toBe('sunglasses');
  });
});
