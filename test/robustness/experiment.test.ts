import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import { readPreset } from '../../src/runtime/preset.js';
import { evaluatePairs } from '../../src/eval/run-eval.js';
import { evaluatePairsOccluded } from '../../src/eval/occluded-eval.js';
import { parsePairs } from '../../src/eval/lfw.js';
import { compilePipeline } from '../../src/graph/compile.js';
import { isRelativeRef, resolvePresetPaths, resolvePresetPathsAgainstUrl } from '../../src/graph/preset-paths.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { EmbeddingsValue } from '../../src/graph/values.js';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { initBackend } from '../../src/runtime/backend.js';
import { DiskOutputCache, nodeOutputCache } from '../../src/runtime/disk-cache-nodejs.js';
import { OutputCache } from '../../src/runtime/cache.js';
import { Executor } from '../../src/runtime/executor.js';
import { foldSplit } from '../../src/train/fold-split.js';
import { binaryStats, contextPipeline, parseMaskLabels } from '../../src/eval/occlusion-labels.js';
import { writeTinyFaceSet } from '../recognition/tiny-faces.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const centerPreset = path.join(root, 'test/recognition/fixtures/center-mobilefacenet.json');

let tmp: string;
let ids: string[];
beforeAll(async () => {
  await initBackend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-robust-'));
  ids = await writeTinyFaceSet(path.join(tmp, 'images'), 4);
});

describe('identity-disjoint fold split', () => {
  const text = ['3\t1',
    'A\t1\t2', 'A\t1\tB\t1',
    'C\t1\t3', 'C\t2\tD\t1',
    'E\t1\t2', 'E\t1\tB\t2'].join('\n');
  it('trains on the training folds\' identities minus any that a test fold uses', () => {
    const s = foldSplit(parsePairs(text), [1, 2], [3]);
    expect(s.overlap).toEqual(['B']);
    expect(s.trainIdentities).toEqual(['A', 'C', 'D']);
    expect(s.trainImages).toEqual(['A/A_0001', 'A/A_0002', 'C/C_0001', 'C/C_0002', 'C/C_0003', 'D/D_0001']);
    const test = parsePairs(s.testPairsText);
    expect(test.folds).toBe(1);
    expect(test.pairs.map((p) => [p.a.identity, p.b.identity, p.same])).toEqual([['E', 'E', true], ['E', 'B', false]]);
  });
  it('refuses overlapping or unknown folds', () => {
    expect(() => foldSplit(parsePairs(text), [1, 3], [3])).toThrow(/both/);
    expect(() => foldSplit(parsePairs(text), [1], [4])).toThrow(/folds 1\.\.3/);
  });
});

