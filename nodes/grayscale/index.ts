import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { ImageValue } from '../../src/graph/values.js';

// OpenCV's 8-bit BGR2GRAY weights 0.299/0.587/0.114 in 15-bit fixed point (summing to 1 << 15;
// blue rounds down so they do). Checked against cv2 4.6 on all 2^24 colours.
const R_WEIGHT = 9798;
const G_WEIGHT = 19235;
const B_WEIGHT = 3735;

/** 8-bit interleaved RGB to gray, bit-exact with cv2.cvtColor(img, COLOR_RGB2GRAY). */
export function rgbToGray(rgb: Uint8Array): Uint8Array {
  if (rgb.length % 3 !== 0) throw new Error(`rgbToGray: length ${rgb.length} is not a multiple of 3`);
  const gray = new Uint8Array(rgb.length / 3);
  for (let i = 0, j = 0; j < gray.length; i += 3, j++) {
    gray[j] = (rgb[i] * R_WEIGHT + rgb[i + 1] * G_WEIGHT + rgb[i + 2] * B_WEIGHT + (1 << 14)) >> 15;
  }
  return gray;
}

export const grayscaleNode = defineNode({
  type: 'grayscale',
  title: 'Grayscale',
  category: 'Preprocess',
  doc: 'Converts RGB to 8-bit gray with OpenCV\'s weights (0.299 R + 0.587 G + 0.114 B); gray input passes through.',
  keywords: ['gray', 'grey', 'luma', 'monochrome', 'cvtColor'],
  mode: 'item',
  inputs: { image: { type: 'Image', doc: 'An 8-bit RGB or gray image.' } },
  outputs: { image: { type: 'Image', doc: 'The 8-bit single-channel image.' } },
  params: z.object({}),
  kernel(inputs) {
    const img = inputs.image as ImageValue;
    if (!(img.data instanceof Uint8Array)) {
      throw new Error(`grayscale expects an 8-bit image, got float data (${img.width}x${img.height}x${img.channels})${img.source ? ` from ${img.source}` : ''}`);
    }
    if (img.channels === 1) return { image: img };
    const out: ImageValue = { width: img.width, height: img.height, channels: 1, data: rgbToGray(img.data), source: img.source };
    return { image: out };
  },
});
