import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { crc32 } from '../../src/io/png-meta.js';
import { concatBytes } from '../../src/util/bytes.js';
import { mulberry32 } from '../../src/util/rng.js';

/**
 * A seeded generator of valid, odd and corrupt PNG and JPEG files for the decoder fuzz test
 * and bench: truncations, bit flips, header lies, decompression bombs, 16-bit, palette, CMYK,
 * progressive, 1x1 and extreme aspect ratios. Each case says whether a correct decoder must
 * accept it ('valid'), must refuse it ('invalid'), or may do either ('either').
 */

export interface ImageCase {
  name: string;
  bytes: Uint8Array;
  expect: 'valid' | 'invalid' | 'either';
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG built by hand (any size, depth, colour type), its IDAT the deflated `raw` scanlines (or zeros for all of them). */
export function pngFile(width: number, height: number, opts: { depth?: number; colorType?: number; raw?: Uint8Array; palette?: number } = {}): Uint8Array {
  const depth = opts.depth ?? 8;
  const colorType = opts.colorType ?? 2;
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (colorType === 3) parts.push(chunk('PLTE', new Uint8Array(3 * (opts.palette ?? 16)).map((_, i) => (i * 37) & 255)));
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType] ?? 3;
  const rowBytes = Math.ceil((width * channels * depth) / 8) + 1;
  const raw = opts.raw ?? new Uint8Array(rowBytes * height);
  parts.push(chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  return concatBytes(parts);
}

/** The PNG with its IHDR width and height replaced (and the CRC fixed, so only the size lies). */
export function pngWithSize(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = png.slice();
  const dv = new DataView(out.buffer);
  dv.setUint32(16, width);
  dv.setUint32(20, height);
  dv.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

/** Offset of the first JPEG start-of-frame marker. */
function sofOffset(b: Uint8Array): number {
  let i = 2;
  while (i + 3 < b.length) {
    const m = b[i + 1];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return i;
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  return -1;
}

export function jpegWithSize(jpg: Uint8Array, width: number, height: number): Uint8Array {
  const out = jpg.slice();
  const i = sofOffset(out);
  out[i + 5] = height >> 8;
  out[i + 6] = height & 255;
  out[i + 7] = width >> 8;
  out[i + 8] = width & 255;
  return out;
}

export function jpegFile(width: number, height: number, seed: number, quality = 80): Uint8Array {
  const rand = mulberry32(seed);
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i & 3) === 3 ? 255 : Math.floor(rand() * 256);
  return new Uint8Array(jpeg.encode({ data, width, height }, quality).data);
}

function pngjsFile(width: number, height: number, seed: number, colorType: 0 | 2 | 4 | 6): Uint8Array {
  const rand = mulberry32(seed);
  const png = new PNG({ width, height, colorType, inputColorType: 6, inputHasAlpha: true });
  for (let i = 0; i < png.data.length; i++) png.data[i] = Math.floor(rand() * 256);
  return new Uint8Array(PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true }));
}

/** The valid seeds every mutation starts from. */
export function baseImages(seed = 1): ImageCase[] {
  const rand = mulberry32(seed);
  const raw16 = (w: number, h: number, ch: number) => {
    const row = w * ch * 2 + 1;
    const r = new Uint8Array(row * h);
    for (let i = 0; i < r.length; i++) r[i] = i % row === 0 ? 0 : Math.floor(rand() * 256);
    return r;
  };
  const jpg = jpegFile(48, 32, seed);
  const sof = sofOffset(jpg);
  const progressive = jpg.slice();
  progressive[sof + 1] = 0xc2; // a baseline stream labelled progressive: a header lie
  const cmyk = jpg.slice();
  cmyk[sof + 9] = 4; // four components claimed, three present
  return [
    { name: 'rgb.png', bytes: pngjsFile(40, 30, seed, 2), expect: 'valid' },
    { name: 'rgba.png', bytes: pngjsFile(17, 9, seed, 6), expect: 'valid' },
    { name: 'gray.png', bytes: pngjsFile(31, 12, seed, 0), expect: 'valid' },
    { name: 'gray-alpha.png', bytes: pngjsFile(8, 8, seed, 4), expect: 'valid' },
    { name: 'rgb16.png', bytes: pngFile(20, 10, { depth: 16, colorType: 2, raw: raw16(20, 10, 3) }), expect: 'valid' },
    { name: 'gray16.png', bytes: pngFile(9, 7, { depth: 16, colorType: 0, raw: raw16(9, 7, 1) }), expect: 'valid' },
    { name: 'palette.png', bytes: pngFile(16, 16, { depth: 8, colorType: 3 }), expect: 'valid' },
    { name: 'palette4.png', bytes: pngFile(33, 5, { depth: 4, colorType: 3 }), expect: 'valid' },
    { name: '1x1.png', bytes: pngjsFile(1, 1, seed, 2), expect: 'valid' },
    { name: 'wide.png', bytes: pngFile(20000, 1, { colorType: 0 }), expect: 'valid' },
    { name: 'tall.png', bytes: pngFile(1, 20000, { colorType: 0 }), expect: 'valid' },
    { name: 'zero-width.png', bytes: pngFile(0, 10), expect: 'invalid' },
    { name: 'photo.jpg', bytes: jpg, expect: 'valid' },
    { name: '1x1.jpg', bytes: jpegFile(1, 1, seed), expect: 'valid' },
    { name: 'wide.jpg', bytes: jpegFile(4000, 8, seed, 50), expect: 'valid' },
    { name: 'progressive-lie.jpg', bytes: progressive, expect: 'either' },
    { name: 'cmyk-lie.jpg', bytes: cmyk, expect: 'either' },
  ];
}

