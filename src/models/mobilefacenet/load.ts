import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../../graph/node-definition';
import { holdModelTensors, releaseModelTensors } from '../held-tensors';
import { readTFLite } from '../tflite/reader';
import { MODEL_ASSETS, readPinnedAsset } from '../weights';
import { buildMobileFaceNetGraph } from './graph';
import { MobileFaceNet } from './net';

/** One load per process and backend (weight tensors live on one backend). */
const cache = new Map<string, Promise<{ net: MobileFaceNet; tensors: number }>>();

/** Read MobileFaceNet.tflite (sha256-pinned) through the host and build the net once. */
export function loadMobileFaceNet(io: HostIO): Promise<MobileFaceNet> {
  const backend = tf.getBackend();
  let entry = cache.get(backend);
  if (!entry) {
    entry = (async () => {
      const bytes = await readPinnedAsset(io, MODEL_ASSETS.mobilefacenet);
      const graph = buildMobileFaceNetGraph(readTFLite(bytes, 'MobileFaceNet.tflite'));
      const { value, count } = holdModelTensors(() => new MobileFaceNet(graph));
      return { net: value, tensors: count };
    })();
    cache.set(backend, entry);
    entry.catch(() => cache.delete(backend));
  }
  return entry.then((e) => e.net);
}

export async function disposeMobileFaceNet(): Promise<void> {
  const entries = [...cache.values()];
  cache.clear();
  for (const e of entries) {
    const loaded = await e.catch(() => undefined);
    if (!loaded) continue;
    loaded.net.dispose();
    releaseModelTensors(loaded.tensors);
  }
}
