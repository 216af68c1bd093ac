import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { FacesValue } from '../../src/graph/values.js';
import { DLIB_BLOCKS, loadDlibResNet, type DlibTap } from '../../src/models/dlib/index.js';
import { embedFaces } from '../mobilefacenet/embed.js';

export const dlibResNetNode = defineNode({
  type: 'dlib-resnet',
  title: 'dlib ResNet',
  category: 'Recognition',
  doc: "dlib's face recognition ResNet (29 conv layers, 5.6 M params, 128-D metric embedding) on face-api's weights: 150x150 faces on the dlib-150 template in.",
  keywords: ['embedding', 'backbone', 'facenet', 'dlib', 'face-api', 'descriptor', 'resnet'],
  mode: 'item',
  diskCacheable: true,
  defaultThreshold: 0.91,
  inputs: { faces: { type: 'Faces', doc: 'Aligned crops, ideally 150x150 on the dlib-150 template (other sizes are resized).' } },
  outputs: {
    embeddings: { type: 'Embeddings', doc: '128-D L2-normalised embeddings, one per face.' },
    features: { type: 'FeatureMap', doc: 'The output of the block named by "tapLayer" (conv256_2: 4x4x256, conv256_down_out: 2x2x256). Null unless "tap" is on.' },
  },
  params: z.object({
    tap: z.boolean().default(true).describe('Read back the tapped feature map (turn off in large evaluations)'),
    flip: z.boolean().default(false).describe('Add the mirror image\'s embedding to each face\'s (test-time flip; twice the compute)'),
    tapLayer: z.enum(DLIB_BLOCKS as unknown as [DlibTap, ...DlibTap[]]).default('conv256_2').describe('Residual block whose output is the feature-map tap'),
  }),
  async kernel({ faces }: { faces: FacesValue }, params, ctx) {
    const net = await loadDlibResNet(ctx.io);
    const out = await embedFaces(faces, 'dlib-resnet', net.inputSize, net.embeddingSize, (x) => net.forward(x, params.tapLayer), { layer: params.tapLayer, keep: params.tap }, params.flip);
    ctx.report({ faces: faces.count });
    return out;
  },
});