/** Decompression bombs: tiny files whose headers promise huge images (and, for PNG, a deflate stream that would inflate to it). */
export function bombs(): ImageCase[] {
  const small = pngFile(8, 8, { colorType: 2 });
  return [
    { name: 'png-60000x60000.png', bytes: pngWithSize(small, 60000, 60000), expect: 'invalid' },
    { name: 'png-2^31.png', bytes: pngWithSize(small, 0x7fffffff, 0x7fffffff), expect: 'invalid' },
    { name: 'png-real-bomb-8000x8000.png', bytes: pngFile(8000, 8000, { colorType: 0 }), expect: 'invalid' },
    { name: 'jpeg-65535x65535.jpg', bytes: jpegWithSize(jpegFile(16, 16, 3), 65535, 65535), expect: 'invalid' },
    { name: 'jpeg-20000x20000.jpg', bytes: jpegWithSize(jpegFile(16, 16, 4), 20000, 20000), expect: 'invalid' },
  ];
}

/** Case `i` of a seeded stream: a mutation of one of the base images. */
export function corruptImage(base: ImageCase[], seed: number, i: number): ImageCase {
  const rand = mulberry32(seed * 1_000_003 + i);
  const src = base[Math.floor(rand() * base.length)];
  const b = src.bytes.slice();
  const pick = Math.floor(rand() * 6);
  const isPng = b[0] === 0x89;
  switch (pick) {
    case 0: {
      const at = Math.floor(rand() * b.length);
      return { name: `${src.name}#truncate@${at}`, bytes: b.subarray(0, at), expect: 'either' };
    }
    case 1: {
      const n = 1 + Math.floor(rand() * 16);
      for (let k = 0; k < n; k++) b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
      return { name: `${src.name}#flip${n}`, bytes: b, expect: 'either' };
    }
    case 2: {
      const w = [0, 1, 7, 255, 4096, 65535, 100000][Math.floor(rand() * 7)];
      const h = [0, 1, 3, 1000, 65535][Math.floor(rand() * 5)];
      if (isPng) return { name: `${src.name}#ihdr-${w}x${h}`, bytes: pngWithSize(b, w, h), expect: 'either' };
      return { name: `${src.name}#sof-${w}x${h}`, bytes: jpegWithSize(b, Math.min(w, 65535), h), expect: 'either' };
    }
    case 3: {
      // overwrite a run of bytes in the header region
      const at = Math.floor(rand() * Math.min(b.length, 64));
      const len = 1 + Math.floor(rand() * 8);
      for (let k = 0; k < len && at + k < b.length; k++) b[at + k] = Math.floor(rand() * 256);
      return { name: `${src.name}#header-garble@${at}`, bytes: b, expect: 'either' };
    }
    case 4: {
      // garbage appended or inserted
      const junk = new Uint8Array(1 + Math.floor(rand() * 64)).map(() => Math.floor(rand() * 256));
      const at = Math.floor(rand() * b.length);
      return { name: `${src.name}#insert@${at}`, bytes: concatBytes([b.subarray(0, at), junk, b.subarray(at)]), expect: 'either' };
    }
    default:
      return { ...src, name: `${src.name}#as-is`, bytes: b };
  }
}
