import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../../graph/node-definition';
import { holdModelTensors, releaseModelTensors } from '../held-tensors';
import { readTFLite } from '../tflite/reader';
import { MODEL_ASSETS, readPinnedAsset } from '../weights';
import { ONet, PNet, RNet } from './nets';

export interface MtcnnNets {
  pnet: PNet;
  rnet: RNet;
  onet: ONet;
}

interface Loaded {
  nets: MtcnnNets;
  tensors: number;
}

/**
 * One load per process and backend: the files are pinned by sha256, so whichever folder they
 * come from the weights are the same. Keyed by backend because weight tensors live on one.
 */
const cache = new Map<string, Promise<Loaded>>();

export function loadMtcnn(io: HostIO): Promise<MtcnnNets> {
  const backend = tf.getBackend();
  let entry = cache.get(backend);
  if (!entry) {
    entry = (async () => {
      const [p, r, o] = await Promise.all(
        (['pnet', 'rnet', 'onet'] as const).map(async (k) => readTFLite(await readPinnedAsset(io, MODEL_ASSETS[k]), `${k}.tflite`)),
      );
      const { value, count } = holdModelTensors(() => ({ pnet: new PNet(p), rnet: new RNet(r), onet: new ONet(o) }));
      return { nets: value, tensors: count };
    })();
    cache.set(backend, entry);
    entry.catch(() => cache.delete(backend));
  }
  return entry.then((e) => e.nets);
}

/** Free the weight tensors of every loaded MTCNN; the next loadMtcnn reads the files again. */
export async function disposeMtcnn(): Promise<void> {
  const entries = [...cache.values()];
  cache.clear();
  for (const entry of entries) {
    const loaded = await entry.catch(() => undefined);
    if (!loaded) continue;
    loaded.nets.pnet.dispose();
    loaded.nets.rnet.dispose();
    loaded.nets.onet.dispose();
    releaseModelTensors(loaded.tensors);
  }
}
