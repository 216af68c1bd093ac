import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { DetectionsValue, ImageValue } from '../../src/graph/values.js';
import { dot, strokeBox, toRgbCopy, type RGB } from '../../src/io/draw.js';

const BOX: RGB = [64, 224, 96];
const LANDMARK: RGB = [255, 64, 64];

export const annotateNode = defineNode({
  type: 'annotate',
  title: 'Annotate detections',
  category: 'Output',
  doc: 'Draws each detected face box and its 5 landmarks onto a copy of the image.',
  keywords: ['draw', 'boxes', 'landmarks', 'overlay', 'visualise'],
  mode: 'item',
  inputs: {
    image: { type: 'Image', doc: 'The image the detections were made on.' },
    detections: { type: 'Detections', doc: 'Boxes and landmarks in that image\'s pixels.' },
  },
  outputs: { image: { type: 'Image', doc: 'An RGB copy with boxes (green) and landmarks (red).' } },
  params: z.object({
    thickness: z.number().int().min(0).max(20).default(0).describe('Box line width in pixels; 0 picks one from the image size'),
  }),
  kernel({ image, detections }: { image: ImageValue; detections: DetectionsValue }, params) {
    if (detections.imageWidth !== image.width || detections.imageHeight !== image.height) {
      throw new Error(`detections are for a ${detections.imageWidth}x${detections.imageHeight} image, this one is ${image.width}x${image.height}`);
    }
    const out = toRgbCopy(image);
    const t = params.thickness || Math.max(1, Math.round(Math.max(image.width, image.height) / 300));
    detections.boxes.forEach((box, i) => {
      strokeBox(out, box, BOX, t);
      for (const p of detections.landmarks[i] ?? []) dot(out, p, LANDMARK, t);
    });
    return { image: out };
  },
});
