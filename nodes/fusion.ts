import { z } from 'zod';
import { defineNode, type AnyNodeDefinition } from '../src/graph/node-definition.js';
import type { EmbeddingsValue } from '../src/graph/values.js';
import type { ContextValue } from '../src/context/vector.js';
import type { FusionKind } from '../src/models/fusion/index.js';
import { fuseValues, getFusion } from '../src/models/fusion/runtime.js';

const DOCS: Record<FusionKind, { title: string; doc: string; weights: string }> = {
  concat: {
    title: 'Concat fusion',
    doc: 'Static baseline: [embedding, W context], L2-normalised.',
    weights: 'Mean |W| per context component (what the static fusion leans on).',
  },
  attention: {
    title: 'Attention fusion',
    doc: 'The paper\'s Eq. 8-10: a query from the embedding attends over the context components (d = 64); fused = [embedding, A V], L2-normalised.',
    weights: 'Softmax weights over the context components, per face.',
  },
  transformer: {
    title: 'Transformer fusion',
    doc: 'One encoder block (4 heads, key dim 64) over an embedding token and one token per context component; the embedding token corrects the embedding (Eq. 11).',
    weights: 'Per-head attention matrices over the tokens (embedding, then the context components), per face.',
  },
};

/** The node type for one fusion module (the three differ only in the module they run). */
export function fusionNode(kind: FusionKind): AnyNodeDefinition {
  const d = DOCS[kind];
  return defineNode({
    type: `fusion-${kind}`,
    title: d.title,
    category: 'Fusion',
    doc: d.doc,
    keywords: ['fusion', 'context', 'adaptive', kind, 'robust', 'paper'],
    mode: 'item',
    trainable: kind,
    inputs: {
      embeddings: { type: 'Embeddings', doc: 'Backbone (or gated) embeddings of the faces.' },
      context: { type: 'Context', doc: 'Context vectors of the same faces, in the same order.' },
    },
    outputs: {
      embeddings: { type: 'Embeddings', doc: 'Fused, L2-normalised vectors (compare them only with vectors fused the same way).' },
      weights: { type: 'Weights', doc: d.weights },
    },
    params: z.object({
      weights: z.string().default('').describe('Trained weights (the .json manifest written by `faceflow train`); empty = untrained, which behaves like the plain embedding'),
      seed: z.number().int().default(1).describe('Initialisation seed when no weights file is given'),
    }),
    async kernel({ embeddings, context }: { embeddings: EmbeddingsValue; context: ContextValue }, params, ctx) {
      const f = await getFusion(ctx.io, kind, params.weights, embeddings.dim, context.dim, params.seed);
      const out = fuseValues(f, embeddings, context);
      ctx.report({ faces: embeddings.count, weights: f.origin, dim: out.embeddings.dim });
      return out;
    },
  });
}
