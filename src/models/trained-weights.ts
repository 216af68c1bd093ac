import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../graph/node-definition.js';
import { decodeWeights, readWeightsFiles } from '../io/weights-file.js';
import { confineWeightsReads } from '../io/file-policy.js';
import { holdModelTensors, releaseModelTensors } from './held-tensors.js';

/**
 * A weights file written by `faceflow train`, read through the host (a path in Node, a URL or
 * an app-saved name in the browser) and decoded into held model tensors. `check` throws the
 * reason when the file does not fit what the node needs (kind, sizes, shapes); the tensors are
 * then freed and the error names the file.
 */
export async function loadTrainedWeights<C>(
  io: HostIO,
  path: string,
  check: (kind: string, config: C, weights: Record<string, tf.Tensor>) => void,
): Promise<{ config: C; weights: Record<string, tf.Tensor> }> {
  const { manifest, bin } = await readWeightsFiles(confineWeightsReads((p, kind) => io.readFile(p, kind), path), path);
  const held = holdModelTensors(() => decodeWeights(manifest, bin));
  const { kind, config, weights } = held.value;
  try {
    check(kind, config as C, weights);
  } catch (e) {
    tf.dispose(Object.values(weights));
    releaseModelTensors(held.count);
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return { config: config as C, weights };
}
