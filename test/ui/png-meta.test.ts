import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { crc32, embedPngText, readPngText } from '../../src/io/png-meta.js';
import mtcnn from '../../presets/mtcnn.json';

function tinyPng(): Uint8Array {
  const png = new PNG({ width: 3, height: 2 });
  png.data.fill(200);
  return new Uint8Array(PNG.sync.write(png));
}

describe('pipeline JSON in PNG metadata', () => {
  it('round-trips through an iTXt chunk and stays a valid PNG', () => {
    const json = JSON.stringify({ ...mtcnn, name: 'Détecteur — ünïcode' });
    const out = embedPngText(tinyPng(), json);
    expect(readPngText(out)).toBe(json);
    const decoded = PNG.sync.read(Buffer.from(out), { checkCRC: true } as never);
    expect([decoded.width, decoded.height]).toEqual([3, 2]);
    // Embedding again replaces the chunk instead of adding a second one.
    const again = embedPngText(out, '{"x":1}');
    expect(readPngText(again)).toBe('{"x":1}');
    expect(Buffer.from(again).toString('latin1').split('faceflow-pipeline').length).toBe(2);
  });

  it('reads nothing from a plain PNG and refuses non-PNG bytes', () => {
    expect(readPngText(tinyPng())).toBeUndefined();
    expect(() => readPngText(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(/not a PNG/);
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789')).toString(16)).toBe('cbf43926');
  });
});
