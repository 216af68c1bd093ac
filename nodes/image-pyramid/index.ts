import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { ImageValue, PyramidValue } from '../../src/graph/values.js';
import { pyramidLevels } from '../../src/models/mtcnn/index.js';

/** The largest image P-Net scans at its first level: bigger photos are scanned downscaled instead of exhausting wasm memory. */
export const MAX_SCAN_PIXELS = 4_000_000;

/**
 * The smallest face size to scan for: the param, raised for a photo so large that its first
 * pyramid level (the image scaled by 12 / minFaceSize) would exceed MAX_SCAN_PIXELS. A 64 MP
 * photo is then scanned as if it were about 11 MP (faces under ~48 px are not looked for)
 * instead of ending in a tfjs-wasm abort.
 */
export function scanMinFaceSize(width: number, height: number, minFaceSize: number): number {
  const needed = 12 * Math.sqrt((width * height) / MAX_SCAN_PIXELS);
  return Math.max(minFaceSize, Math.ceil(needed * 100) / 100);
}

/** An area-average (box filter) downscale to width x height, for any channel count; the type of the data is kept. */
export function downscaleImage(image: ImageValue, width: number, height: number): ImageValue {
  const { channels: c, width: W, height: H } = image;
  const src = image.data;
  const data = new (src.constructor as new (n: number) => typeof src)(width * height * c);
  const sum = new Float64Array(width * c);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * H) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * H) / height));
    sum.fill(0);
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * W) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * W) / width));
      for (let yy = y0; yy < y1; yy++) {
        let i = (yy * W + x0) * c;
        for (let xx = x0; xx < x1; xx++) for (let k = 0; k < c; k++) sum[x * c + k] += src[i++];
      }
      const n = (y1 - y0) * (x1 - x0);
      for (let k = 0; k < c; k++) data[(y * width + x) * c + k] = src instanceof Uint8Array ? Math.round(sum[x * c + k] / n) : sum[x * c + k] / n;
    }
  }
  return { ...image, width, height, data };
}

export const imagePyramidNode = defineNode({
  type: 'image-pyramid',
  title: 'Image pyramid',
  category: 'Detection',
  doc: 'Scales at which P-Net scans the image: the first maps the smallest face to 12 px, each next one is scaleFactor times smaller.',
  keywords: ['mtcnn', 'scales', 'multiscale', 'min face'],
  mode: 'item',
  cascadeStage: 'pyramid',
  inputs: { image: { type: 'Image', doc: 'The image to scan (8-bit RGB or gray).' } },
  outputs: { pyramid: { type: 'Pyramid', doc: 'The image with its level sizes and scales (levels are resampled by P-Net).' } },
  params: z.object({
    minFaceSize: z.number().min(12).max(4096).default(20).describe('Smallest face to find, in source pixels, 12 or more (smaller = more levels, slower)'),
    scaleFactor: z.number().min(0.3).max(0.95).default(0.709).describe('Size ratio between neighbouring levels'),
  }),
  kernel({ image }: { image: ImageValue }, params, ctx) {
    const minFace = scanMinFaceSize(image.width, image.height, params.minFaceSize);
    const levels = pyramidLevels(image.width, image.height, minFace, params.scaleFactor);
    ctx.report({ levels: levels.length, largest: levels[0] ? `${levels[0].width}x${levels[0].height}` : 'none', ...(minFace > params.minFaceSize ? { downscaled: true, minFaceSize: minFace } : {}) });
    const pyramid: PyramidValue = { image, levels };
    return { pyramid };
  },
});
