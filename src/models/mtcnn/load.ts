import type { HostIO } from '../../graph/node-definition.js';
import { PerBackendModel } from '../held-tensors.js';
import { readTFLite } from '../tflite/reader.js';
import { MODEL_ASSETS, readPinnedAsset } from '../weights.js';
import { ONet, PNet, RNet } from './nets.js';

export interface MtcnnNets {
  pnet: PNet;
  rnet: RNet;
  onet: ONet;
}

/**
 * One load per process and backend: the files are pinned by sha256, so whichever folder they
 * come from the weights are the same.
 */
const mtcnn = new PerBackendModel<MtcnnNets>(
  async (io) => {
    const [p, r, o] = await Promise.all(
      (['pnet', 'rnet', 'onet'] as const).map(async (k) => readTFLite(await readPinnedAsset(io, MODEL_ASSETS[k]), `${k}.tflite`)),
    );
    return () => ({ pnet: new PNet(p), rnet: new RNet(r), onet: new ONet(o) });
  },
  (nets) => {
    nets.pnet.dispose();
    nets.rnet.dispose();
    nets.onet.dispose();
  },
);

export function loadMtcnn(io: HostIO): Promise<MtcnnNets> {
  return mtcnn.load(io);
}

/** Free the weight tensors of every loaded MTCNN; the next loadMtcnn reads the files again. */
export function disposeMtcnn(): Promise<void> {
  return mtcnn.dispose();
}
