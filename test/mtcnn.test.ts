import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, evalDetectDlib, lfwCentreRate, lfwImages, mtcnnDetector, readImage } from '../bench/detect.js';
import type { ImageValue } from '../src/graph/values.js';
import { createNodeIO } from '../src/io/nodejs-io.js';
import {
  detectFaces, iou, loadMtcnn, nms, nmsCandidates, onetLayers, pnetLayers, pnetMapSize, pyramidLevels, regress, square, TfNet, type Candidate,
} from '../src/models/mtcnn/index.js';
import { readTFLite } from '../src/models/tflite/reader.js';
import { MODEL_ASSETS, readPinnedAsset, sha256Hex, WeightsIntegrityError } from '../src/models/weights.js';
import { initBackend } from '../src/runtime/backend.js';
import { pnetErrors, randomImage, referencePnet, referenceRefineNet, relError } from './mtcnn-reference.js';

const io = createNodeIO();
const DEMO = path.resolve(__dirname, '../node_modules/@vladmandic/face-api/demo');

beforeAll(async () => {
  await initBackend('wasm');
});

describe('TFLite reader', () => {
  it('reads tensors, shapes and operators with their options from pnet.tflite', async () => {
    const model = readTFLite(await io.readPackageAsset(MODEL_ASSETS.pnet.packagePath), 'pnet.tflite');
    const byName = new Map(model.tensors.map((t) => [t.name, t]));
    expect(byName.get('pnet/conv1/weights/read')?.shape).toEqual([10, 3, 3, 3]);
    expect(byName.get('pnet/conv3/weights/read')?.shape).toEqual([32, 3, 3, 16]);
    expect(byName.get('pnet/input')?.shape).toEqual([1, 1280, 960, 3]);
    const convs = model.operators.filter((o) => o.opcode === 'CONV_2D');
    expect(convs).toHaveLength(5);
    expect(convs[0].options).toMatchObject({ padding: 'VALID', strideW: 1, strideH: 1 });
    const pool = model.operators.find((o) => o.opcode === 'MAX_POOL_2D');
    expect(pool?.options).toMatchObject({ padding: 'SAME', strideW: 2, strideH: 2, filterW: 2, filterH: 2 });
    expect(model.inputs.map((i) => model.tensors[i].name)).toEqual(['pnet/input']);
  });

  it('rejects bytes that are not a TFLite flatbuffer', () => {
    expect(() => readTFLite(new Uint8Array(64), 'zeros.bin')).toThrow(/zeros\.bin: not a TFLite/);
  });
});

