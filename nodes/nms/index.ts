import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { CandidatesValue } from '../../src/graph/values.js';
import { fromCandidatesValue, nmsCandidates, toCandidatesValue } from '../../src/models/mtcnn/index.js';

export const nmsNode = defineNode({
  type: 'nms',
  title: 'NMS',
  category: 'Detection',
  doc: 'Non-maximum suppression: of candidates overlapping more than the IoU threshold, keeps the highest-scoring one.',
  keywords: ['non-maximum suppression', 'iou', 'overlap', 'duplicates', 'mtcnn'],
  mode: 'item',
  cascadeStage: 'nms',
  inputs: { candidates: { type: 'Candidates', doc: 'Candidates from a detector stage.' } },
  outputs: { candidates: { type: 'Candidates', doc: 'The kept candidates, highest score first.' } },
  params: z.object({
    iouThreshold: z.number().min(0).max(1).default(0.7).describe('Overlap above which the weaker of two candidates is dropped'),
    mode: z.enum(['union', 'min']).default('union').describe('Overlap as intersection over union, or over the smaller box'),
    compare: z.enum(['window', 'refined']).default('window')
      .describe('Compare the scored windows (original MTCNN) or the regressed, squared boxes the next stage crops (fewer crops, lower final scores)'),
  }),
  kernel({ candidates }: { candidates: CandidatesValue }, params, ctx) {
    const kept = nmsCandidates(fromCandidatesValue(candidates), params.iouThreshold, params.mode, params.compare);
    ctx.report({ candidatesIn: candidates.boxes.length, candidatesOut: kept.length });
    return { candidates: toCandidatesValue(kept, candidates.imageWidth, candidates.imageHeight) };
  },
});
