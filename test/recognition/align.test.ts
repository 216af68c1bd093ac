import { describe, expect, it } from 'vitest';
import { alignFaces, alignParams } from '../../nodes/align/index.js';
import { centralFaceIndex } from '../../nodes/align/select.js';
import { applyAffine, invertAffine, similarityTransform } from '../../nodes/align/similarity.js';
import { ALIGN_TEMPLATES, templatePoints } from '../../nodes/align/templates.js';
import { warpAffineBilinear } from '../../nodes/align/warp.js';
import type { Affine, DetectionsValue, ImageValue, Point } from '../../src/graph/values.js';

const arc = ALIGN_TEMPLATES['arcface-112'].points as unknown as Point[];

describe('similarity transform (Umeyama)', () => {
  it('recovers a known rotation, scale and translation exactly', () => {
    const angle = 0.3, s = 1.7, tx = 12, ty = -5;
    const m: Affine = [s * Math.cos(angle), -s * Math.sin(angle), tx, s * Math.sin(angle), s * Math.cos(angle), ty];
    const dst = arc.map((p) => applyAffine(m, p));
    const fit = similarityTransform(arc, dst);
    fit.forEach((v, i) => expect(v).toBeCloseTo(m[i], 10));
  });

  it('is the least-squares fit: perturbing it only increases the error', () => {
    const src: Point[] = [[10, 10], [40, 12], [25, 30], [14, 45], [37, 44]];
    const dst: Point[] = [[38, 52], [73, 51], [56, 72], [41, 92], [71, 92]];
    const err = (m: Affine) => src.reduce((a, p, i) => { const q = applyAffine(m, p); return a + (q[0] - dst[i][0]) ** 2 + (q[1] - dst[i][1]) ** 2; }, 0);
    const fit = similarityTransform(src, dst);
    const base = err(fit);
    for (const [da, db] of [[1e-3, 0], [-1e-3, 0], [0, 1e-3], [0, -1e-3]]) {
      const [a, b, tx, , , ty] = fit;
      const m: Affine = [a + da, b - db, tx, -(b - db), a + da, ty];
      expect(err(m)).toBeGreaterThan(base);
    }
    // the inverse maps the template back
    const inv = invertAffine(fit);
    const back = applyAffine(inv, applyAffine(fit, src[0]));
    expect(back[0]).toBeCloseTo(src[0][0], 10);
  });

  it('scales templates to other crop sizes', () => {
    expect(templatePoints('arcface-112', 224)[0]).toEqual([76.5892, 103.3926]);
  });
});

describe('warp', () => {
  it('samples bilinearly through the inverse transform, black outside', () => {
    // 2x1 gray image 0, 100; a 2x upscale puts crop pixel 1 halfway between the source pixels
    const img: ImageValue = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 100]) };
    const out = new Uint8Array(4 * 4 * 3);
    warpAffineBilinear(img, [2, 0, 0, 0, 2, 0], 4, out);
    expect(Array.from(out.slice(0, 12))).toEqual([0, 0, 0, 50, 50, 50, 100, 100, 100, 50, 50, 50]);
    expect(out[4 * 3 * 3]).toBe(0); // row 3 samples y = 1.5: outside
  });

  it('an aligned crop puts the landmarks on the template', () => {
    // a 200x200 image with bright 3x3 dots at the template's points, rotated, shrunk and moved
    const W = 200;
    const a = 0.2, s = 0.8;
    const lm = arc.map((p) => applyAffine([s * Math.cos(a), -s * Math.sin(a), 60, s * Math.sin(a), s * Math.cos(a), 50], p));
    const img: ImageValue = { width: W, height: W, channels: 3, data: new Uint8Array(W * W * 3) };
    for (const [x, y] of lm) {
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        for (let k = 0; k < 3; k++) img.data[((Math.round(y) + dy) * W + Math.round(x) + dx) * 3 + k] = 255;
      }
    }
    const det: DetectionsValue = { imageWidth: W, imageHeight: W, boxes: [[60, 60, 140, 150]], scores: [0.99], landmarks: [lm] };
    const faces = alignFaces(img, det, alignParams.parse({}));
    expect(faces).toMatchObject({ size: 112, count: 1, fallback: [false], template: 'arcface-112' });
    for (const [x, y] of templatePoints('arcface-112', 112)) {
      const u = Math.round(x), v = Math.round(y);
      let peak = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) peak = Math.max(peak, faces.data[((v + dy) * 112 + u + dx) * 3]);
      expect(peak).toBeGreaterThan(200);
    }
  });
});

