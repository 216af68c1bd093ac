import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyOrientation, jpegOrientation } from '../../src/io/exif.js';
import { createNodeIO, decodeImageNode, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { detectFaces, loadMtcnn } from '../../src/models/mtcnn/index.js';
import { initBackend } from '../../src/runtime/backend.js';
import type { ImageValue } from '../../src/graph/values.js';

/** A JPEG with an APP1 Exif segment (IFD0 with one tag, Orientation) right after SOI, as cameras write it. */
function withOrientation(jpg: Uint8Array, orientation: number, littleEndian = false): Uint8Array {
  const tiff = new DataView(new ArrayBuffer(26));
  tiff.setUint16(0, littleEndian ? 0x4949 : 0x4d4d);
  tiff.setUint16(2, 42, littleEndian);
  tiff.setUint32(4, 8, littleEndian);
  tiff.setUint16(8, 1, littleEndian); // one entry
  tiff.setUint16(10, 0x0112, littleEndian);
  tiff.setUint16(12, 3, littleEndian); // SHORT
  tiff.setUint32(14, 1, littleEndian);
  tiff.setUint16(18, orientation, littleEndian);
  tiff.setUint32(22, 0, littleEndian); // no next IFD
  const payload = new Uint8Array([...Buffer.from('Exif\0\0', 'latin1'), ...new Uint8Array(tiff.buffer)]);
  const seg = new Uint8Array([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255, ...payload]);
  return new Uint8Array([...jpg.subarray(0, 2), ...seg, ...jpg.subarray(2)]);
}

/** RGB -> JPEG bytes (quality 95). */
function encodeJpeg(img: ImageValue): Uint8Array {
  const rgba = Buffer.alloc(img.width * img.height * 4, 255);
  for (let i = 0; i < img.width * img.height; i++) for (let k = 0; k < 3; k++) rgba[i * 4 + k] = img.data[i * 3 + k];
  return new Uint8Array(jpeg.encode({ data: rgba, width: img.width, height: img.height }, 95).data);
}

describe('EXIF orientation in Node', () => {
  // 64x32: red block in the top-left corner, rest grey
  const W = 64;
  const H = 32;
  const img: ImageValue = { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3).fill(128) };
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) img.data.set([255, 0, 0], (y * W + x) * 3);
  const plain = encodeJpeg(img);
  const redAt = (d: ImageValue, x: number, y: number) => d.data[(y * d.width + x) * 3] > 200 && d.data[(y * d.width + x) * 3 + 1] < 60;

  it('reads the orientation tag (big- and little-endian TIFF), 1 without one', () => {
    expect(jpegOrientation(plain)).toBe(1);
    for (let o = 1; o <= 8; o++) {
      expect(jpegOrientation(withOrientation(plain, o))).toBe(o);
      expect(jpegOrientation(withOrientation(plain, o, true))).toBe(o);
    }
    expect(jpegOrientation(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(1);
  });

  it('decodes a JPEG with orientation 6 upright, as a browser shows it (rotated 90 degrees clockwise)', () => {
    const d = decodeImageNode(withOrientation(plain, 6), 'rotated.jpg');
    expect([d.width, d.height]).toEqual([H, W]);
    // the stored top-left corner is shown at the top right
    expect(redAt(d, H - 4, 4)).toBe(true);
    expect(redAt(d, 4, 4)).toBe(false);
  });

  it('maps every orientation like the EXIF spec (corner of the stored top-left pixel)', () => {
    const up = decodeImageNode(plain, 'up.jpg');
    const corners: Record<number, [number, number]> = { 1: [0, 0], 2: [1, 0], 3: [1, 1], 4: [0, 1], 5: [0, 0], 6: [1, 0], 7: [1, 1], 8: [0, 1] };
    for (let o = 1; o <= 8; o++) {
      const d = applyOrientation(up, o);
      expect([d.width, d.height]).toEqual(o >= 5 ? [H, W] : [W, H]);
      const [cx, cy] = corners[o];
      expect(redAt(d, cx ? d.width - 3 : 2, cy ? d.height - 3 : 2), `orientation ${o}`).toBe(true);
    }
  });

  describe('a real photo stored sideways', () => {
    let upright: ImageValue;
    beforeAll(async () => {
      await initBackend('wasm');
      upright = decodeImageNode(new Uint8Array(await readFile(resolvePackageAsset('@vladmandic/face-api/demo/sample1.jpg'))), 'sample1.jpg');
    });

    it('finds the faces of the upright photo in its sideways copy tagged with orientation 6', async () => {
      // the stored pixels are the upright photo turned 90 degrees counter-clockwise (orientation 8 applied), tagged 6
      const sideways = applyOrientation(upright, 8);
      const bytes = withOrientation(encodeJpeg(sideways), 6);
      const shown = decodeImageNode(bytes, 'phone.jpg');
      expect([shown.width, shown.height]).toEqual([upright.width, upright.height]);
      const nets = await loadMtcnn(createNodeIO());
      const a = (await detectFaces(nets, upright)).faces;
      const b = (await detectFaces(nets, shown)).faces;
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBe(a.length);
    }, 120_000);
  });
});
