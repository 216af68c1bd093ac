import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../runtime/backend.js';
import { Rng } from '../util/rng.js';
import { DEFAULT_OCC_CONFIG, initOcclusionClassifier, occlusionLogits } from './occlusion-classifier.js';
import type { Point } from '../graph/values.js';
import { luma, photometry } from './photometric.js';
import { POSE_MODEL, poseFromLandmarks } from './pose.js';
import { CONTEXT_INDEX, contextVector, describeContext, faceSizeFeature } from './vector.js';

const deg = Math.PI / 180;

/**
 * Project the pose model's own mean face (eyes at (+-e, 0, 0), mouth corners at (+-m, H, 0),
 * nose at (0, t0 H, k e), z toward the camera) after yaw (about y), then pitch (about x), then
 * roll (in the image plane), orthographically, then scale and shift into an image.
 */
function project(yaw: number, pitch: number, roll: number, scale = 40, shift: Point = [120, 90]): Point[] {
  const e = 1;
  const H = POSE_MODEL.rv * e;
  const pts: [number, number, number][] = [[-e, 0, 0], [e, 0, 0], [0, POSE_MODEL.t0 * H, POSE_MODEL.k * e], [-0.83, H, 0], [0.83, H, 0]];
  return pts.map(([x, y, z]) => {
    const x1 = x * Math.cos(yaw) + z * Math.sin(yaw);
    const z1 = -x * Math.sin(yaw) + z * Math.cos(yaw);
    const y2 = y * Math.cos(pitch) - z1 * Math.sin(pitch);
    const x3 = x1 * Math.cos(roll) - y2 * Math.sin(roll);
    const y3 = x1 * Math.sin(roll) + y2 * Math.cos(roll);
    return [shift[0] + scale * x3, shift[1] + scale * y3] as Point;
  });
}

describe('pose from 5 landmarks', () => {
  it('is zero for the frontal ArcFace template', () => {
    const p = poseFromLandmarks([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]);
    expect(Math.abs(p.yaw)).toBeLessThan(1 * deg);
    expect(Math.abs(p.pitch)).toBeLessThan(0.5 * deg);
    expect(Math.abs(p.roll)).toBeLessThan(0.5 * deg);
  });

  it('recovers pure yaw, pitch and roll exactly, with their signs', () => {
    for (const a of [-40, -15, 10, 30]) {
      expect(poseFromLandmarks(project(a * deg, 0, 0)).yaw / deg).toBeCloseTo(a, 6);
      expect(poseFromLandmarks(project(0, a * deg, 0)).pitch / deg).toBeCloseTo(a, 6);
      expect(poseFromLandmarks(project(0, 0, a * deg)).roll / deg).toBeCloseTo(a, 6);
    }
    // yaw > 0: the nose moves toward the image's right.
    const lm = project(25 * deg, 0, 0);
    expect(lm[2][0]).toBeGreaterThan((lm[0][0] + lm[1][0]) / 2);
  });

  it('separates roll from yaw and pitch, whatever the scale and position', () => {
    const p = poseFromLandmarks(project(20 * deg, 0, 35 * deg, 7, [5, 300]));
    expect(p.yaw / deg).toBeCloseTo(20, 6);
    expect(p.roll / deg).toBeCloseTo(35, 6);
    const q = poseFromLandmarks(project(0, -25 * deg, -50 * deg, 200));
    expect(q.pitch / deg).toBeCloseTo(-25, 6);
    expect(q.roll / deg).toBeCloseTo(-50, 6);
  });

  it('stays close when yaw and pitch combine', () => {
    const p = poseFromLandmarks(project(20 * deg, 15 * deg, 0));
    expect(Math.abs(p.yaw / deg - 20)).toBeLessThan(3);
    expect(Math.abs(p.pitch / deg - 15)).toBeLessThan(3);
    expect(Math.abs(p.roll / deg)).toBeLessThan(6);
  });
});

