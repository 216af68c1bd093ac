import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { KernelContext } from '../../src/graph/node-definition.js';
import type { ImageValue } from '../../src/graph/values.js';
import { decodeImageNode } from '../../src/io/nodejs-io.js';
import { NodeRegistry } from '../../src/graph/registry.js';
import { claheGray, claheRgb, labToRgb, rgbToLab } from './clahe.js';
import { claheNode } from './index.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/clahe', import.meta.url));
const goldenDir = fileURLToPath(new URL('../../../shared/clahe-golden', import.meta.url));

function load(dir: string, name: string): ImageValue {
  return decodeImageNode(new Uint8Array(readFileSync(path.join(dir, name))), name);
}

function bytes(img: ImageValue): Uint8Array {
  if (!(img.data instanceof Uint8Array)) throw new Error(`${img.source}: not 8-bit`);
  return img.data;
}

function compare(ours: Uint8Array, ref: Uint8Array): { mad: number; max: number } {
  expect(ours.length).toBe(ref.length);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mad: sum / ours.length, max };
}

function runPlane(dir: string, e: { input: string; output: string; clipLimit: number; tileGridSize: number[] }) {
  const inp = load(dir, e.input);
  const ref = load(dir, e.output);
  expect(inp.channels).toBe(1);
  expect([ref.width, ref.height, ref.channels]).toEqual([inp.width, inp.height, 1]);
  const out = claheGray(bytes(inp), inp.width, inp.height, e.clipLimit, e.tileGridSize[0], e.tileGridSize[1]);
  return compare(out, bytes(ref));
}

const index = JSON.parse(readFileSync(path.join(fixtures, 'index.json'), 'utf8')) as {
  planes: { input: string; output: string; clipLimit: number; tileGridSize: number[] }[];
  colour: { input: string; output: string; clipLimit: number; tileGridSize: number[]; labL: string }[];
  colorConversions: { input: string; rgb2lab: string; lab2rgb: string };
  tiny: { width: number; height: number; clipLimit: number; tileGridSize: number[]; input: number[]; output: number[] }[];
};

const ctx = { nodeId: 'clahe', backend: 'cpu', signal: new AbortController().signal } as KernelContext;

describe('claheGray against OpenCV 4.6 fixtures', () => {
  for (const e of index.planes) {
    it(`${e.output}`, () => {
      const { mad, max } = runPlane(fixtures, e);
      expect(mad).toBeLessThanOrEqual(1);
      expect(max).toBeLessThanOrEqual(3);
      // The float32 emulation makes it bit-exact; keep it that way.
      expect(max).toBe(0);
    });
  }

  for (const t of index.tiny) {
    const [tx, ty] = t.tileGridSize;
    it(`${t.width}x${t.height}, clipLimit ${t.clipLimit}, ${tx}x${ty} tiles`, () => {
      const out = claheGray(Uint8Array.from(t.input), t.width, t.height, t.clipLimit, tx, ty);
      expect(Array.from(out)).toEqual(t.output);
    });
  }
});

describe('claheGray behaviour', () => {
  function random(n: number, seed: number): Uint8Array {
    const a = new Uint8Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      a[i] = s >>> 24;
    }
    return a;
  }

  it('keeps a uniform image uniform', () => {
    for (const [w, h] of [[1, 1], [7, 3], [64, 48], [50, 37]]) {
      const out = claheGray(new Uint8Array(w * h).fill(90), w, h, 2, 8, 8);
      expect(new Set(out).size).toBe(1);
      // Unclipped, every tile's CDF reaches the full count at the one value present.
      expect(Array.from(new Set(claheGray(new Uint8Array(w * h).fill(90), w, h, 0, 8, 8)))).toEqual([255]);
    }
  });

  it('with one tile and no clipping is plain histogram equalisation', () => {
    const w = 37;
    const h = 23;
    const src = random(w * h, 3);
    const cdf = new Array<number>(256).fill(0);
    for (const v of src) cdf[v]++;
    for (let i = 1; i < 256; i++) cdf[i] += cdf[i - 1];
    const expected = Array.from(src, (v) => Math.round((cdf[v] * 255) / (w * h)));
    const out = claheGray(src, w, h, 0, 1, 1);
    expect(compare(out, Uint8Array.from(expected)).max).toBeLessThanOrEqual(1);
  });

  it('clips less contrast for a lower clip limit', () => {
    const w = 64;
    const h = 64;
    // A dim, low-contrast ramp: equalisation stretches it; the clip limit bounds the stretch.
    const src = Uint8Array.from({ length: w * h }, (_, i) => 100 + ((i % w) >> 3));
    const spread = (a: Uint8Array) => Math.max(...a) - Math.min(...a);
    const low = spread(claheGray(src, w, h, 1, 2, 2));
    const high = spread(claheGray(src, w, h, 8, 2, 2));
    const none = spread(claheGray(src, w, h, 0, 2, 2));
    expect(spread(src)).toBe(7);
    expect(low).toBeLessThan(high);
    expect(high).toBeLessThanOrEqual(none);
  });

  it('rejects bad sizes and grids', () => {
    expect(() => claheGray(new Uint8Array(5), 2, 2, 2, 8, 8)).toThrow(/expected 4 values/);
    expect(() => claheGray(new Uint8Array(0), 0, 0, 2, 8, 8)).toThrow(/positive integers/);
    expect(() => claheGray(new Uint8Array(4), 2, 2, 2, 0, 8)).toThrow(/tile grid/);
    expect(() => claheGray(new Uint8Array(4), 2, 2, Number.NaN, 8, 8)).toThrow(/clipLimit/);
  });
});

