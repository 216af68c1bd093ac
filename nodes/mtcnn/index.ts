import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import { downscaleImage, scanMinFaceSize } from '../image-pyramid/index.js';
import type { ImageValue } from '../../src/graph/values.js';
import { detectFaces, loadMtcnn, toDetectionsValue } from '../../src/models/mtcnn/index.js';

export const mtcnnNode = defineNode({
  type: 'mtcnn',
  title: 'MTCNN detector',
  category: 'Detection',
  doc: 'The whole MTCNN cascade (pyramid, P-Net, R-Net, O-Net with NMS between) in one node: faces with 5 landmarks.',
  keywords: ['face detection', 'detector', 'landmarks', 'p-net', 'r-net', 'o-net', 'cascade'],
  mode: 'item',
  diskCacheable: true,
  inputs: { image: { type: 'Image', doc: 'The image to search (8-bit RGB or gray).' } },
  outputs: { detections: { type: 'Detections', doc: 'Face boxes (source pixels), scores and 5 landmarks each.' } },
  params: z.object({
    minFaceSize: z.number().min(12).max(4096).default(20).describe('Smallest face to find, in source pixels, 12 or more (smaller = slower)'),
    scaleFactor: z.number().min(0.3).max(0.95).default(0.709).describe('Size ratio between neighbouring pyramid levels'),
    pnetThreshold: z.number().min(0).max(1).default(0.6).describe('P-Net face probability for a window to go on'),
    rnetThreshold: z.number().min(0).max(1).default(0.7).describe('R-Net face probability for a crop to go on'),
    onetThreshold: z.number().min(0).max(1).default(0.7).describe('O-Net face probability for a detection'),
  }),
  async kernel({ image }: { image: ImageValue }, params, ctx) {
    const nets = await loadMtcnn(ctx.io);
    // A very large photo is detected on a downscaled copy (so its first pyramid level stays within
    // MAX_SCAN_PIXELS and the full-size image never becomes a float tensor), the smallest face
    // growing accordingly; boxes and landmarks are mapped back to the photo's pixels.
    const minFaceSize = scanMinFaceSize(image.width, image.height, params.minFaceSize);
    const factor = params.minFaceSize / minFaceSize;
    const work = factor < 1 ? downscaleImage(image, Math.max(1, Math.round(image.width * factor)), Math.max(1, Math.round(image.height * factor))) : image;
    const { faces: found, funnel, ms } = await detectFaces(nets, work, params, (f) => ctx.progress(f));
    const sx = image.width / work.width;
    const sy = image.height / work.height;
    const faces = work === image ? found : found.map((f) => ({
      ...f,
      box: f.box.map((v, i) => v * (i % 2 ? sy : sx)) as typeof f.box,
      landmarks: f.landmarks.map(([x, y]) => [x * sx, y * sy]) as typeof f.landmarks,
    }));
    ctx.report({ candidatesIn: funnel.pnet, candidatesOut: funnel.onet, funnel, stageMs: ms, ...(work !== image ? { downscaled: `${work.width}x${work.height}`, minFaceSize } : {}) });
    return { detections: toDetectionsValue(faces, image.width, image.height) };
  },
});
