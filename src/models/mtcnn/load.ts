import type { HostIO } from '../../graph/node-definition.js';
import { PerBackendModel } from '../held-tensors.js';
import { readTFLite } from '../tflite/reader.js';
import type { CnnLayer } from '../../wasm/cnn.js';
import { MODEL_ASSETS, readPinnedAsset } from '../weights.js';
import { defaultCnnEngine } from '../cnn-engine.js';
import { type MtcnnNet, PNET_BANDS, SimdNet, TfNet, onetLayers, pnetLayers, rnetLayers } from './nets.js';

export interface MtcnnNets {
  pnet: MtcnnNet;
  rnet: MtcnnNet;
  onet: MtcnnNet;
}

/** The three nets' layer descriptions, read from their sha256-pinned TFLite files through the host. */
export async function readMtcnnLayers(io: HostIO): Promise<Record<keyof MtcnnNets, CnnLayer[]>> {
  const [p, r, o] = await Promise.all(
    (['pnet', 'rnet', 'onet'] as const).map(async (k) => readTFLite(await readPinnedAsset(io, MODEL_ASSETS[k]), `${k}.tflite`)),
  );
  return { pnet: pnetLayers(p), rnet: rnetLayers(r), onet: onetLayers(o) };
}

/**
 * One load per process and backend: the files are pinned by sha256, so whichever folder they
 * come from the weights are the same.
 */
const mtcnn = new PerBackendModel<MtcnnNets>(
  async (io) => {
    const layers = await readMtcnnLayers(io);
    if (defaultCnnEngine() === 'simd') {
      const [pnet, rnet, onet] = await Promise.all([SimdNet.compile(layers.pnet, PNET_BANDS), SimdNet.compile(layers.rnet), SimdNet.compile(layers.onet)]);
      return () => ({ pnet, rnet, onet });
    }
    return () => ({ pnet: new TfNet(layers.pnet), rnet: new TfNet(layers.rnet), onet: new TfNet(layers.onet) });
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
