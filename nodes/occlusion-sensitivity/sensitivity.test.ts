import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '..';
import { alignFaces, alignParams } from '../align/index.js';
import { embedFaces } from '../mobilefacenet/embed.js';
import { compilePipeline } from '../../src/graph/compile.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { DetectionsValue, FacesValue, ImageValue } from '../../src/graph/values.js';
import { createNodeIO, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { heldModelTensors } from '../../src/models/held-tensors.js';
import { detectFaces, loadMtcnn } from '../../src/models/mtcnn/index.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor } from '../../src/runtime/executor.js';
import { loadBackbone } from '.';
import { patchedCopies, patchGrid, sensitivityMap, type Backbone, type SensitivityMap } from './sensitivity.js';

const io = createNodeIO();
const SAMPLE = '@vladmandic/face-api/demo/sample1.jpg';
let img: ImageValue;
let det: DetectionsValue;
let face112: FacesValue;
let mfn: Backbone;

beforeAll(async () => {
  await initBackend('wasm');
  img = await io.decodeImage(new Uint8Array(await readFile(resolvePackageAsset(SAMPLE))), 'sample1.jpg');
  const r = await detectFaces(await loadMtcnn(io), img);
  det = { imageWidth: img.width, imageHeight: img.height, boxes: r.faces.map((f) => f.box), scores: r.faces.map((f) => f.score), landmarks: r.faces.map((f) => f.landmarks) };
  face112 = alignFaces(img, det, alignParams.parse({ select: 'central' }));
  mfn = await loadBackbone(io, 'mobilefacenet');
});

const at = (m: SensitivityMap, face: number, row: number, col: number) => m.data[(face * m.shape[1] + row) * m.shape[2] + col];
/** Cells (row, col) for rows r0..r1 and cols c0..c1 inclusive. */
const block = (r0: number, r1: number, c0: number, c1: number) => {
  const out: [number, number][] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push([r, c]);
  return out;
};
const mean = (m: SensitivityMap, cells: [number, number][]) => cells.reduce((s, [r, c]) => s + at(m, 0, r, c), 0) / cells.length;

/** Face 0 with a `value` square over rows y0..y1-1 and columns x0..x1-1 (crop pixels). */
function withSquare(f: FacesValue, y0: number, y1: number, x0: number, x1: number, value: number): FacesValue {
  const data = Uint8Array.from(f.data.subarray(0, f.size * f.size * 3));
  for (let y = y0; y < y1; y++) data.fill(value, (y * f.size + x0) * 3, (y * f.size + x1) * 3);
  return { ...f, count: 1, data, transforms: f.transforms.slice(0, 1), boxes: f.boxes.slice(0, 1), fallback: [false] };
}

describe('patch grid', () => {
  it('13 x 13 positions of a 16 px patch every 8 px on a 112 crop; centred when the stride does not divide', () => {
    expect(patchGrid(112, 16, 8)).toEqual({ size: 112, patch: 16, stride: 8, count: 13, offset: 0 });
    expect(patchGrid(150, 16, 8)).toEqual({ size: 150, patch: 16, stride: 8, count: 17, offset: 3 });
    expect(patchGrid(112, 112, 8).count).toBe(1);
    expect(() => patchGrid(112, 120, 8)).toThrow(/must fit/);
  });

  it('position p is row floor(p / count), column p % count: the patch of (row 1, col 3) is at y 8..23, x 24..39', () => {
    const f: FacesValue = { size: 112, count: 1, data: new Uint8Array(112 * 112 * 3).fill(200), transforms: [[1, 0, 0, 0, 1, 0]], boxes: [[0, 0, 112, 112]], fallback: [false], template: 'arcface-112' };
    const g = patchGrid(112, 16, 8);
    const c = patchedCopies(f, 0, g, [1 * 13 + 3], 7);
    const px = (y: number, x: number) => c[(y * 112 + x) * 3 + 1];
    expect([px(8, 24), px(23, 39), px(15, 30)]).toEqual([7, 7, 7]);
    expect([px(7, 24), px(8, 23), px(24, 39), px(23, 40), px(24, 8)]).toEqual([200, 200, 200, 200, 200]);
    let patched = 0;
    for (let i = 1; i < c.length; i += 3) patched += c[i] === 7 ? 1 : 0;
    expect(patched).toBe(16 * 16);
  });
});

describe('occlusion sensitivity on a real face (face-api demo photo, MobileFaceNet, wasm)', () => {
  let clean: SensitivityMap;

  it('a [1, 13, 13] map of finite drops in [0, 2], highest on the face, near 0 at the crop\'s edge; no tensor left', async () => {
    const before = tf.memory().numTensors - heldModelTensors();
    const t0 = performance.now();
    clean = (await sensitivityMap(face112, mfn, { patch: 16, stride: 8, value: 128, batch: 32 })).map;
    const ms = performance.now() - t0;
    expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
    expect(clean.kind).toBe('sensitivity');
    expect(clean.shape).toEqual([1, 13, 13]);
    expect(clean.grid).toMatchObject({ size: 112, count: 13, offset: 0 });
    for (const v of clean.data) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThan(-1e-5);
      expect(v).toBeLessThan(2);
    }
    const centre = mean(clean, block(3, 10, 3, 10));
    const ring = [...block(0, 0, 0, 12), ...block(12, 12, 0, 12), ...block(1, 11, 0, 0), ...block(1, 11, 12, 12)];
    expect(centre).toBeGreaterThan(3 * mean(clean, ring));
    expect(Math.max(...clean.data)).toBeGreaterThan(0.05);
    console.log(`sensitivity map 13x13 (169 passes) on one face: ${ms.toFixed(0)} ms; centre mean ${centre.toFixed(4)}, edge mean ${mean(clean, ring).toFixed(4)}, max ${Math.max(...clean.data).toFixed(4)}`);
  });

  it('each cell is the drop for the patch at that place, not the transposed one (checked against embedding the patched face by hand)', async () => {
    for (const [row, col] of [[4, 9], [9, 4], [7, 2]] as const) {
      const y0 = row * 8;
      const x0 = col * 8;
      const patched = withSquare(face112, y0, y0 + 16, x0, x0 + 16, 128);
      const both = { ...patched, count: 2, data: new Uint8Array([...face112.data.subarray(0, 112 * 112 * 3), ...patched.data]), transforms: [...patched.transforms, ...patched.transforms], boxes: [...patched.boxes, ...patched.boxes], fallback: [false, false] };
      const { embeddings: e } = await embedFaces(both, 'mobilefacenet', mfn.inputSize, mfn.dim, mfn.forward, { layer: '', keep: false });
      let cos = 0;
      for (let k = 0; k < mfn.dim; k++) cos += e.data[k] * e.data[mfn.dim + k];
      expect(at(clean, 0, row, col)).toBeCloseTo(1 - cos, 4);
    }
    // The check means something: the two transposed cells differ on this face.
    expect(Math.abs(at(clean, 0, 4, 9) - at(clean, 0, 9, 4))).toBeGreaterThan(0.01);
  });

  it('a black square drawn over the right-hand eye region first: the map is ~0 where the patch lies inside it, high at the transposed place', async () => {
    // Rows y 32..71, columns x 56..95: the patch (16 px, value 0 = the square's colour) lies wholly inside at rows 4-7, columns 7-10.
    const occluded = withSquare(face112, 32, 72, 56, 96, 0);
    const before = tf.memory().numTensors - heldModelTensors();
    const m = (await sensitivityMap(occluded, mfn, { patch: 16, stride: 8, value: 0, batch: 32 })).map;
    expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
    const inside = block(4, 7, 7, 10);
    const transposed = block(7, 10, 4, 7).filter(([r, c]) => !(r === 7 && c === 7));
    const insideMax = Math.max(...inside.map(([r, c]) => Math.abs(at(m, 0, r, c))));
    expect(insideMax).toBeLessThan(1e-4);
    expect(mean(m, transposed)).toBeGreaterThan(0.02);
    expect(mean(m, transposed)).toBeGreaterThan(100 * Math.max(insideMax, 1e-6));
    // The same place mattered on the clean face: the low values come from the square, not from a dull region.
    expect(mean(clean, inside)).toBeGreaterThan(0.02);
    console.log(`black square: inside max ${insideMax.toExponential(2)}, transposed mean ${mean(m, transposed).toFixed(4)}; clean map there ${mean(clean, inside).toFixed(4)}`);
  });
});

