import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { ImageValue } from '../../src/graph/values.js';
import { downscaleImage } from '../image-pyramid/index.js';
import { detectSsdFaces, loadLandmarks68, loadSsdMobileNet } from '../../src/models/ssd/index.js';

/** SSD sees every photo at 512x512; a larger photo than this is downscaled before it becomes a float tensor (landmarks are then found on the copy too). */
export const SSD_MAX_SIDE = 2048;

export const ssdNode = defineNode({
  type: 'ssd',
  title: 'SSD MobileNet + 68 landmarks',
  category: 'Detection',
  doc: 'SSD MobileNet v1 face detector (WIDER FACE, 512x512 input) and the 68-point landmark net on face-api\'s weights; 5 alignment points from the 68 (eye centres, nose tip, mouth corners). Same output as mtcnn.',
  keywords: ['face detection', 'detector', 'ssd', 'mobilenet', 'face-api', '68 landmarks', 'ibug'],
  mode: 'item',
  inputs: { image: { type: 'Image', doc: 'The image to search (8-bit RGB or gray).' } },
  outputs: { detections: { type: 'Detections', doc: 'Face boxes (source pixels), scores and 5 landmarks each (from the 68).' } },
  params: z.object({
    minConfidence: z.number().min(0).max(1).default(0.5).describe('Face score a detection needs (face-api\'s default 0.5)'),
    iouThreshold: z.number().min(0).max(1).default(0.5).describe('Non-maximum suppression: of boxes overlapping more than this, the best is kept'),
    maxResults: z.number().int().min(1).max(1000).default(100).describe('Most faces kept per image'),
  }),
  async kernel({ image }: { image: ImageValue }, params, ctx) {
    const [ssd, landmarks] = await Promise.all([loadSsdMobileNet(ctx.io), loadLandmarks68(ctx.io)]);
    const side = Math.max(image.width, image.height);
    const f = side > SSD_MAX_SIDE ? SSD_MAX_SIDE / side : 1;
    const work = f < 1 ? downscaleImage(image, Math.max(1, Math.round(image.width * f)), Math.max(1, Math.round(image.height * f))) : image;
    const { faces, ms } = await detectSsdFaces({ ssd, landmarks }, work, params);
    const sx = image.width / work.width;
    const sy = image.height / work.height;
    ctx.report({ faces: faces.length, stageMs: ms, ...(work !== image ? { downscaled: `${work.width}x${work.height}` } : {}) });
    return {
      detections: {
        imageWidth: image.width,
        imageHeight: image.height,
        boxes: faces.map((d) => [d.box[0] * sx, d.box[1] * sy, d.box[2] * sx, d.box[3] * sy] as [number, number, number, number]),
        scores: faces.map((d) => d.score),
        landmarks: faces.map((d) => d.landmarks.map(([x, y]) => [x * sx, y * sy] as [number, number])),
      },
    };
  },
});
