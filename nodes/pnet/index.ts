import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { PyramidValue } from '../../src/graph/values.js';
import { imageTensor, loadMtcnn, pnetMapSize, runPnet, toCandidatesValue } from '../../src/models/mtcnn/index.js';

export const pnetNode = defineNode({
  type: 'pnet',
  title: 'P-Net',
  category: 'Detection',
  doc: 'MTCNN stage 1: scores every 12x12 window (stride 2) of every pyramid level; keeps likely faces, NMS within each level.',
  keywords: ['mtcnn', 'proposal', 'face detection', 'heatmap', 'stage 1'],
  mode: 'item',
  cascadeStage: 'pnet',
  inputs: { pyramid: { type: 'Pyramid', doc: 'The image and the levels to scan.' } },
  outputs: { candidates: { type: 'Candidates', doc: 'Windows scoring at least the threshold, with box regression, and a face-probability heatmap per level.' } },
  params: z.object({
    threshold: z.number().min(0).max(1).default(0.6).describe('Face probability a window needs to become a candidate'),
    nmsThreshold: z.number().min(0).max(1).default(0.5).describe('IoU above which NMS within a level drops the weaker window'),
    heatmaps: z.boolean().default(true).describe('Keep the per-level probability maps for display (off saves memory in big runs)'),
  }),
  async kernel({ pyramid }: { pyramid: PyramidValue }, params, ctx) {
    const nets = await loadMtcnn(ctx.io);
    const { image, levels } = pyramid;
    const x = imageTensor(image);
    try {
      const { candidates, heatmaps } = await runPnet(nets, x, levels, params.threshold, params.nmsThreshold, 'window', params.heatmaps);
      const windows = levels.reduce((n, l) => {
        const m = pnetMapSize(l.width, l.height);
        return n + m.width * m.height;
      }, 0);
      ctx.report({ candidatesIn: windows, candidatesOut: candidates.length });
      return { candidates: toCandidatesValue(candidates, image.width, image.height, params.heatmaps ? heatmaps : undefined) };
    } finally {
      x.dispose();
    }
  },
});
