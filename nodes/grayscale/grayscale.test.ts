import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { KernelContext } from '../../src/graph/node-definition.js';
import type { ImageValue } from '../../src/graph/values.js';
import { decodeImageNode } from '../../src/io/nodejs-io.js';
import { NodeRegistry } from '../../src/graph/registry.js';
import { grayscaleNode, rgbToGray } from './index.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/clahe', import.meta.url));
const index = JSON.parse(readFileSync(path.join(fixtures, 'index.json'), 'utf8')) as {
  colour: { input: string; gray: string }[];
  colorConversions: { input: string; rgb2gray: string };
};

function load(name: string): ImageValue {
  return decodeImageNode(new Uint8Array(readFileSync(path.join(fixtures, name))), name);
}

const ctx = { nodeId: 'gray', backend: 'cpu', signal: new AbortController().signal } as KernelContext;

describe('rgbToGray', () => {
  it('matches cv2.cvtColor(RGB2GRAY) exactly on a colour grid and random colours', () => {
    const { input, rgb2gray } = index.colorConversions;
    const ours = rgbToGray(load(input).data as Uint8Array);
    expect(Array.from(ours)).toEqual(Array.from(load(rgb2gray).data));
  });

  it('matches the gray plane OpenCV made for the CLAHE goldens', () => {
    for (const e of index.colour) {
      const ours = rgbToGray(load(e.input).data as Uint8Array);
      expect(Array.from(ours)).toEqual(Array.from(load(e.gray).data));
    }
  });

  it('rounds with OpenCV weights at known points', () => {
    expect(Array.from(rgbToGray(Uint8Array.of(255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 250)))).toEqual([255, 0, 76, 150, 29, 28]);
  });
});

describe('grayscale node', () => {
  it('has no params', () => {
    expect(new NodeRegistry([grayscaleNode]).defaultParams('grayscale')).toEqual({});
    expect([grayscaleNode.type, grayscaleNode.category, grayscaleNode.mode]).toEqual(['grayscale', 'Preprocess', 'item']);
  });

  it('converts RGB to one channel and keeps size and source', async () => {
    const img: ImageValue = { width: 2, height: 1, channels: 3, data: Uint8Array.of(10, 200, 30, 255, 128, 0), source: 'a.png' };
    const { image } = await grayscaleNode.kernel({ image: img }, {}, ctx);
    expect(image).toEqual({ width: 2, height: 1, channels: 1, data: rgbToGray(img.data as Uint8Array), source: 'a.png' });
  });

  it('passes a gray image through unchanged', async () => {
    const img: ImageValue = { width: 2, height: 2, channels: 1, data: Uint8Array.of(1, 2, 3, 4), source: 'g.png' };
    expect((await grayscaleNode.kernel({ image: img }, {}, ctx)).image).toBe(img);
  });

  it('refuses float images with a clear error', () => {
    const img: ImageValue = { width: 1, height: 1, channels: 3, data: new Float32Array(3) };
    expect(() => grayscaleNode.kernel({ image: img }, {}, ctx)).toThrow(/grayscale expects an 8-bit image/);
  });
});
