import { describe, expect, it } from 'vitest';
import type { FacesValue, Point } from '../../src/graph/values.js';
import { Rng } from '../../src/util/rng.js';
import { templatePoints } from '../align/templates.js';
import { drawOcclusion, OCCLUSION_KINDS } from '../../src/context/occluders.js';
import { occludeFaces, occludeImage, occlusionNode, occlusionParams } from '.';

const LM = templatePoints('arcface-112', 112) as Point[];

function blank(): { width: number; height: number; channels: 3; data: Uint8Array } {
  return { width: 112, height: 112, channels: 3, data: new Uint8Array(112 * 112 * 3).fill(128) };
}

/** Fraction of changed pixels in rows [y0, y1). */
function changed(a: Uint8Array, b: Uint8Array, y0: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = 0; x < 112; x++) {
    const i = (y * 112 + x) * 3;
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) n++;
  }
  return n / ((y1 - y0) * 112);
}

describe('synthetic occlusion', () => {
  it('a mask covers the mouth and chin, leaves the eyes', () => {
    for (const kind of ['surgical-mask', 'cloth-mask'] as const) {
      const c = blank();
      const n = drawOcclusion(c, LM, kind, new Rng(1));
      expect(n).toBeGreaterThan(0);
      const before = blank().data;
      expect(changed(before, c.data, 85, 100)).toBeGreaterThan(0.45); // mouth rows (y ~ 92)
      expect(changed(before, c.data, 40, 60)).toBe(0); // eye rows (y ~ 51)
      // the mouth corners themselves are covered
      for (const [x, y] of [LM[3], LM[4]]) expect(c.data[(Math.round(y) * 112 + Math.round(x)) * 3]).not.toBe(128);
    }
  });

  it('sunglasses cover the eyes and leave the mouth', () => {
    const c = blank();
    drawOcclusion(c, LM, 'sunglasses', new Rng(2));
    for (const [x, y] of [LM[0], LM[1]]) expect(c.data[(Math.round(y) * 112 + Math.round(x)) * 3]).toBeLessThan(80);
    expect(changed(blank().data, c.data, 80, 112)).toBe(0);
  });

  it('follows the face: a rotated, shifted face gets a rotated, shifted mask', () => {
    const rot = (p: Point): Point => [200 - p[1], p[0] + 10]; // 90 degrees plus a shift, in a larger image
    const c = { width: 260, height: 260, channels: 3 as const, data: new Uint8Array(260 * 260 * 3).fill(128) };
    const a = blank();
    const na = drawOcclusion(a, LM, 'surgical-mask', new Rng(3));
    const nb = drawOcclusion(c, LM.map(rot), 'surgical-mask', new Rng(3));
    expect(Math.abs(na - nb) / na).toBeLessThan(0.03);
    const [mx, my] = rot([(LM[3][0] + LM[4][0]) / 2, (LM[3][1] + LM[4][1]) / 2]);
    expect(c.data[(Math.round(my) * 260 + Math.round(mx)) * 3]).not.toBe(128);
  });

  it('is reproducible for a seed and varies with it', () => {
    for (const kind of OCCLUSION_KINDS) {
      const a = blank();
      const b = blank();
      const d = blank();
      drawOcclusion(a, LM, kind, new Rng(7));
      drawOcclusion(b, LM, kind, new Rng(7));
      drawOcclusion(d, LM, kind, new Rng(8));
      expect(b.data).toEqual(a.data);
      expect(d.data).not.toEqual(a.data);
    }
  });

  it('occludes aligned faces with the given probability, per face, on a copy', () => {
    const n = 40;
    const faces: FacesValue = {
      size: 112, count: n, data: new Uint8Array(n * 112 * 112 * 3).fill(128), transforms: [], boxes: [],
      fallback: new Array(n).fill(false), template: 'arcface-112',
    };
    const p = occlusionParams.parse({ kind: 'any', probability: 0.5, seed: 3 });
    const r = occludeFaces(faces, p, 'img-1');
    const hit = r.kinds.filter(Boolean).length;
    expect(hit).toBeGreaterThan(10);
    expect(hit).toBeLessThan(30);
    expect(faces.data.every((v) => v === 128)).toBe(true);
    const again = occludeFaces(faces, p, 'img-1');
    expect(again.kinds).toEqual(r.kinds);
    expect(again.faces.data).toEqual(r.faces.data);
    expect(occludeFaces(faces, p, 'img-2').kinds).not.toEqual(r.kinds);
  });

  it('occludes the detected faces of a whole image, each from its own landmarks', () => {
    const image = { width: 300, height: 200, channels: 3 as const, data: new Uint8Array(300 * 200 * 3).fill(90) };
    const shift = (dx: number, dy: number, s: number) => LM.map(([x, y]) => [dx + s * x, dy + s * y] as Point);
    const det = { imageWidth: 300, imageHeight: 200, boxes: [[0, 0, 112, 112], [150, 50, 206, 106]] as [number, number, number, number][], scores: [0.99, 0.98], landmarks: [shift(0, 0, 1), shift(150, 50, 0.5)] };
    const r = occludeImage(image, det, occlusionParams.parse({ kind: 'sunglasses', seed: 2 }), 'a.jpg');
    expect(r.kinds).toEqual(['sunglasses', 'sunglasses']);
    for (const lm of det.landmarks) {
      const [x, y] = lm[0];
      expect(r.image.data[(Math.round(y) * 300 + Math.round(x)) * 3]).toBeLessThan(80);
    }
    expect(image.data.every((v) => v === 90)).toBe(true);
    const none = occludeImage(image, det, occlusionParams.parse({ probability: 0 }), 'a.jpg');
    expect(none.kinds).toEqual([null, null]);
    expect(none.image.data).toEqual(image.data);
  });

  it('draws by the item\'s name and seed, not its cache id (which carries the file\'s mtime)', async () => {
    const faces: FacesValue = {
      size: 112, count: 4, data: new Uint8Array(4 * 112 * 112 * 3).fill(128), transforms: [], boxes: [],
      fallback: new Array(4).fill(false), template: 'arcface-112',
    };
    const params = occlusionParams.parse({ kind: 'any', probability: 1, seed: 5 });
    const run = async (item: { id: string; name: string }) => {
      const ctx = { nodeId: 'occ', signal: new AbortController().signal, backend: 'cpu', item, io: undefined as never, progress() {}, report() {} };
      const out = await occlusionNode.kernel({ faces }, params, ctx) as { faces: FacesValue };
      return out.faces.data;
    };
    const here = await run({ id: '/data/lfw/A/A_0001.jpg:1234:1700000000000', name: 'A/A_0001.jpg' });
    expect(await run({ id: '/copy/lfw/A/A_0001.jpg:1234:1800000000000', name: 'A/A_0001.jpg' })).toEqual(here);
    expect(await run({ id: '/data/lfw/A/A_0001.jpg:1234:1700000000000', name: 'A/A_0002.jpg' })).not.toEqual(here);
  });
});