function grayCrop(w: number, h: number, f: (x: number, y: number) => number): Uint8Array {
  const d = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d.fill(Math.round(f(x, y)), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return d;
}

describe('photometry', () => {
  const full = { x: 0, y: 0, width: 16, height: 16 };

  it('flat image: brightness = level / 255, no contrast, no Laplacian', () => {
    const p = photometry(luma(grayCrop(16, 16, () => 100), 16, 16, 3), 16, full);
    expect(p.brightness).toBeCloseTo(100 / 255, 6);
    expect(p.contrast).toBe(0);
    expect(p.asymmetry).toBe(0);
    expect(p.laplacianVariance).toBe(0);
    expect(p.sharpness).toBe(0);
  });

  it('uses BT.601 luma', () => {
    const d = new Uint8Array(16 * 16 * 3);
    for (let i = 0; i < 256; i++) d.set([200, 100, 50], 3 * i);
    expect(photometry(luma(d, 16, 16, 3), 16, full).brightness).toBeCloseTo((0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255, 6);
  });

  it('half dark, half bright: contrast 100/127.5 and the asymmetry sign', () => {
    const p = photometry(luma(grayCrop(16, 16, (x) => (x < 8 ? 50 : 250)), 16, 16, 3), 16, full);
    expect(p.brightness).toBeCloseTo(150 / 255, 6);
    expect(p.contrast).toBeCloseTo(100 / 127.5, 6); // std of a two-level 50/50 image = half the step
    expect(p.asymmetry).toBeCloseTo(-200 / 255, 6);
  });

  it('checkerboard: Laplacian +-4 * 100 everywhere, variance 160000; sharpness 1', () => {
    const p = photometry(luma(grayCrop(16, 16, (x, y) => ((x + y) % 2 ? 200 : 100)), 16, 16, 3), 16, full);
    expect(p.laplacianVariance).toBeCloseTo(160000, 1);
    expect(p.sharpness).toBe(1);
  });

  it('a linear ramp has zero Laplacian; a blurred edge is less sharp than a hard one', () => {
    expect(photometry(luma(grayCrop(16, 16, (x, y) => 10 * x + 5 * y), 16, 16, 3), 16, full).laplacianVariance).toBeCloseTo(0, 6);
    const hard = photometry(luma(grayCrop(16, 16, (x) => (x < 8 ? 0 : 255)), 16, 16, 3), 16, full);
    const soft = photometry(luma(grayCrop(16, 16, (x) => 255 / (1 + Math.exp(-(x - 7.5) / 2))), 16, 16, 3), 16, full);
    expect(soft.sharpness).toBeLessThan(hard.sharpness);
    expect(soft.sharpness).toBeGreaterThan(0);
  });
});

describe('context vector', () => {
  const crop = { data: grayCrop(112, 112, (x) => 60 + x), width: 112, height: 112, channels: 3 as const };

  it('fills every component from a detection, and flags the missing classifier', () => {
    const landmarks = project(30 * deg, 0, 10 * deg);
    const v = contextVector({ crop, detection: { box: [0, 0, 64, 64], score: 0.98, landmarks } });
    expect(v).toHaveLength(12);
    expect(v[CONTEXT_INDEX.yaw] * 90).toBeCloseTo(30, 4);
    expect(v[CONTEXT_INDEX.roll] * 180).toBeCloseTo(10, 4);
    expect(v[CONTEXT_INDEX.size]).toBeCloseTo(0.5, 6); // 64 px: log2(4) / 4
    expect(v[CONTEXT_INDEX.score]).toBeCloseTo(0.98, 6);
    expect(v[CONTEXT_INDEX.validity]).toBe(0.5);
    expect(v[CONTEXT_INDEX.asymmetry]).toBeLessThan(0); // brighter to the right
    const d = describeContext(v);
    expect(d.yaw).toBeCloseTo(30, 4);
    const withOcc = contextVector({ crop, detection: { box: [0, 0, 64, 64], score: 0.98, landmarks }, occlusion: { mask: 0.9, eyes: 0.1 } });
    expect(withOcc[CONTEXT_INDEX.mask]).toBeCloseTo(0.9, 6);
    expect(withOcc[CONTEXT_INDEX.validity]).toBe(1);
  });

  it('zeros the detection-based components for a fallback crop', () => {
    const v = contextVector({ crop });
    for (const k of ['yaw', 'pitch', 'roll', 'size', 'score', 'mask', 'eyes', 'validity'] as const) expect(v[CONTEXT_INDEX[k]]).toBe(0);
    expect(v[CONTEXT_INDEX.brightness]).toBeGreaterThan(0);
  });

  it('maps face size on a log scale from 16 to 256 px', () => {
    expect(faceSizeFeature([0, 0, 16, 16])).toBe(0);
    expect(faceSizeFeature([0, 0, 8, 8])).toBe(0);
    expect(faceSizeFeature([10, 10, 42, 42])).toBeCloseTo(0.25, 6);
    expect(faceSizeFeature([0, 0, 512, 512])).toBe(1);
  });
});

describe('occlusion classifier forms', () => {
  it('training (im2col) and inference (conv2d) forms agree', async () => {
    await initBackend('wasm');
    const w = initOcclusionClassifier(DEFAULT_OCC_CONFIG, new Rng(4));
    const x = tf.tensor4d(new Rng(5).normalArray(3 * 28 * 28 * 3, 0.5), [3, 28, 28, 3]);
    const a = occlusionLogits(w, x, true).dataSync();
    const b = occlusionLogits(w, x, false).dataSync();
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 4));
    tf.dispose([x, ...Object.values(w)]);
  });
});
