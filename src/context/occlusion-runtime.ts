import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../graph/node-definition';
import { checkWeights } from '../models/fusion/common';
import { holdModelTensors, releaseModelTensors } from '../models/held-tensors';
import { decodeWeights, readWeightsFiles } from '../train/weights-file';
import { OCC_INPUT, occlusionInput, occlusionLogits, occlusionShapes, type OcclusionClassifierConfig } from './occlusion-classifier';

export interface LoadedOcclusionClassifier {
  cfg: OcclusionClassifierConfig;
  weights: Record<string, tf.Tensor>;
  origin: string;
}

const cache = new Map<string, Promise<LoadedOcclusionClassifier>>();

/** The occlusion classifier written by `faceflow train --module occlusion`, cached per backend. */
export function getOcclusionClassifier(io: HostIO, weightsPath: string): Promise<LoadedOcclusionClassifier> {
  const key = `${tf.getBackend()}|${weightsPath}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const { manifest, bin } = await readWeightsFiles((path) => io.readFile(path), weightsPath);
      const held = holdModelTensors(() => decodeWeights(manifest, bin));
      const { kind, config, weights } = held.value;
      const cfg = config as OcclusionClassifierConfig;
      try {
        if (kind !== 'occlusion-classifier' || cfg?.kind !== 'occlusion-classifier') throw new Error(`holds "${kind}" weights, not an occlusion classifier`);
        checkWeights('occlusion classifier', weights, occlusionShapes(cfg));
      } catch (e) {
        tf.dispose(Object.values(weights));
        releaseModelTensors(held.count);
        throw new Error(`${weightsPath}: ${(e as Error).message}`);
      }
      return { cfg, weights, origin: weightsPath };
    })();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** [P(mask), P(eyes occluded)] per aligned face (crops [count, size, size, 3], 8-bit). */
export function occlusionScores(c: LoadedOcclusionClassifier, crops: Uint8Array, size: number, count: number): { mask: number; eyes: number }[] {
  if (!count) return [];
  const S = OCC_INPUT * OCC_INPUT * 3;
  const x = new Float32Array(count * S);
  for (let i = 0; i < count; i++) occlusionInput(crops.subarray(i * size * size * 3, (i + 1) * size * size * 3), size, x, i * S);
  const p = tf.tidy(() => tf.sigmoid(occlusionLogits(c.weights, tf.tensor4d(x, [count, OCC_INPUT, OCC_INPUT, 3]), false)).dataSync());
  return Array.from({ length: count }, (_, i) => ({ mask: p[2 * i], eyes: p[2 * i + 1] }));
}
