import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { CandidatesValue, ImageValue } from '../../src/graph/values.js';
import { checkSameImage, fromCandidatesValue, imageTensor, loadMtcnn, runRnet, toCandidatesValue } from '../../src/models/mtcnn/index.js';

export const rnetNode = defineNode({
  type: 'rnet',
  title: 'R-Net',
  category: 'Detection',
  doc: 'MTCNN stage 2: applies the previous box regression, squares each box, scores 24x24 crops of all of them in one batch.',
  keywords: ['mtcnn', 'refine', 'face detection', 'stage 2'],
  mode: 'item',
  cascadeStage: 'rnet',
  inputs: {
    image: { type: 'Image', doc: 'The image the candidates were found in.' },
    candidates: { type: 'Candidates', doc: 'Candidates from P-Net (usually after NMS).' },
  },
  outputs: { candidates: { type: 'Candidates', doc: 'The crops scoring at least the threshold, with R-Net\'s box regression.' } },
  params: z.object({
    threshold: z.number().min(0).max(1).default(0.7).describe('Face probability a crop needs to pass'),
  }),
  async kernel({ image, candidates }: { image: ImageValue; candidates: CandidatesValue }, params, ctx) {
    checkSameImage(candidates, image);
    const nets = await loadMtcnn(ctx.io);
    const x = imageTensor(image);
    try {
      const passed = await runRnet(nets, x, fromCandidatesValue(candidates), params.threshold);
      ctx.report({ candidatesIn: candidates.boxes.length, candidatesOut: passed.length });
      return { candidates: toCandidatesValue(passed, image.width, image.height) };
    } finally {
      x.dispose();
    }
  },
});