describe('weight pinning', () => {
  it('hashes with WebCrypto', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('reads a user model folder first and names the file whose sha256 does not match', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-models-'));
    const good = await io.readPackageAsset(MODEL_ASSETS.pnet.packagePath);
    await writeFile(path.join(dir, 'rnet.tflite'), await io.readPackageAsset(MODEL_ASSETS.rnet.packagePath));
    const bad = Uint8Array.from(good);
    bad[bad.length - 1] ^= 1;
    await writeFile(path.join(dir, 'pnet.tflite'), bad);
    const folder = createNodeIO({ modelDir: dir });
    const err = await readPinnedAsset(folder, MODEL_ASSETS.pnet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightsIntegrityError);
    expect((err as Error).message).toMatch(/^pnet\.tflite: sha256 mismatch \(expected 8272d20e/);
    expect((await readPinnedAsset(folder, MODEL_ASSETS.rnet)).length).toBe(407808);
    expect(await readPinnedAsset(io, MODEL_ASSETS.pnet)).toEqual(good);
  });
});

describe('box geometry', () => {
  it('builds the pyramid from the min face size down to 12 px', () => {
    const levels = pyramidLevels(250, 250, 20, 0.709);
    expect(levels[0]).toEqual({ scale: 0.6, width: 150, height: 150 });
    expect(levels).toHaveLength(8);
    expect(Math.min(...levels.map((l) => l.width))).toBeGreaterThanOrEqual(12);
    expect(pyramidLevels(250, 250, 40, 0.709)).toHaveLength(6);
  });

  it('suppresses by IoU or by the smaller box, keeping the best score', () => {
    const a: Candidate = { box: [0, 0, 10, 10], score: 0.9, reg: [0, 0, 0, 0] };
    const b: Candidate = { box: [1, 1, 11, 11], score: 0.95, reg: [0, 0, 0, 0] };
    const inner: Candidate = { box: [2, 2, 6, 6], score: 0.8, reg: [0, 0, 0, 0] };
    const far: Candidate = { box: [50, 50, 60, 60], score: 0.5, reg: [0, 0, 0, 0] };
    expect(iou(a.box, b.box)).toBeCloseTo(81 / 119, 10);
    expect(nms([a, b, inner, far], 0.5)).toEqual([b, inner, far]);
    expect(nms([a, b, inner, far], 0.5, 'min')).toEqual([b, far]);
    // Windows apart but regressed onto the same box: only 'refined' sees the duplicate.
    const left: Candidate = { box: [0, 0, 10, 10], score: 0.9, reg: [0.5, 0, 0.5, 0] };
    const right: Candidate = { box: [5, 0, 15, 10], score: 0.8, reg: [0, 0, 0, 0] };
    expect(nmsCandidates([left, right], 0.7, 'union', 'window')).toHaveLength(2);
    expect(nmsCandidates([left, right], 0.7, 'union', 'refined')).toEqual([left]);
  });

  it('regresses and squares boxes', () => {
    expect(regress([10, 20, 30, 60], [0.1, -0.1, 0.2, 0.05])).toEqual([12, 16, 34, 62]);
    expect(square([0, 0, 10, 20])).toEqual([-5, 0, 15, 20]);
  });
});

describe('nets against a float64 reference of the TFLite files', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`P-Net on ${backend}`, async () => {
      await initBackend(backend);
      try {
        expect(tf.getBackend()).toBe(backend);
        const model = readTFLite(await io.readPackageAsset(MODEL_ASSETS.pnet.packagePath));
        const img = randomImage(29, 22, 1);
        const ref = referencePnet(model, img);
        const nets = await loadMtcnn(io);
        const out = tf.tidy(() => nets.pnet.forward(tf.tensor4d(Float32Array.from(img.data), [1, img.h, img.w, 3])));
        const size = pnetMapSize(img.w, img.h);
        expect(out.shape).toEqual([1, ref.h, ref.w, 5]);
        expect([size.height, size.width]).toEqual([ref.h, ref.w]);
        const e = pnetErrors((await out.data()) as Float32Array, ref);
        out.dispose();
        expect(e.logit).toBeLessThan(1e-4);
        expect(e.regression).toBeLessThan(1e-4);
        // The maps must vary, or the comparison proves little.
        expect(e.logitSpread).toBeGreaterThan(0.5);
      } finally {
        await initBackend('wasm');
      }
    });
  }

  it('P-Net and O-Net as tfjs ops (the GPU backends\' engine), here on cpu', async () => {
    await initBackend('cpu');
    try {
      const pModel = readTFLite(await io.readPackageAsset(MODEL_ASSETS.pnet.packagePath));
      const img = randomImage(29, 22, 1);
      const pnet = new TfNet(pnetLayers(pModel));
      const out = tf.tidy(() => pnet.forward(tf.tensor4d(Float32Array.from(img.data), [1, img.h, img.w, 3])));
      const e = pnetErrors((await out.data()) as Float32Array, referencePnet(pModel, img));
      expect(Math.max(e.logit, e.regression)).toBeLessThan(1e-4);
      const oModel = readTFLite(await io.readPackageAsset(MODEL_ASSETS.onet.packagePath));
      const crop = randomImage(48, 48, 4);
      const onet = new TfNet(onetLayers(oModel));
      const y = tf.tidy(() => onet.forward(tf.tensor4d(Float32Array.from(crop.data), [1, 48, 48, 3])));
      const row = Array.from(await y.data());
      expect(relError([1 / (1 + Math.exp(-row[0])), ...row.slice(1)], referenceRefineNet(oModel, 'onet', crop))).toBeLessThan(1e-4);
      tf.dispose([out, y]);
      pnet.dispose();
      onet.dispose();
    } finally {
      await initBackend('wasm');
    }
  });

  for (const [net, size, outputs] of [['rnet', 24, 5], ['onet', 48, 15]] as const) {
    it(`${net === 'rnet' ? 'R' : 'O'}-Net on wasm (flatten order of the first FC layer)`, async () => {
      const model = readTFLite(await io.readPackageAsset(MODEL_ASSETS[net].packagePath));
      const crops = [randomImage(size, size, 2), randomImage(size, size, 3)];
      const nets = await loadMtcnn(io);
      const x = tf.tensor4d(Float32Array.from(crops.flatMap((c) => Array.from(c.data))), [2, size, size, 3]);
      const y = nets[net].forward(x);
      const v = await y.data();
      tf.dispose([x, y]);
      crops.forEach((crop, k) => {
        const ref = referenceRefineNet(model, net, crop);
        const row = Array.from(v.subarray(k * outputs, (k + 1) * outputs));
        const ours = [1 / (1 + Math.exp(-row[0])), ...row.slice(1)];
        expect(ours).toHaveLength(ref.length);
        expect(relError(ours, ref)).toBeLessThan(1e-4);
      });
    });
  }
});