describe('the node', () => {
  const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, params, position: { x: 0, y: 0 } });
  const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });

  it('runs in a pipeline on MobileFaceNet and on dlib (150 crop), leaves tf.memory() where it was, and reports its grid', async () => {
    const doc = {
      schema: 'faceflow/pipeline', version: 2, name: 'sensitivity', description: '',
      nodes: [
        node('img', 'image-input'), node('mtcnn', 'mtcnn'),
        node('align', 'align', { select: 'central' }), node('align150', 'align', { select: 'central', template: 'dlib-150' }),
        node('sens', 'occlusion-sensitivity', { stride: 16 }),
        node('sensDlib', 'occlusion-sensitivity', { backbone: 'dlib-resnet', patch: 30, stride: 30 }),
      ],
      edges: [
        edge('img', 'image', 'mtcnn', 'image'), edge('img', 'image', 'align', 'image'), edge('mtcnn', 'detections', 'align', 'detections'),
        edge('img', 'image', 'align150', 'image'), edge('mtcnn', 'detections', 'align150', 'detections'),
        edge('align', 'faces', 'sens', 'faces'), edge('align150', 'faces', 'sensDlib', 'faces'),
      ],
    } as Pipeline;
    await loadBackbone(io, 'dlib-resnet'); // model weights load once and are excepted from the count
    const items = [{ id: 'sample1.jpg', name: 'sample1.jpg', path: resolvePackageAsset(SAMPLE) }];
    const before = tf.memory().numTensors - heldModelTensors();
    const res = await new Executor().run(compilePipeline(doc, registry), items, { io, retain: 'all' });
    expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
    const item = res.items[0];
    expect(item.error).toBeUndefined();
    const m = item.outputs.sens.sensitivity as SensitivityMap;
    expect(m.shape).toEqual([1, 7, 7]);
    expect(item.reports.sens).toMatchObject({ faces: 1, grid: '7x7', passes: 49, backbone: 'mobilefacenet' });
    const d = item.outputs.sensDlib.sensitivity as SensitivityMap;
    expect(d.shape).toEqual([1, 5, 5]);
    expect(d.model).toBe('dlib-resnet');
    expect(d.grid).toMatchObject({ size: 150, patch: 30, stride: 30, count: 5, offset: 0 });
    for (const v of [...m.data, ...d.data]) expect(Number.isFinite(v)).toBe(true);
    expect(Math.max(...d.data)).toBeGreaterThan(0.001);
    expect((item.outputs.sensDlib.embeddings as { dim: number }).dim).toBe(128);
  });

  it('no faces: an empty [0, rows, cols] map', async () => {
    const none: FacesValue = { ...face112, count: 0, data: new Uint8Array(0), transforms: [], boxes: [], fallback: [] };
    const { map } = await sensitivityMap(none, mfn, { patch: 16, stride: 8, value: 128, batch: 32 });
    expect(map.shape).toEqual([0, 13, 13]);
    expect(map.data.length).toBe(0);
  });
});