describe('weights paths relative to the preset', () => {
  const p = {
    schema: 'faceflow/pipeline', version: 2, name: 'x', description: '',
    nodes: [
      { id: 'g', type: 'attention-gate', params: { weights: 'weights/gate.json' }, position: { x: 0, y: 0 } },
      { id: 'c', type: 'context', params: { occlusionWeights: '../w/occ.json' }, position: { x: 0, y: 0 } },
      { id: 'f', type: 'fusion-concat', params: { weights: '/abs/f.json', seed: 3 }, position: { x: 0, y: 0 } },
      { id: 'u', type: 'fusion-attention', params: { weights: 'https://host/a.json' }, position: { x: 0, y: 0 } },
      { id: 'e', type: 'fusion-transformer', params: { weights: '' }, position: { x: 0, y: 0 } },
      { id: 'o', type: 'occlusion', params: { kind: 'patch' }, position: { x: 0, y: 0 } },
    ],
    edges: [],
  } as unknown as Pipeline;
  const w = (q: Pipeline) => q.nodes.map((n) => n.params.weights ?? n.params.occlusionWeights ?? n.params.kind);

  it('resolves only relative file params, leaving absolute paths, URLs and empty values', () => {
    expect(isRelativeRef('a/b.json')).toBe(true);
    for (const r of ['', '/a', 'http://x/a', 'data:x', 'C:\\w\\a.json']) expect(isRelativeRef(r)).toBe(false);
    expect(w(resolvePresetPaths(p, (r) => `/base/${r}`))).toEqual(['/base/weights/gate.json', '/base/../w/occ.json', '/abs/f.json', 'https://host/a.json', '', 'patch']);
    expect(w(p)[0]).toBe('weights/gate.json'); // the input is not changed
  });
  it('in the app, against the URL the preset came from', () => {
    expect(w(resolvePresetPathsAgainstUrl(p, '/presets/x.json')).slice(0, 2)).toEqual(['/presets/weights/gate.json', '/w/occ.json']);
    expect(w(resolvePresetPathsAgainstUrl(p, 'https://lab.example/app/presets/x.json'))[0]).toBe('https://lab.example/app/presets/weights/gate.json');
  });
  it('the CLI reads a preset with its weights resolved against the preset\'s folder', async () => {
    const dir = path.join(tmp, 'presets');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(path.join(dir, 'p.json'), JSON.stringify({ ...p, nodes: p.nodes.slice(0, 1) }));
    // no weights/gate.json beside it: the bundled presets/ folder's (how a preset exported by the lab runs anywhere)
    expect((await readPreset(path.join(dir, 'p.json'))).nodes[0].params.weights).toBe(path.resolve('presets/weights/gate.json'));
    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(dir, 'weights'), { recursive: true }));
    await writeFile(path.join(dir, 'weights/gate.json'), '{}');
    const q = await readPreset(path.join(dir, 'p.json'));
    expect(q.nodes[0].params.weights).toBe(path.join(dir, 'weights/gate.json'));
  });
  it('every bundled preset\'s weights files exist beside it', async () => {
    const files = (await readdir(path.join(root, 'presets'))).filter((f) => f.endsWith('.json'));
    let checked = 0;
    for (const f of files) {
      const q = await readPreset(path.join(root, 'presets', f));
      for (const n of q.nodes) {
        for (const k of ['weights', 'occlusionWeights']) {
          const v = n.params[k];
          if (typeof v !== 'string' || !v) continue;
          const manifest = JSON.parse(await readFile(v, 'utf8'));
          expect(manifest.format, `${f}: ${n.id}.${k}`).toBe('faceflow-weights');
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(13);
  });
});

describe('node outputs cached on disk (FACEFLOW_NODE_CACHE)', () => {
  it('keeps chosen node types across processes, typed arrays intact, and nothing else', () => {
    const dir = path.join(tmp, 'cache-unit');
    const a = new DiskOutputCache(dir, ['mtcnn']);
    a.set('k1', { detections: { scores: Float32Array.of(0.5, 0.25), boxes: [[1, 2, 3, 4]] } }, 'mtcnn');
    a.set('k2', { image: Uint8Array.of(1, 2, 3) }, 'image-input');
    const b = new DiskOutputCache(dir, ['mtcnn']);
    const got = b.get('k1', 'mtcnn') as { detections: { scores: Float32Array; boxes: number[][] } };
    expect(got.detections.scores).toBeInstanceOf(Float32Array);
    expect([...got.detections.scores]).toEqual([0.5, 0.25]);
    expect(got.detections.boxes).toEqual([[1, 2, 3, 4]]);
    expect(b.get('k2', 'image-input')).toBeUndefined();
    expect(new DiskOutputCache(dir, ['mtcnn', 'mobilefacenet']).get('k1', 'mobilefacenet')).toBeUndefined(); // files are keyed by type too
    expect(nodeOutputCache(registry, {})).not.toBeInstanceOf(DiskOutputCache);
    expect(nodeOutputCache(registry, { FACEFLOW_NODE_CACHE: dir })).toBeInstanceOf(DiskOutputCache);
    expect((nodeOutputCache(registry, { FACEFLOW_NODE_CACHE: dir }) as DiskOutputCache).types).toEqual(new Set(['mobilefacenet', 'dlib-resnet', 'mtcnn'])); // the diskCacheable node types
    expect(new OutputCache().get('k1', 'mtcnn')).toBeUndefined();
  });

  it('a second executor reuses the backbone\'s embeddings from disk instead of running it', async () => {
    const pipeline = await readPreset(centerPreset);
    const plan = compilePipeline(pipeline, registry);
    const file = path.join(tmp, 'images', ids[0], `${ids[0]}_0001.png`);
    const item = { id: `${file}:test`, name: 'a', path: file };
    const io = createNodeIO({});
    const dir = path.join(tmp, 'cache-exec');
    const runs = async () => {
      const timings = {};
      const [r] = await new Executor(new DiskOutputCache(dir, ['mobilefacenet'])).runItems(plan, [item], { io, retain: 'all' }, timings);
      return { t: timings as Record<string, { runs: number; cached: number }>, e: r.outputs.embed.embeddings as EmbeddingsValue };
    };
    const first = await runs();
    const second = await runs();
    expect(first.t.embed).toMatchObject({ runs: 1, cached: 0 });
    expect(second.t.embed).toMatchObject({ runs: 0, cached: 1 });
    expect(second.t.align).toMatchObject({ runs: 1, cached: 0 }); // not a cached type
    expect([...second.e.data]).toEqual([...first.e.data]);
  });
});

describe('eval with a synthetic occluder on the second image of each pair', () => {
  it('compares the clean first image with an occluded second one', async () => {
    const [A, B] = ids;
    const pairsFile = path.join(tmp, 'occ-pairs.txt');
    // the same image on both sides: clean vs clean is 1, clean vs masked is not
    await writeFile(pairsFile, ['1\t2', `${A}\t1\t1`, `${B}\t2\t2`, `${A}\t1\t${B}\t1`, `${B}\t2\t${A}\t2`].join('\n') + '\n');
    const pipeline = await readPreset(centerPreset);
    const plan = compilePipeline(pipeline, registry);
    const opts = { pairsFile, imagesDir: path.join(tmp, 'images'), workers: 1, backend: 'wasm' as const, registry };
    const clean = await evaluatePairs(pipeline, plan, opts);
    const masked = await evaluatePairsOccluded(pipeline, plan, opts, { kind: 'surgical-mask', seed: 1 });
    expect(clean.scores[0]).toBeCloseTo(1, 4);
    expect(clean.scores[1]).toBeCloseTo(1, 4);
    expect(masked.scores[0]).toBeLessThan(0.97);
    expect(masked.scores[1]).toBeLessThan(0.97);
    expect(masked.scores[0]).toBeGreaterThan(0.2); // still the same face
    expect(masked.timings.align_occlusion?.runs).toBe(4); // four distinct second images, each occluded once
    const again = await evaluatePairsOccluded(pipeline, plan, opts, { kind: 'surgical-mask', seed: 1 });
    expect(again.scores).toEqual(masked.scores); // seeded
  });
});

describe('occlusion classifier against mask labels', () => {
  it('parses MFR2 labels.txt and scores p > 0.5 against them', () => {
    const l = parseMaskLabels('A, 1, surgical_blue\nA, 2, no-mask\n\nB, 10, cloth\n');
    expect(l).toEqual([
      { identity: 'A', number: 1, type: 'surgical_blue', masked: true },
      { identity: 'A', number: 2, type: 'no-mask', masked: false },
      { identity: 'B', number: 10, type: 'cloth', masked: true },
    ]);
    expect(() => parseMaskLabels('A 1 no-mask')).toThrow(/labels.txt:1/);
    expect(binaryStats([0.9, 0.2, 0.5, 0.7], [true, false, true, false])).toEqual({ n: 4, accuracy: 0.5, tpr: 0.5, tnr: 0.5 });
  });
  it('cuts a preset down to its context node and what feeds it', async () => {
    const p = await readPreset(path.join(root, 'presets/robust-gate-transformer.json'));
    const c = contextPipeline(p);
    expect(c.contextNode).toBe('context');
    expect(c.pipeline.nodes.map((n) => n.id).sort()).toEqual(['align', 'context', 'input', 'mtcnn']);
    expect(() => contextPipeline({ ...p, nodes: p.nodes.filter((n) => n.type !== 'context') })).toThrow(/one context node/);
  });
});
