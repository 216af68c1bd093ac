import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../graph/node-definition.js';
import { checkWeights } from '../models/fusion/common.js';
import { BackendKeyedCache } from '../models/held-tensors.js';
import { loadTrainedWeights } from '../models/trained-weights.js';
import { OCC_INPUT, occlusionInput, occlusionLogits, occlusionShapes, type OcclusionClassifierConfig } from './occlusion-classifier.js';

export interface LoadedOcclusionClassifier {
  cfg: OcclusionClassifierConfig;
  weights: Record<string, tf.Tensor>;
  origin: string;
}

const cache = new BackendKeyedCache<LoadedOcclusionClassifier>();

/** The occlusion classifier written by `faceflow train --module occlusion`, cached per backend. */
export function getOcclusionClassifier(io: HostIO, weightsPath: string): Promise<LoadedOcclusionClassifier> {
  return cache.get(weightsPath, async () => {
    const { config: cfg, weights } = await loadTrainedWeights<OcclusionClassifierConfig>(io, weightsPath, (kind, c, w) => {
      if (kind !== 'occlusion-classifier' || c?.kind !== 'occlusion-classifier') throw new Error(`holds "${kind}" weights, not an occlusion classifier`);
      checkWeights('occlusion classifier', w, occlusionShapes(c));
    });
    return { cfg, weights, origin: weightsPath };
  });
}

/** [P(mask), P(eyes occluded)] per aligned face (crops [count, size, size, 3], 8-bit). */
export async function occlusionScores(c: LoadedOcclusionClassifier, crops: Uint8Array, size: number, count: number): Promise<{ mask: number; eyes: number }[]> {
  if (!count) return [];
  const S = OCC_INPUT * OCC_INPUT * 3;
  const x = new Float32Array(count * S);
  for (let i = 0; i < count; i++) occlusionInput(crops.subarray(i * size * size * 3, (i + 1) * size * size * 3), size, x, i * S);
  const probs = tf.tidy(() => tf.sigmoid(occlusionLogits(c.weights, tf.tensor4d(x, [count, OCC_INPUT, OCC_INPUT, 3]), false)));
  const p = await probs.data();
  probs.dispose();
  return Array.from({ length: count }, (_, i) => ({ mask: p[2 * i], eyes: p[2 * i + 1] }));
}
