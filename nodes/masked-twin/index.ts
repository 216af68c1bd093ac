import { z } from 'zod';
import { maskedFlags, type ContextValue } from '../../src/context/vector.js';
import { defineNode } from '../../src/graph/node-definition.js';
import type { EmbeddingsValue, FacesValue } from '../../src/graph/values.js';
import { loadBackbone } from '../../src/models/mobilefacenet/student-runtime.js';
import { embedFaces, pickFaces } from '../mobilefacenet/embed.js';
import { occludeFaces } from '../occlusion/index.js';

export const maskedTwinNode = defineNode({
  type: 'masked-twin',
  title: 'Masked twin (adaptive matching)',
  category: 'Fusion',
  doc: 'Context fusion at the decision level: each face the context calls unmasked is embedded again with a synthetic mask drawn from its landmarks, so a masked face is also compared like with like; verify, enroll and identify mix the two scores.',
  keywords: ['mask', 'adaptive', 'matching', 'twin', 'occlusion', 'decision', 'fusion', 'like with like'],
  mode: 'item',
  inputs: {
    faces: { type: 'Faces', doc: 'The aligned faces the embeddings were computed from.' },
    embeddings: { type: 'Embeddings', doc: 'Their embeddings (MobileFaceNet, pretrained or fine-tuned: set the same weights here).' },
    context: { type: 'Context', doc: 'Their context vectors: the "mask" component (occlusion classifier) says which faces are masked.' },
  },
  outputs: { embeddings: { type: 'Embeddings', doc: 'The same embeddings, carrying each face\'s mask flag and masked twin.' } },
  params: z.object({
    weights: z.string().default('').describe('The backbone\'s fine-tuned weights, as on the MobileFaceNet node (empty = the pretrained network)'),
    flip: z.boolean().default(false).describe('Test-time flip for the twins too (twice their compute)'),
    maskThreshold: z.number().min(0).max(1).default(0.5).describe('A face counts as masked when its context "mask" score is at least this'),
    kind: z.enum(['surgical-mask', 'cloth-mask', 'n95-mask', 'kn95-mask']).default('surgical-mask').describe('The synthetic mask drawn on the unmasked faces'),
    twinWeight: z.number().min(0).max(1).default(0.5).describe('Share of the like-with-like score in a masked-vs-unmasked pair\'s score (0 = plain cosine)'),
  }),
  async kernel({ faces, embeddings, context }: { faces: FacesValue; embeddings: EmbeddingsValue; context: ContextValue }, params, ctx) {
    if (faces.count !== embeddings.count || faces.count !== context.count) {
      throw new Error(`${faces.count} faces, ${embeddings.count} embeddings and ${context.count} context vectors: connect all three from the same faces`);
    }
    const masked = maskedFlags(context, params.maskThreshold);
    const data = Float32Array.from(embeddings.data);
    const unmasked = masked.flatMap((m, i) => (m ? [] : [i]));
    if (unmasked.length) {
      const { net, model, forward } = await loadBackbone(ctx.io, params.weights);
      if (model !== embeddings.model) throw new Error(`the twins would be ${model} embeddings but the input is ${embeddings.model}: set the backbone's weights here too`);
      const id = ctx.item?.name ?? faces.source ?? '';
      const drawn = occludeFaces(pickFaces(faces, unmasked), { kind: params.kind, probability: 1, seed: 0 }, id).faces;
      const twins = await embedFaces(drawn, model, net.inputSize, net.embeddingSize, forward, { layer: net.tapName, keep: false }, params.flip);
      unmasked.forEach((i, k) => data.set(twins.embeddings.data.subarray(k * embeddings.dim, (k + 1) * embeddings.dim), i * embeddings.dim));
    }
    ctx.report({ faces: faces.count, masked: masked.filter(Boolean).length, twins: unmasked.length });
    return { embeddings: { ...embeddings, twins: { masked, data, weight: params.twinWeight } } };
  },
});
