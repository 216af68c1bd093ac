import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { CandidatesValue, ImageValue } from '../../src/graph/values.js';
import { checkSameImage, fromCandidatesValue, imageTensor, loadMtcnn, runOnet, toDetectionsValue } from '../../src/models/mtcnn/index.js';

export const onetNode = defineNode({
  type: 'onet',
  title: 'O-Net',
  category: 'Detection',
  doc: 'MTCNN stage 3: scores 48x48 crops in one batch, regresses the final boxes, adds 5 landmarks, then NMS.',
  keywords: ['mtcnn', 'output', 'landmarks', 'face detection', 'stage 3', 'keypoints'],
  mode: 'item',
  cascadeStage: 'onet',
  inputs: {
    image: { type: 'Image', doc: 'The image the candidates were found in.' },
    candidates: { type: 'Candidates', doc: 'Candidates from R-Net (usually after NMS).' },
  },
  outputs: { detections: { type: 'Detections', doc: 'Face boxes (source pixels, clipped to the image), scores and 5 landmarks each.' } },
  params: z.object({
    threshold: z.number().min(0).max(1).default(0.7).describe('Face probability a crop needs to become a detection'),
    nmsThreshold: z.number().min(0).max(1).default(0.7).describe('Overlap above which the final NMS drops the weaker face'),
    nmsMode: z.enum(['union', 'min']).default('min').describe('Final NMS overlap: over the smaller box (original MTCNN) or IoU'),
  }),
  async kernel({ image, candidates }: { image: ImageValue; candidates: CandidatesValue }, params, ctx) {
    checkSameImage(candidates, image);
    const nets = await loadMtcnn(ctx.io);
    const x = imageTensor(image);
    try {
      const faces = await runOnet(nets, x, fromCandidatesValue(candidates), params.threshold, params.nmsThreshold, params.nmsMode);
      ctx.report({ candidatesIn: candidates.boxes.length, candidatesOut: faces.length });
      return { detections: toDetectionsValue(faces, image.width, image.height) };
    } finally {
      x.dispose();
    }
  },
});
