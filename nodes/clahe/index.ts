import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { ImageValue } from '../../src/graph/values.js';
import { claheGray, claheRgb } from './clahe.js';

/** CLAHE as cv2.createCLAHE(clipLimit, (tilesX, tilesY)).apply(); colour images are equalised on CIELAB L. */
export const claheNode = defineNode({
  type: 'clahe',
  title: 'CLAHE',
  category: 'Preprocess',
  doc: 'Contrast-limited adaptive histogram equalisation (OpenCV 4.6 createCLAHE); RGB images are equalised on the L channel of CIELAB.',
  keywords: ['contrast', 'histogram', 'equalize', 'equalise', 'lighting', 'illumination', 'opencv'],
  mode: 'item',
  inputs: { image: { type: 'Image', doc: 'An 8-bit gray or RGB image.' } },
  outputs: { image: { type: 'Image', doc: 'The equalised image, same size and channels.' } },
  params: z.object({
    clipLimit: z.number().min(0).max(40).default(2).describe('Contrast limit per tile, in multiples of the mean bin height; 0 turns clipping off.'),
    tilesX: z.number().int().min(1).max(64).default(8).describe('Tiles across (tileGridSize width).'),
    tilesY: z.number().int().min(1).max(64).default(8).describe('Tiles down (tileGridSize height).'),
  }),
  kernel(inputs, params) {
    const img = inputs.image as ImageValue;
    if (!(img.data instanceof Uint8Array)) {
      throw new Error(
        `clahe expects an 8-bit image, got float data (${img.width}x${img.height}x${img.channels})${img.source ? ` from ${img.source}` : ''}; apply CLAHE before normalising`,
      );
    }
    const { clipLimit, tilesX, tilesY } = params;
    const data = img.channels === 1
      ? claheGray(img.data, img.width, img.height, clipLimit, tilesX, tilesY)
      : claheRgb(img.data, img.width, img.height, clipLimit, tilesX, tilesY);
    const out: ImageValue = { width: img.width, height: img.height, channels: img.channels, data, source: img.source };
    return { image: out };
  },
});
