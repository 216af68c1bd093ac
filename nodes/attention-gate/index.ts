import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { EmbeddingsValue, FeatureMapValue } from '../../src/graph/values.js';
import { l2Normalize } from '../../src/models/fusion/common.js';
import type { WeightsValue } from '../../src/graph/values.js';
import { applyGate } from '../../src/models/gate/gate.js';
import { loadMobileFaceNetTail } from '../../src/models/gate/mobilefacenet-tail.js';
import { getGate } from '../../src/models/gate/runtime.js';

export const attentionGateNode = defineNode({
  type: 'attention-gate',
  title: 'Attention gate',
  category: 'Recognition',
  doc: 'Spatial attention on MobileFaceNet\'s 7x7x512 map (paper 3.2): a 1x1 conv + sigmoid weight map re-weights the features, then the frozen network finishes the embedding.',
  keywords: ['attention', 'gate', 'occlusion', 'heatmap', 'mobilefacenet', 'spatial', 'paper'],
  mode: 'item',
  trainable: 'gate',
  inputs: {
    features: { type: 'FeatureMap', doc: 'MobileFaceNet\'s tapped 7x7x512 map (its "tap" output).' },
    embeddings: { type: 'Embeddings', doc: 'The backbone\'s embeddings of the same faces, for their fallback flags and source.', optional: true },
  },
  outputs: {
    embeddings: { type: 'Embeddings', doc: '192-D L2-normalised embeddings of the gated features.' },
    weightMap: { type: 'Weights', doc: 'The gate\'s weight map per face [n, 7, 7], in (0, 1): 16 px per cell on a 112 crop.' },
  },
  params: z.object({
    weights: z.string().default('').describe('Trained gate (the .json manifest written by `faceflow train`); empty = untrained, which passes features through unchanged'),
  }),
  async kernel({ features, embeddings }: { features: FeatureMapValue | null; embeddings?: EmbeddingsValue }, params, ctx) {
    if (!features && embeddings?.count === 0) {
      return { embeddings, weightMap: { kind: 'gate', shape: [0, 7, 7], data: new Float32Array(0), axes: ['face', 'row', 'column'] } satisfies WeightsValue };
    }
    if (!features) throw new Error('no feature map: turn on the MobileFaceNet node\'s "tap" param');
    const [n, h, w, c] = features.shape;
    const tail = await loadMobileFaceNetTail(ctx.io);
    if (h !== tail.tapShape[0] || w !== tail.tapShape[1] || c !== tail.tapShape[2]) {
      throw new Error(`the feature map is ${h}x${w}x${c}; the gate sits on MobileFaceNet's ${tail.tapShape.join('x')} tap`);
    }
    const gate = await getGate(ctx.io, params.weights, c);
    const [emb, map] = tf.tidy(() => {
      const g = applyGate(gate.cfg, gate.weights, tf.tensor4d(features.data, features.shape));
      return [l2Normalize(tail.run(g.features)), g.weightMap];
    });
    try {
      const [data, mapData] = (await Promise.all([emb.data(), map.data()])) as Float32Array[];
      const weightMap: WeightsValue = { kind: 'gate', shape: [n, h, w], data: mapData, axes: ['face', 'row', 'column'] };
      ctx.report({ faces: n, weights: gate.origin });
      return {
        embeddings: {
          dim: emb.shape[1], count: n, data, model: params.weights ? 'mobilefacenet+gate' : 'mobilefacenet',
          fallback: embeddings?.fallback ?? new Array(n).fill(false), source: embeddings?.source,
        } satisfies EmbeddingsValue,
        weightMap,
      };
    } finally {
      emb.dispose();
      map.dispose();
    }
  },
});
