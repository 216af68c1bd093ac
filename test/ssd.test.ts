import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '../bench/detect.js';
import type { Point } from '../src/graph/values.js';
import { createNodeIO, resolvePackageAsset } from '../src/io/nodejs-io.js';
import { heldModelTensors } from '../src/models/held-tensors.js';
import { detectFaces, iou, loadMtcnn } from '../src/models/mtcnn/index.js';
import { detectSsdFaces, fivePointsFrom68, loadLandmarks68, loadSsdMobileNet, SSD_ASSETS } from '../src/models/ssd/index.js';
import { sha256Hex } from '../src/models/weights.js';
import { initBackend } from '../src/runtime/backend.js';

const io = createNodeIO();
const DEMO = path.resolve(__dirname, '../node_modules/@vladmandic/face-api/demo');
const demo = [1, 2, 3, 4, 5, 6].map((i) => readImage(path.join(DEMO, `sample${i}.jpg`)));

beforeAll(async () => {
  await initBackend('wasm');
});

async function nets() {
  return { ssd: await loadSsdMobileNet(io), landmarks: await loadLandmarks68(io) };
}

describe('SSD MobileNet v1 + 68 landmarks on face-api weights', () => {
  it('pins the four files by sha256', async () => {
    for (const a of Object.values(SSD_ASSETS)) expect(await sha256Hex(await io.readPackageAsset(a.packagePath))).toBe(a.sha256);
  });

  it('derives the five alignment points from the 68 (eye means 36-41 / 42-47, nose 30, mouth 48 / 54)', () => {
    const p: Point[] = Array.from({ length: 68 }, (_, i) => [i, 2 * i]);
    expect(fivePointsFrom68(p)).toEqual([[38.5, 77], [44.5, 89], [30, 60], [48, 96], [54, 108]]);
    expect(() => fivePointsFrom68(p.slice(1))).toThrow(/expected 68 landmarks/);
  });

  it('finds all 20 faces of the demo photos that MTCNN finds, with landmarks close to MTCNN\'s, and leaks no tensor', async () => {
    const n = await nets();
    const mtcnn = await loadMtcnn(io);
    await detectSsdFaces(n, demo[0]);
    let matched = 0;
    let worst = 0;
    for (const img of demo) {
      const before = tf.memory().numTensors - heldModelTensors();
      const { faces } = await detectSsdFaces(n, img);
      expect(tf.memory().numTensors - heldModelTensors()).toBe(before);
      for (const truth of (await detectFaces(mtcnn, img)).faces) {
        const best = faces.map((f) => ({ f, o: iou(f.box, truth.box) })).sort((a, b) => b.o - a.o)[0];
        expect(best.o).toBeGreaterThan(0.7);
        expect(best.f.score).toBeGreaterThan(0.6);
        matched++;
        const [le, re] = truth.landmarks;
        const iod = Math.hypot(re[0] - le[0], re[1] - le[1]);
        best.f.landmarks.forEach(([x, y], k) => {
          worst = Math.max(worst, Math.hypot(x - truth.landmarks[k][0], y - truth.landmarks[k][1]) / iod);
        });
        expect(best.f.landmarks68).toHaveLength(68);
      }
    }
    expect(matched).toBe(20);
    // five points within a quarter of the inter-ocular distance of MTCNN's (measured worst: ~0.21)
    expect(worst).toBeLessThan(0.25);
  }, 400_000);

  it('matches face-api 1.7.15 itself (its SsdMobilenetv1 + FaceLandmark68Net, default options) on the demo photos', async () => {
    if ((faceapi.tf.tensor3d as unknown) !== tf.tensor3d) throw new Error('face-api loaded a tfjs of its own');
    const dir = resolvePackageAsset('@vladmandic/face-api/model');
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
    const n = await nets();
    for (const img of demo) {
      const x = faceapi.tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      const ref = (await faceapi.detectAllFaces(x, new faceapi.SsdMobilenetv1Options()).withFaceLandmarks())
        .sort((a, b) => b.detection.score - a.detection.score);
      x.dispose();
      const ours = (await detectSsdFaces(n, img)).faces;
      expect(ours).toHaveLength(ref.length);
      ref.forEach((r, k) => {
        const o = ours[k];
        const b = r.detection.box;
        expect(Math.abs(o.score - r.detection.score)).toBeLessThan(1e-5);
        for (const [a, e] of [[o.box[0], b.x], [o.box[1], b.y], [o.box[2], b.x + b.width], [o.box[3], b.y + b.height]]) expect(Math.abs(a - e)).toBeLessThan(1);
        // face-api maps SSD's boxes to pixels through a rounded 512-side size (up to ~2 px off on
        // these photos) and crops with the floored box: the landmark net sees crops a pixel or two
        // apart. Measured on libjpeg-turbo's pixels: one face of the 20 at 2.8% of the box width on
        // average (worst point 6.3%), the others under 0.5%; a wrong layout or weight is 20% or more
        const d = r.landmarks.positions.map((p, j) => Math.hypot(p.x - o.landmarks68[j][0], p.y - o.landmarks68[j][1]));
        expect(d.reduce((s, v) => s + v, 0) / d.length).toBeLessThan(0.035 * b.width);
        expect(Math.max(...d)).toBeLessThan(0.08 * b.width);
      });
    }
  }, 400_000);
});
