import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignFaces, alignParams } from '../../nodes/align/index.js';
import { templatePoints } from '../../nodes/align/templates.js';
import { drawOcclusion } from '../../src/context/occluders.js';
import { OCC_INPUT, occlusionInput, occlusionLogits } from '../../src/context/occlusion-classifier.js';
import type { DetectionsValue, Point } from '../../src/graph/values.js';
import { createNodeIO, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { detectFaces, loadMtcnn } from '../../src/models/mtcnn/index.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { occlusionSamples, trainOcclusionClassifier, type FaceCrops } from '../../src/train/occlusion.js';

const LM = templatePoints('arcface-112', 112) as Point[];
let faces: FaceCrops;

/** Every face MTCNN finds in face-api's six demo photos, aligned to the ArcFace 112 template. */
beforeAll(async () => {
  await initBackend('wasm');
  const io = createNodeIO();
  const nets = await loadMtcnn(io);
  const crops: Uint8Array[] = [];
  for (let n = 1; n <= 6; n++) {
    const img = await io.decodeImage(await io.readFile(resolvePackageAsset(`@vladmandic/face-api/demo/sample${n}.jpg`)), `sample${n}.jpg`);
    for (const f of (await detectFaces(nets, img)).faces) {
      const det: DetectionsValue = { imageWidth: img.width, imageHeight: img.height, boxes: [f.box], scores: [f.score], landmarks: [f.landmarks] };
      crops.push(alignFaces(img, det, alignParams.parse({})).data);
    }
  }
  faces = { size: 112, count: crops.length, data: new Uint8Array(crops.length * 112 * 112 * 3) };
  crops.forEach((c, i) => faces.data.set(c, i * c.length));
});

const subset = (f: FaceCrops, from: number, to: number): FaceCrops => ({ size: f.size, count: to - from, data: f.data.slice(from * f.size * f.size * 3, to * f.size * f.size * 3) });

describe('occlusion classifier', () => {
  it('labels augmented samples by the regions the occluder covers', () => {
    const s = occlusionSamples(subset(faces, 0, 4), LM, 30, new Rng(3));
    let masks = 0;
    let eyes = 0;
    let clean = 0;
    for (let i = 0; i < s.count; i++) {
      masks += s.y[2 * i];
      eyes += s.y[2 * i + 1];
      if (!s.y[2 * i] && !s.y[2 * i + 1]) clean++;
    }
    expect(masks / s.count).toBeGreaterThan(0.25);
    expect(eyes / s.count).toBeGreaterThan(0.15);
    expect(clean / s.count).toBeGreaterThan(0.25);
    expect(s.x.every((v) => v >= -1 && v <= 1)).toBe(true);
  });

  it('learns to tell masks and sunglasses on faces it has not seen', async () => {
    expect(faces.count).toBeGreaterThanOrEqual(16);
    const before = tf.memory().numTensors;
    const cut = faces.count - 5;
    const r = await trainOcclusionClassifier(subset(faces, 0, cut), subset(faces, cut, faces.count), {
      epochs: 12, seed: 1, batchSize: 32, lr: 1e-2, milestones: [8], weightDecay: 1e-5, patience: 4, landmarks: LM, copies: 12,
    });
    const best = r.logs.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    expect(best.valLoss).toBeLessThan(0.6 * r.initial.valLoss);
    expect(best.valAccuracy.mask).toBeGreaterThan(0.85);
    expect(best.valAccuracy.eyes).toBeGreaterThan(0.85);
    // A held-out face: clean scores low, masked scores high on the mask head.
    const face = faces.data.slice((faces.count - 1) * 112 * 112 * 3, faces.count * 112 * 112 * 3);
    const masked = Uint8Array.from(face);
    drawOcclusion({ width: 112, height: 112, channels: 3, data: masked }, LM, 'surgical-mask', new Rng(9));
    const x = new Float32Array(2 * OCC_INPUT * OCC_INPUT * 3);
    occlusionInput(face, 112, x, 0);
    occlusionInput(masked, 112, x, OCC_INPUT * OCC_INPUT * 3);
    const p = tf.tidy(() => tf.sigmoid(occlusionLogits(r.weights, tf.tensor4d(x, [2, OCC_INPUT, OCC_INPUT, 3]))).dataSync());
    expect(p[2]).toBeGreaterThan(p[0] + 0.3);
    tf.dispose(Object.values(r.weights));
    expect(tf.memory().numTensors).toBe(before);
  });
});
