import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition';
import type { ImageValue, PyramidValue } from '../../src/graph/values';
import { pyramidLevels } from '../../src/models/mtcnn';

/** The largest image P-Net scans at its first level: bigger photos are scanned downscaled instead of exhausting wasm memory. */
export const MAX_SCAN_PIXELS = 8_000_000;

/**
 * The smallest face size to scan for: the param, raised for a photo so large that its first
 * pyramid level (the image scaled by 12 / minFaceSize) would exceed MAX_SCAN_PIXELS. A 64 MP
 * photo is then scanned as if it were about 8 MP (faces under ~34 px are not looked for)
 * instead of ending in a tfjs-wasm abort.
 */
export function scanMinFaceSize(width: number, height: number, minFaceSize: number): number {
  const needed = 12 * Math.sqrt((width * height) / MAX_SCAN_PIXELS);
  return Math.max(minFaceSize, Math.ceil(needed * 100) / 100);
}

export const imagePyramidNode = defineNode({
  type: 'image-pyramid',
  title: 'Image pyramid',
  category: 'Detection',
  doc: 'Scales at which P-Net scans the image: the first maps the smallest face to 12 px, each next one is scaleFactor times smaller.',
  keywords: ['mtcnn', 'scales', 'multiscale', 'min face'],
  mode: 'item',
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