describe('face choice and fallback', () => {
  const det: DetectionsValue = {
    imageWidth: 250, imageHeight: 250,
    boxes: [[0, 0, 60, 60], [90, 80, 160, 170], [150, 150, 250, 250]],
    scores: [1, 1, 1], landmarks: [[], [], []],
  };
  it('picks the face largest and nearest the centre (area - 2 x squared offset)', () => {
    // scores: 3600 - 2*(95^2*2) < 0; 6300 - 2*(0^2+0^2)= 6300; 10000 - 2*(75^2*2) = -12500
    expect(centralFaceIndex(det)).toBe(1);
    const img: ImageValue = { width: 250, height: 250, channels: 3, data: new Uint8Array(250 * 250 * 3) };
    expect(alignFaces(img, det, alignParams.parse({ select: 'central' })).boxes).toEqual([[90, 80, 160, 170]]);
    expect(alignFaces(img, det, alignParams.parse({ select: 'all' })).count).toBe(3);
  });

  it('with no detection falls back to a marked centre crop, or to nothing', () => {
    const img: ImageValue = { width: 100, height: 80, channels: 3, data: new Uint8Array(100 * 80 * 3).fill(7) };
    const none: DetectionsValue = { imageWidth: 100, imageHeight: 80, boxes: [], scores: [], landmarks: [] };
    const f = alignFaces(img, none, alignParams.parse({ template: 'dlib-150', cropFraction: 0.5 }));
    expect(f).toMatchObject({ size: 150, count: 1, fallback: [true], boxes: [[30, 20, 70, 60]] });
    expect(f.data[75 * 150 * 3 + 75 * 3]).toBe(7);
    expect(alignFaces(img, none, alignParams.parse({ fallback: 'none' })).count).toBe(0);
    // center mode is a plain crop, not a failure
    expect(alignFaces(img, undefined, alignParams.parse({ mode: 'center' })).fallback).toEqual([false]);
  });

  it('median-landmarks fallback aligns the given fractions of the image through the template', () => {
    const img: ImageValue = { width: 160, height: 200, channels: 3, data: new Uint8Array(160 * 200 * 3) };
    const none: DetectionsValue = { imageWidth: 160, imageHeight: 200, boxes: [], scores: [], landmarks: [] };
    const lm: Point[] = [[0.35, 0.4], [0.65, 0.4], [0.5, 0.55], [0.38, 0.7], [0.62, 0.7]];
    const f = alignFaces(img, none, alignParams.parse({ fallback: 'median-landmarks', fallbackLandmarks: lm }));
    expect(f).toMatchObject({ count: 1, fallback: [true], boxes: [[0.35 * 160, 0.4 * 200, 0.65 * 160, 0.7 * 200]] });
    expect(f.transforms[0]).toEqual(similarityTransform(lm.map(([x, y]) => [x * 160, y * 200] as Point), arc));
    // a detection, when there is one, still wins
    const det: DetectionsValue = { imageWidth: 160, imageHeight: 200, boxes: [[40, 60, 120, 160]], scores: [1], landmarks: [arc] };
    expect(alignFaces(img, det, alignParams.parse({ fallback: 'median-landmarks', fallbackLandmarks: lm })).fallback).toEqual([false]);
    expect(() => alignFaces(img, none, alignParams.parse({ fallback: 'median-landmarks' }))).toThrow(/needs the fallbackLandmarks/);
    expect(alignParams.safeParse({ fallbackLandmarks: lm.slice(1) }).success).toBe(false);
  });
});
