import { describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import { parseWeightsUrl, renamedManifest, safeWeightsName, weightsUrl } from '../io/weights-store.js';
import type { CollectedRow } from './collect.js';
import type { Pipeline } from '../graph/schema.js';
import { identityCounts, trainingImages, trainingSetProblem } from './picked-dataset.js';
import { trainTargetForNode } from './prepare.js';
import { identityLabeler, pairsFromRows, splitIdentities } from './session.js';
import type { WeightsManifest } from '../io/weights-file.js';

const files = (paths: string[]) => paths.map((path) => ({ path, file: path }));

describe('a training folder picked in the app', () => {
  it('lists <identity>/<image> images, sorted, ignoring top-level and non-image files', () => {
    const imgs = trainingImages(files(['b/2.png', 'a/1.JPG', 'readme.txt', 'top.jpg', 'a/notes.txt', 'a/deep/3.jpeg']));
    expect(imgs.map((i) => [i.identity, i.name])).toEqual([['a', 'a/1.JPG'], ['a', 'a/deep/3.jpeg'], ['b', 'b/2.png']]);
    expect(identityCounts(imgs)).toEqual(new Map([['a', 2], ['b', 1]]));
  });

  it('needs two identities with two or more images, also after the validation split', () => {
    const set = (counts: number[]) => counts.flatMap((n, k) => Array.from({ length: n }, () => ({ identity: `id${k}` })));
    expect(trainingSetProblem([], 0.2, 1)).toMatch(/^no images/);
    expect(trainingSetProblem(set([3]), 0.2, 1)).toBe('the folder needs at least 2 identities with 2 or more images each; it has 1 (of 1 identity folder)');
    expect(trainingSetProblem(set([3, 1, 1]), 0.2, 1)).toMatch(/it has 1 \(of 3 identity folders\)/);
    expect(trainingSetProblem(set([3, 3]), 0.2, 1)).toMatch(/after holding out 1 identity for validation, only 1 training identity has 2 or more images/);
    expect(trainingSetProblem(set([3, 3, 3, 3]), 0.25, 1)).toBeUndefined();
    expect(trainingSetProblem(set([3, 3, 3, 3]), 1.5, 1)).toMatch(/validation fraction/);
  });

  it('splits by identity the same way for a seed, and labels by first appearance', () => {
    const imgs = ['a', 'a', 'b', 'c', 'c', 'd', 'e'].map((identity, k) => ({ identity, k }));
    const s1 = splitIdentities(imgs, 0.4, 3);
    expect(splitIdentities(imgs, 0.4, 3)).toEqual(s1);
    expect(new Set(s1.val.map((i) => i.identity)).size).toBe(2);
    expect(s1.train.some((i) => s1.val.some((v) => v.identity === i.identity))).toBe(false);
    const label = identityLabeler(imgs);
    expect(imgs.map(label)).toEqual([0, 0, 1, 2, 2, 3, 4]);
  });

  it('makes balanced validation pairs from the clean pass against the occluded one', () => {
    const row = (image: number, label: number): CollectedRow => ({ image, label });
    const set = { rows: [[row(0, 0), row(1, 0), row(2, 1)], [row(0, 0), row(1, 0), row(2, 1)]] };
    const pairs = pairsFromRows(set, 100, 1);
    // clean i vs occluded j (offset 3), never an image with itself; both same pairs and two of the four different ones
    const key = (p: { a: number; b: number }) => `${p.a}-${p.b}`;
    expect(pairs.filter((p) => p.same).map(key).sort()).toEqual(['0-4', '1-3']);
    const different = pairs.filter((p) => !p.same);
    expect(different).toHaveLength(2);
    for (const p of different) expect(['0-5', '1-5', '2-3', '2-4']).toContain(key(p));
    expect(pairsFromRows(set, 100, 1)).toEqual(pairs);
    expect(pairsFromRows(set, 2, 1)).toHaveLength(2);
    // One pass: pairs within it, each unordered pair once.
    expect(pairsFromRows({ rows: [[row(0, 0), row(1, 0), row(2, 1)]] }, 100, 1).map(key).sort()).toHaveLength(2);
  });
});

describe('weights saved in the browser', () => {
  it('names and URLs', () => {
    expect(safeWeightsName('  Robust gate / v2 ')).toBe('Robust-gate-v2');
    expect(safeWeightsName('paper.gate_1')).toBe('paper.gate_1');
    expect(() => safeWeightsName(' // ')).toThrow(/name/);
    expect(weightsUrl('g1')).toBe('idb:weights/g1.json');
    expect(parseWeightsUrl('idb:weights/g1.json')).toEqual({ name: 'g1', file: 'manifest' });
    expect(parseWeightsUrl('idb:weights/g1.weights.bin')).toEqual({ name: 'g1', file: 'bin' });
    expect(parseWeightsUrl('weights/g1.json')).toBeUndefined();
    expect(parseWeightsUrl('idb:galleries/x')).toBeUndefined();
  });

  it('points the manifest at the renamed .bin', () => {
    const m: WeightsManifest = { format: 'faceflow-weights', formatVersion: 1, kind: 'gate', config: {}, weightsManifest: [{ paths: ['old.weights.bin'], weights: [] }] };
    expect(renamedManifest(m, 'new').weightsManifest[0].paths).toEqual(['new.weights.bin']);
    expect(m.weightsManifest[0].paths).toEqual(['old.weights.bin']);
  });
});

describe('the node the inspector trains', () => {
  const node = (id: string, type: string) => ({ id, type, params: {}, position: { x: 0, y: 0 } });
  const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });
  const graph = (withAlign: boolean): Pipeline => ({
    schema: 'faceflow/pipeline', version: 2, name: 'g', description: '',
    nodes: [node('img', 'image-input'), node('det', 'mtcnn'), ...(withAlign ? [node('align', 'align')] : []), node('mfn', 'mobilefacenet'), node('gate', 'attention-gate')],
    edges: [
      ...(withAlign ? [edge('img', 'image', 'align', 'image'), edge('det', 'detections', 'align', 'detections'), edge('align', 'faces', 'mfn', 'faces')] : []),
      edge('img', 'image', 'det', 'image'), edge('mfn', 'features', 'gate', 'features'),
    ],
  } as Pipeline);

  it('is picked by id, must be a gate or fusion node, with aligned faces upstream', () => {
    expect(trainTargetForNode(graph(true), 'gate', registry)).toEqual({ kind: 'gate', nodeId: 'gate', sources: { features: { node: 'mfn', port: 'features' } } });
    expect(() => trainTargetForNode(graph(true), 'mfn', registry)).toThrow('"mfn" (mobilefacenet) is not an attention-gate or fusion node');
    expect(() => trainTargetForNode(graph(true), 'nope', registry)).toThrow(/no node "nope"/);
    expect(() => trainTargetForNode(graph(false), 'gate', registry)).toThrow(/no face node upstream of "gate"/);
  });
});
