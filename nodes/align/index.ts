import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { Affine, Box, DetectionsValue, FacesValue, ImageValue, Point } from '../../src/graph/values.js';
import { similarityTransform } from './similarity.js';
import { boxTransform, centerCropTransform, centralFaceIndex, landmarkBox } from './select.js';
import { ALIGN_TEMPLATES, templatePoints, type TemplateName } from './templates.js';
import { warpAffineBilinear } from './warp.js';

export const alignParams = z.object({
  template: z.enum(Object.keys(ALIGN_TEMPLATES) as [TemplateName, ...TemplateName[]]).default('arcface-112')
    .describe('5-point template: arcface-112 (MobileFaceNet) or dlib-150 (dlib ResNet, tight chip)'),
  size: z.number().int().min(0).max(512).default(0).describe("Crop side in pixels; 0 = the template's own size (112 or 150)"),
  mode: z.enum(['landmarks', 'center']).default('landmarks')
    .describe('landmarks: similarity transform from the 5 detected points; center: centre crop of every image (no detector needed)'),
  select: z.enum(['all', 'central']).default('all')
    .describe('all faces, or only the one largest and nearest the centre (area - 2 x squared centre offset; the LFW practice)'),
  fallback: z.enum(['center-crop', 'median-landmarks', 'none']).default('center-crop')
    .describe('With no detection: a centre crop, the fallbackLandmarks aligned through the template (for already-cropped sets), or no face; fallbacks count as failed detections in eval'),
  fallbackLandmarks: z.array(z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)])).length(5).optional()
    .describe("median-landmarks fallback: 5 points (eyes, nose, mouth corners) as fractions of the image's width and height, e.g. a dataset's median detected landmarks (npm run bench -- landmarks)"),
  cropFraction: z.number().min(0.1).max(1).default(0.5)
    .describe('Centre crop side as a fraction of the shorter image side (center mode and fallback)'),
});

export type AlignParams = z.output<typeof alignParams>;

/** Align the faces of one image: the pure core of the node (no tfjs). */
export function alignFaces(image: ImageValue, detections: DetectionsValue | undefined, p: AlignParams): FacesValue {
  const size = p.size || ALIGN_TEMPLATES[p.template].size;
  const dst = templatePoints(p.template, size);
  const transforms: Affine[] = [];
  const boxes: Box[] = [];
  const fallback: boolean[] = [];
  if (p.mode === 'landmarks' && detections && detections.boxes.length) {
    if (detections.imageWidth !== image.width || detections.imageHeight !== image.height) {
      throw new Error(`detections are for a ${detections.imageWidth}x${detections.imageHeight} image, the image is ${image.width}x${image.height}`);
    }
    const order = p.select === 'central' ? [centralFaceIndex(detections)] : detections.boxes.map((_, i) => i);
    for (const i of order) {
      const lm = detections.landmarks[i];
      transforms.push(lm && lm.length === 5 ? similarityTransform(lm, dst) : boxTransform(detections.boxes[i], size));
      boxes.push(detections.boxes[i]);
      fallback.push(false);
    }
  } else if (p.mode === 'landmarks' && p.fallback === 'median-landmarks') {
    if (!p.fallbackLandmarks) throw new Error('fallback "median-landmarks" needs the fallbackLandmarks param (5 [x, y] fractions of the image size)');
    const lm = p.fallbackLandmarks.map(([x, y]) => [x * image.width, y * image.height] as Point);
    transforms.push(similarityTransform(lm, dst));
    boxes.push(landmarkBox(lm));
    fallback.push(true);
  } else if (p.mode === 'center' || p.fallback === 'center-crop') {
    const c = centerCropTransform(image.width, image.height, size, p.cropFraction);
    transforms.push(c.transform);
    boxes.push(c.box);
    fallback.push(p.mode === 'landmarks');
  }
  const data = new Uint8Array(transforms.length * size * size * 3);
  transforms.forEach((m, i) => warpAffineBilinear(image, m, size, data, i * size * size * 3));
  return { size, count: transforms.length, data, transforms, boxes, fallback, template: p.mode === 'center' ? 'center' : p.template, source: image.source };
}

export const alignNode = defineNode({
  type: 'align',
  title: 'Align faces',
  category: 'Alignment',
  doc: 'Warps each face onto a canonical 5-point template (least-squares similarity, bilinear sampling) or takes a centre crop.',
  keywords: ['umeyama', 'similarity', 'warp', 'crop', 'landmarks', 'arcface', 'template'],
  mode: 'item',
  inputs: {
    image: { type: 'Image', doc: 'The source image.' },
    detections: { type: 'Detections', doc: 'Boxes and 5 landmarks from the detector (not needed in center mode).', optional: true },
  },
  outputs: { faces: { type: 'Faces', doc: 'Aligned crops (8-bit RGB) with their transforms; fallback crops are marked.' } },
  params: alignParams,
  kernel({ image, detections }, params, ctx) {
    if (params.mode === 'landmarks' && !detections) throw new Error('landmarks mode needs the detections input (or set mode to "center")');
    const faces = alignFaces(image, detections, params);
    ctx.report({ faces: faces.count, fallback: faces.fallback.filter(Boolean).length });
    return { faces };
  },
});
