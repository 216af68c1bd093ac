import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/graph/errors.js';
import { checkImageBytes, readImageHeader } from '../../src/io/image-header.js';
import { decodeImageNode } from '../../src/io/nodejs-io.js';
import { bombs, jpegFile, jpegWithSize, pngFile, pngWithSize } from '../fuzz/images.js';

/** Images (issue 12, item 2): the size comes from the header and is checked before decoding. */
describe('image size from the header, checked before decoding', () => {
  it('reads PNG IHDR and JPEG SOF sizes', () => {
    expect(readImageHeader(pngFile(640, 480, { colorType: 0 }))).toMatchObject({ format: 'png', width: 640, height: 480, gray: true, bitDepth: 8 });
    expect(readImageHeader(jpegFile(40, 24, 1))).toMatchObject({ format: 'jpeg', width: 40, height: 24, sof: 0xc0 });
    expect(readImageHeader(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it('a 1 MB-class PNG bomb is refused from its header, without growing memory', () => {
    for (const c of bombs()) {
      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      let err: unknown;
      try {
        decodeImageNode(c.bytes, c.name);
      } catch (e) {
        err = e;
      }
      expect(err, c.name).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(new RegExp(`^${c.name.replace(/[.^$]/g, '\\$&')}: image is \\d+x\\d+ .*more than the limit of 40 \\(--max-pixels\\)$`));
      expect(performance.now() - t0, c.name).toBeLessThan(500);
      expect(process.memoryUsage().rss - rss0, c.name).toBeLessThan(64 * 1024 * 1024);
    }
  });

  it('the cap is a parameter (--max-pixels sets it for the CLI)', () => {
    const png = pngFile(100, 100, { colorType: 2 });
    expect(decodeImageNode(png, 'a.png').width).toBe(100);
    expect(() => decodeImageNode(png, 'a.png', 9999)).toThrow(/a\.png: image is 100x100 .*more than the limit/);
    expect(() => checkImageBytes(jpegWithSize(jpegFile(16, 16, 2), 5000, 5000), 'b.jpg', 1e6)).toThrow(/5000x5000/);
  });

  it('an image with no pixels fails the same way everywhere (0x10 PNG)', () => {
    const zero = pngWithSize(pngFile(1, 10), 0, 10);
    expect(() => decodeImageNode(zero, 'z.png')).toThrow(/^z\.png: image has no pixels \(0x10\)$/);
  });

  it('a header that disagrees with the data is a clean user error', () => {
    const lie = pngWithSize(pngFile(8, 8), 8, 4000);
    expect(() => decodeImageNode(lie, 'lie.png')).toThrow(UserError);
  });
});

describe('very large photos are scanned downscaled', () => {
  it('the smallest face grows so that the first pyramid level stays within 4 MP', async () => {
    const { scanMinFaceSize, MAX_SCAN_PIXELS } = await import('../../nodes/image-pyramid/index.js');
    const { pyramidLevels } = await import('../../src/models/mtcnn/index.js');
    expect(scanMinFaceSize(640, 480, 20)).toBe(20);
    expect(scanMinFaceSize(3000, 2000, 20)).toBe(20); // a 6 MP photo: unchanged
    expect(scanMinFaceSize(4000, 3000, 20)).toBeLessThan(21); // a 12 MP photo: barely
    for (const [w, h] of [[8000, 8000], [7000, 5000], [20000, 2000]]) {
      const minFace = scanMinFaceSize(w, h, 20);
      expect(minFace).toBeGreaterThan(20);
      const first = pyramidLevels(w, h, minFace)[0];
      expect(first.width * first.height).toBeLessThanOrEqual(MAX_SCAN_PIXELS * 1.01);
    }
  });
});
