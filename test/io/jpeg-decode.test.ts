import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/graph/errors.js';
import { decodeJpegJs, libjpegTurbo, loadLibjpegTurbo } from '../../src/io/jpeg-decode.js';
import { decodeImageNode, resolvePackageAsset } from '../../src/io/nodejs-io.js';

/**
 * JPEG decoding in Node (issue 15.2): libjpeg-turbo in WebAssembly, jpeg-js for what it refuses.
 * gray-40x30.jpg and cmyk-40x30.jpg were written by Pillow 9.4 from a 40x30 gradient (quality 90).
 */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/jpeg');
const photo = (k: number) => new Uint8Array(readFileSync(resolvePackageAsset(`@vladmandic/face-api/demo/sample${k}.jpg`)));
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const hasPillow = spawnSync('/usr/bin/python3', ['-c', 'import PIL'], { encoding: 'utf8' }).status === 0;

describe('JPEG decoding in Node', () => {
  it('libjpeg-turbo loaded from node_modules and decodeImageNode uses it', () => {
    expect(libjpegTurbo).toBeDefined();
    const bytes = photo(2);
    const img = decodeImageNode(bytes, 'sample2.jpg');
    expect(img.channels).toBe(3);
    expect(img.data).toBeInstanceOf(Uint8Array); // not the wasm heap's Uint8ClampedArray: 8-bit images are Uint8Array
    expect(sha256(img.data as Uint8Array)).toBe(sha256(libjpegTurbo!(bytes).data));
  });

  it("its pixels are jpeg-js's within a few levels on real photos (mean < 1, > 8 levels apart for < 0.5%)", () => {
    for (const k of [1, 3]) {
      const bytes = photo(k);
      const ours = libjpegTurbo!(bytes);
      const js = decodeJpegJs(bytes, 40e6);
      expect([ours.width, ours.height]).toEqual([js.width, js.height]);
      let sum = 0;
      let far = 0;
      for (let i = 0; i < js.data.length; i++) {
        const d = Math.abs(ours.data[i] - js.data[i]);
        sum += d;
        if (d > 8) far++;
      }
      expect(sum / js.data.length, `sample${k}.jpg`).toBeLessThan(1);
      expect(far / js.data.length, `sample${k}.jpg`).toBeLessThan(0.005);
    }
  });

  // Pillow decodes with the system's libjpeg-turbo (as Chromium does with its own copy): the same pixels, bit for bit
  it("its pixels are Pillow's (libjpeg-turbo) exactly", () => {
    // sha256 of Pillow 9.4's RGB (Debian libjpeg62-turbo 2.1.5) for sample3.jpg, 1920x1350
    expect(sha256(libjpegTurbo!(photo(3)).data)).toBe('ee7f68cb00d411f75472f8cec663e44426081c7a7d7a257387649431d397c493');
  });

  it.skipIf(!hasPillow)("its pixels are Pillow's on every demo photo and a gray JPEG (needs /usr/bin/python3 with PIL)", () => {
    const files = [1, 2, 4, 6].map((k) => resolvePackageAsset(`@vladmandic/face-api/demo/sample${k}.jpg`)).concat(path.join(FIXTURES, 'gray-40x30.jpg'));
    const script = 'import sys, hashlib\nfrom PIL import Image\nfor f in sys.argv[1:]: print(hashlib.sha256(Image.open(f).convert("RGB").tobytes()).hexdigest())';
    const pillow = spawnSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(files.map((f) => sha256(decodeImageNode(new Uint8Array(readFileSync(f)), f).data as Uint8Array))).toEqual(pillow);
  });

  it('a gray JPEG comes out as three equal channels, as before', () => {
    const img = decodeImageNode(fixture('gray-40x30.jpg'), 'gray.jpg');
    expect([img.width, img.height, img.channels]).toEqual([40, 30, 3]);
    for (let i = 0; i < img.width * img.height; i++) expect(img.data[i * 3 + 1] === img.data[i * 3] && img.data[i * 3 + 2] === img.data[i * 3]).toBe(true);
  });

  it('what libjpeg-turbo refuses (CMYK) jpeg-js decodes', () => {
    const bytes = fixture('cmyk-40x30.jpg');
    expect(() => libjpegTurbo!(bytes)).toThrow();
    const img = decodeImageNode(bytes, 'cmyk.jpg');
    expect([img.width, img.height, img.channels]).toEqual([40, 30, 3]);
    expect(sha256(img.data as Uint8Array)).toBe(sha256(decodeJpegJs(bytes, 40e6).data));
  });

  it('a corrupt JPEG is a one-line user error naming the file', () => {
    const good = photo(1);
    let sos = 2; // offset of the start-of-scan marker: the header before it stays intact
    while (!(good[sos] === 0xff && good[sos + 1] === 0xda)) sos += 2 + ((good[sos + 2] << 8) | good[sos + 3]);
    const scrambled = good.slice();
    for (let i = sos + 20; i < scrambled.length - 2; i++) scrambled[i] = (i * 7919) & 0xff;
    for (const [name, bytes] of [['no-scan.jpg', good.slice(0, sos + 40)], ['half.jpg', good.slice(0, good.length >> 1)], ['scrambled.jpg', scrambled]] as const) {
      let err: unknown;
      try {
        decodeImageNode(bytes, name);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(new RegExp(`^${name.replace('.', '\\.')}: corrupt or unreadable JPEG \\([^\\n]+\\)$`));
    }
  });

  it('a decoder package that cannot be loaded throws (the module then falls back to jpeg-js)', () => {
    expect(() => loadLibjpegTurbo('@faceflow/no-such-jpeg-decoder')).toThrow(/Cannot find module/);
  });
});
