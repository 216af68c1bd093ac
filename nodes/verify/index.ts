import { z } from 'zod';
import { faceVectorOf, type FaceVector } from '../../src/eval/adaptive.js';
import { defineNode } from '../../src/graph/node-definition.js';
import type { EmbeddingsValue } from '../../src/graph/values.js';
import { allPairs, nameIndex, verifyPairs, type PairsValue } from '../../src/eval/verify.js';

export const verifyNode = defineNode({
  type: 'verify',
  title: 'Verify pairs',
  category: 'Evaluation',
  doc: 'Scores image pairs by cosine similarity (or Euclidean distance on unit vectors) and accepts or rejects each at a fixed, FAR-calibrated or k-fold threshold.',
  keywords: ['verification', 'cosine', 'euclidean', 'threshold', 'far', 'roc', 'k-fold', 'lfw'],
  mode: 'aggregate',
  inputs: {
    embeddings: { type: 'Embeddings', doc: 'One embedding per image (the first face of each).' },
    pairs: { type: 'Pairs', doc: 'Which images to compare, with labels; unconnected: every pair of images, labelled by folder.', optional: true },
  },
  outputs: {
    scores: { type: 'Scores', doc: 'Each pair\'s score, label and decision, and the threshold used.' },
    metrics: { type: 'Metrics', doc: 'k-fold accuracy, ROC, AUC, EER, TAR@FAR and score histograms (null without labelled pairs).' },
  },
  params: z.object({
    metric: z.enum(['cosine', 'euclidean']).default('cosine').describe('cosine similarity, or Euclidean distance between unit vectors (same ranking)'),
    thresholdMode: z.enum(['fixed', 'far', 'kfold']).default('kfold').describe('fixed value, calibrated to a target FAR on the labelled pairs, or chosen per fold on the other folds'),
    threshold: z.number().min(-2).max(1).default(0.35).describe('Fixed threshold: cosine similarity, or minus the distance for euclidean'),
    targetFar: z.number().min(0).max(1).default(0.001).describe('Target false accept rate for the "far" mode'),
    folds: z.number().int().min(1).max(100).default(10).describe('k for k-fold when the pairs carry no fold numbers'),
  }),
  kernel({ embeddings, pairs }: { embeddings: EmbeddingsValue[]; pairs?: PairsValue }, params, ctx) {
    const names = (ctx.items ?? []).map((i) => i.name);
    if (names.length !== embeddings.length) throw new Error(`${embeddings.length} embeddings for ${names.length} items`);
    const index = nameIndex(names);
    const byName = new Map<string, FaceVector>();
    for (const [name, i] of index) {
      const e = embeddings[i];
      if (e?.count) byName.set(name, faceVectorOf(e));
    }
    const { scores, metrics } = verifyPairs(byName, pairs ?? allPairs(names), params);
    ctx.report({ pairs: scores.pairs.length, threshold: scores.threshold, ...(metrics ? { accuracy: metrics.accuracy.mean, auc: metrics.auc } : {}) });
    return { scores, metrics };
  },
});
