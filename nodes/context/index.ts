import { z } from 'zod';
import { CONTEXT_DIM, CONTEXT_NAMES, contextVector, type ContextValue } from '../../src/context/vector.js';
import { getOcclusionClassifier, occlusionScores } from '../../src/context/occlusion-runtime.js';
import { defineNode } from '../../src/graph/node-definition.js';
import type { Box, DetectionsValue, FacesValue } from '../../src/graph/values.js';

const sameBox = (a: Box, b: Box) => a.every((v, i) => Math.abs(v - b[i]) < 1e-6);

/** Context vectors for a batch of aligned faces; each face finds its detection by its box. Pure. */
export function facesContext(faces: FacesValue, detections: DetectionsValue | undefined, occlusion?: { mask: number; eyes: number }[]): ContextValue {
  const data = new Float32Array(faces.count * CONTEXT_DIM);
  const stride = faces.size * faces.size * 3;
  for (let i = 0; i < faces.count; i++) {
    const j = faces.fallback[i] || !detections ? -1 : detections.boxes.findIndex((b) => sameBox(b, faces.boxes[i]));
    const v = contextVector({
      crop: { data: faces.data.subarray(i * stride, (i + 1) * stride), width: faces.size, height: faces.size, channels: 3 },
      detection: j >= 0 ? { box: detections!.boxes[j], score: detections!.scores[j], landmarks: detections!.landmarks[j] ?? [] } : undefined,
      occlusion: occlusion?.[i],
    });
    data.set(v, i * CONTEXT_DIM);
  }
  return { dim: CONTEXT_DIM, count: faces.count, data, names: CONTEXT_NAMES, source: faces.source };
}

export const contextNode = defineNode({
  type: 'context',
  title: 'Context extractor',
  category: 'Context',
  doc: 'A 12-D context vector per face (paper 3.3): pose from the landmarks, brightness, contrast, side lighting, sharpness, size, detector score, occlusion scores, validity.',
  keywords: ['pose', 'yaw', 'pitch', 'roll', 'illumination', 'blur', 'laplacian', 'quality', 'mask'],
  mode: 'item',
  inputs: {
    faces: { type: 'Faces', doc: 'Aligned faces (photometry is measured on the crops).' },
    detections: { type: 'Detections', doc: 'The detections the faces were aligned from (pose, size, score).', optional: true },
  },
  outputs: { context: { type: 'Context', doc: 'One 12-D vector per face (see src/context/vector.ts for each component and its range).' } },
  params: z.object({
    occlusionWeights: z.string().default('')
      .describe('Occlusion classifier (the .json written by `faceflow train --module occlusion`); empty = no mask/eye scores (0, validity 0.5)'),
  }),
  async kernel({ faces, detections }: { faces: FacesValue; detections?: DetectionsValue }, params, ctx) {
    const classifier = params.occlusionWeights ? await getOcclusionClassifier(ctx.io, params.occlusionWeights) : undefined;
    const scores = classifier ? await occlusionScores(classifier, faces.data, faces.size, faces.count) : undefined;
    const context = facesContext(faces, detections, scores);
    ctx.report({ faces: faces.count, occlusionScores: classifier ? classifier.origin : 'none (no classifier: validity 0.5)' });
    return { context };
  },
});