describe('detection on real photos', () => {
  const expected = [3, 1, 3, 4, 5, 4];
  it('reports its progress through the cascade (P-Net by the pixels scanned, then R-Net, O-Net) without changing what it finds', async () => {
    const nets = await loadMtcnn(io);
    const img = readImage(path.join(DEMO, 'sample1.jpg'));
    const fractions: number[] = [];
    const withProgress = await detectFaces(nets, img, {}, (f) => fractions.push(f));
    const plain = await detectFaces(nets, img);
    expect(withProgress.faces).toEqual(plain.faces);
    const levels = pyramidLevels(img.width, img.height, 20, 0.709).filter((l) => l.width >= 12 && l.height >= 12).length;
    expect(fractions).toHaveLength(levels + 2);
    expect(fractions.every((f, i) => f > 0 && f <= 1 && (i === 0 || f > fractions[i - 1]))).toBe(true);
    expect(fractions.at(-1)).toBe(1);
  });
  it('finds the 20 faces of the face-api demo photos, score >= 0.99, landmarks in the box and in order', async () => {
    const nets = await loadMtcnn(io);
    let total = 0;
    for (let i = 1; i <= 6; i++) {
      const img = readImage(path.join(DEMO, `sample${i}.jpg`));
      const before = tf.memory().numTensors;
      const { faces } = await detectFaces(nets, img);
      expect(tf.memory().numTensors).toBe(before);
      expect(faces.length, `sample${i}.jpg`).toBe(expected[i - 1]);
      for (const f of faces) {
        const [x1, y1, x2, y2] = f.box;
        expect(f.score).toBeGreaterThanOrEqual(0.99);
        expect(x2 - x1).toBeGreaterThan(100);
        expect(f.landmarks).toHaveLength(5);
        for (const [x, y] of f.landmarks) {
          expect(x).toBeGreaterThan(x1);
          expect(x).toBeLessThan(x2);
          expect(y).toBeGreaterThan(y1);
          expect(y).toBeLessThan(y2);
        }
        // in order in the face's own frame (the eye line level), so a tilted head counts as upright
        const angle = Math.atan2(f.landmarks[1][1] - f.landmarks[0][1], f.landmarks[1][0] - f.landmarks[0][0]);
        const [c, s] = [Math.cos(-angle), Math.sin(-angle)];
        const [le, re, nose, lm, rm] = f.landmarks.map(([x, y]) => [c * x - s * y, s * x + c * y]);
        expect(le[0]).toBeLessThan(re[0]);
        expect(lm[0]).toBeLessThan(rm[0]);
        expect(Math.max(le[1], re[1])).toBeLessThan(nose[1]);
        expect(nose[1]).toBeLessThan(Math.min(lm[1], rm[1]));
      }
      total += faces.length;
    }
    expect(total).toBe(20);
  });

  it('finds nothing in a flat grey image and handles gray and tiny images', async () => {
    const nets = await loadMtcnn(io);
    const grey: ImageValue = { width: 120, height: 90, channels: 1, data: new Uint8Array(120 * 90).fill(128) };
    expect((await detectFaces(nets, grey)).faces).toEqual([]);
    const tiny: ImageValue = { width: 8, height: 8, channels: 3, data: new Uint8Array(8 * 8 * 3) };
    expect((await detectFaces(nets, tiny)).faces).toEqual([]);
  });

  it.skipIf(!existsSync(path.join(DATASETS, 'detect-dlib')))('detect-dlib: recall and precision >= 0.95 at IoU 0.5', async () => {
    const r = await evalDetectDlib(mtcnnDetector(await loadMtcnn(io)));
    console.log(`detect-dlib: recall ${r.recall.toFixed(3)}, precision ${r.precision.toFixed(3)} (${r.tp}/${r.faces}, ${r.fp} false)`);
    expect(r.faces).toBe(43);
    expect(r.recall).toBeGreaterThanOrEqual(0.95);
    expect(r.precision).toBeGreaterThanOrEqual(0.95);
  });
  it.skipIf(!existsSync(path.join(DATASETS, 'lfw-dev')))('lfw-dev: a face over the image centre in each of the first 40 images', async () => {
    const r = await lfwCentreRate(mtcnnDetector(await loadMtcnn(io)), lfwImages().slice(0, 40));
    expect(r.misses).toEqual([]);
  });
  if (!existsSync(DATASETS)) console.warn(`skipping the detect-dlib and lfw-dev tests: ${DATASETS} is absent`);
});