describe('CIELAB conversions against OpenCV 4.6 (cvtColor RGB2Lab / Lab2RGB)', () => {
  const conv = index.colorConversions;
  const input = bytes(load(fixtures, conv.input));

  it('RGB -> Lab: L exact, a and b within one level', () => {
    const ours = rgbToLab(input);
    const ref = bytes(load(fixtures, conv.rgb2lab));
    const L = (a: Uint8Array) => a.filter((_, i) => i % 3 === 0);
    expect(compare(L(ours), L(ref)).max).toBe(0);
    const { mad, max } = compare(ours, ref);
    expect(max).toBeLessThanOrEqual(1);
    expect(mad).toBeLessThan(0.01);
  });

  it('Lab -> RGB within two levels', () => {
    const { mad, max } = compare(labToRgb(input), bytes(load(fixtures, conv.lab2rgb)));
    expect(max).toBeLessThanOrEqual(2);
    expect(mad).toBeLessThan(0.05);
  });
});

describe('colour CLAHE against OpenCV 4.6', () => {
  for (const e of index.colour) {
    // The input is the BGR image OpenCV decoded from the JPEG, stored as PNG, so no JPEG decoder is involved.
    const rgb = load(fixtures, e.input);

    it(`${e.input}: Lab L matches the golden labL plane exactly`, () => {
      const lab = rgbToLab(bytes(rgb));
      const L = lab.filter((_, i) => i % 3 === 0);
      expect(compare(L, bytes(load(fixtures, e.labL))).max).toBe(0);
    });

    it(`${e.output}`, () => {
      const ref = load(fixtures, e.output);
      expect(ref.channels).toBe(3);
      const out = claheRgb(bytes(rgb), rgb.width, rgb.height, e.clipLimit, e.tileGridSize[0], e.tileGridSize[1]);
      const { mad, max } = compare(out, bytes(ref));
      console.log(`${e.output}: MAD ${mad.toFixed(4)}, max ${max}`);
      expect(mad).toBeLessThanOrEqual(1);
      expect(max).toBeLessThanOrEqual(3);
    });
  }
});

describe('clahe node', () => {
  it('defaults to clipLimit 2 with 8x8 tiles', () => {
    expect(new NodeRegistry([claheNode]).defaultParams('clahe')).toEqual({ clipLimit: 2, tilesX: 8, tilesY: 8 });
    expect([claheNode.type, claheNode.category, claheNode.mode]).toEqual(['clahe', 'Preprocess', 'item']);
  });

  it('rejects out-of-range params', () => {
    const bad = [{ clipLimit: -1 }, { clipLimit: 41 }, { tilesX: 0 }, { tilesY: 65 }, { tilesX: 2.5 }, { clipLimit: 'high' }];
    for (const p of bad) expect(claheNode.params.safeParse(p).success, JSON.stringify(p)).toBe(false);
    expect(claheNode.params.parse({ clipLimit: 0, tilesX: 1, tilesY: 64 })).toEqual({ clipLimit: 0, tilesX: 1, tilesY: 64 });
  });

  it('equalises a gray image and keeps size and source', async () => {
    const e = index.planes[0];
    const inp = load(fixtures, e.input);
    const params = { clipLimit: e.clipLimit, tilesX: e.tileGridSize[0], tilesY: e.tileGridSize[1] };
    const image = (await claheNode.kernel({ image: inp }, params, ctx)).image as ImageValue;
    expect([image.width, image.height, image.channels, image.source]).toEqual([inp.width, inp.height, 1, e.input]);
    expect(compare(image.data as Uint8Array, bytes(load(fixtures, e.output))).max).toBe(0);
  });

  it('equalises an RGB image on Lab L', async () => {
    const e = index.colour[0];
    const inp = load(fixtures, e.input);
    const params = { clipLimit: e.clipLimit, tilesX: e.tileGridSize[0], tilesY: e.tileGridSize[1] };
    const image = (await claheNode.kernel({ image: inp }, params, ctx)).image as ImageValue;
    expect([image.width, image.height, image.channels, image.source]).toEqual([inp.width, inp.height, 3, e.input]);
    expect(compare(image.data as Uint8Array, bytes(load(fixtures, e.output))).max).toBeLessThanOrEqual(3);
  });

  it('refuses float images with a clear error', () => {
    const img: ImageValue = { width: 2, height: 2, channels: 1, data: new Float32Array(4), source: 'norm.png' };
    expect(() => claheNode.kernel({ image: img }, { clipLimit: 2, tilesX: 8, tilesY: 8 }, ctx)).toThrow(/clahe expects an 8-bit image.*norm\.png/);
  });
});

describe('claheGray against all shared OpenCV goldens', () => {
  if (!existsSync(path.join(goldenDir, 'index.json'))) {
    it.skip(`skipped: ${goldenDir} is absent (the shared CLAHE goldens are not on this machine)`, () => {});
    return;
  }
  const golden = JSON.parse(readFileSync(path.join(goldenDir, 'index.json'), 'utf8')) as {
    entries: { input: string; output: string; clipLimit: number; tileGridSize: number[]; size_wh: number[] }[];
  };
  const rows: string[] = [];
  afterAll(() => {
    if (rows.length) console.log(['output                                        size     MAD     max', ...rows].join('\n'));
  });

  it('lists 24 entries', () => {
    expect(golden.entries).toHaveLength(24);
  });

  for (const e of golden.entries) {
    it(e.output, () => {
      const { mad, max } = runPlane(goldenDir, e);
      rows.push(`${e.output.padEnd(46)}${e.size_wh.join('x').padEnd(9)}${mad.toFixed(4)}  ${max}`);
      expect(mad).toBeLessThanOrEqual(1);
      expect(max).toBeLessThanOrEqual(3);
    });
  }
});
