import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import { downscaleImage, scanMinFaceSize } from '../image-pyramid/index.js';
import type { ImageValue } from '../../src/graph/values.js';
import { detectFaces, detectFacesBatch, loadMtcnn, toDetectionsValue, type MtcnnResult } from '../../src/models/mtcnn/index.js';

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
  async kernel({ image }, params, ctx) {
    const nets = await loadMtcnn(ctx.io);
    const scan = scanned(image, params.minFaceSize);
    const found = await detectFaces(nets, scan.work, params, (f) => ctx.progress(f));
    const { detections, report } = inSource(image, scan, found);
    ctx.report(report);
    return { detections };
  },
  /** Several images through each stage together (R-Net and O-Net on all their crops at once). */
  async batchKernel(list, params, ctx) {
    const nets = await loadMtcnn(ctx.io);
    const scans = list.map(({ image }) => scanned(image, params.minFaceSize));
    const found = await detectFacesBatch(nets, scans.map((s) => s.work), params);
    return list.map(({ image }, i) => {
      const { detections, report } = inSource(image, scans[i], found[i]);
      return { outputs: { detections }, report };
    });
  },
});

/**
 * A very large photo is detected on a downscaled copy (so its first pyramid level stays within
 * MAX_SCAN_PIXELS and the full-size image never becomes a float tensor), the smallest face
 * growing accordingly (`minFaceSize`, in the photo's pixels).
 */
function scanned(image: ImageValue, minFace: number): { work: ImageValue; minFaceSize: number } {
  const minFaceSize = scanMinFaceSize(image.width, image.height, minFace);
  const factor = minFace / minFaceSize;
  const work = factor < 1 ? downscaleImage(image, Math.max(1, Math.round(image.width * factor)), Math.max(1, Math.round(image.height * factor))) : image;
  return { work, minFaceSize };
}

/** The cascade's faces with boxes and landmarks mapped back to the photo's pixels, and the node's report. */
function inSource(image: ImageValue, { work, minFaceSize }: { work: ImageValue; minFaceSize: number }, { faces: found, funnel, ms }: MtcnnResult) {
  const sx = image.width / work.width;
  const sy = image.height / work.height;
  const faces = work === image ? found : found.map((f) => ({
    ...f,
    box: f.box.map((v, i) => v * (i % 2 ? sy : sx)) as typeof f.box,
    landmarks: f.landmarks.map(([x, y]) => [x * sx, y * sy]) as typeof f.landmarks,
  }));
  const report = { candidatesIn: funnel.pnet, candidatesOut: funnel.onet, funnel, stageMs: ms, ...(work !== image ? { downscaled: `${work.width}x${work.height}`, minFaceSize } : {}) };
  return { detections: toDetectionsValue(faces, image.width, image.height), report };
}
