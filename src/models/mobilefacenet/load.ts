import type { HostIO } from '../../graph/node-definition';
import { PerBackendModel } from '../held-tensors';
import { readTFLite } from '../tflite/reader';
import { MODEL_ASSETS, readPinnedAsset } from '../weights';
import { buildMobileFaceNetGraph } from './graph';
import { MobileFaceNet } from './net';

const mobileFaceNet = new PerBackendModel(
  async (io) => {
    const graph = buildMobileFaceNetGraph(readTFLite(await readPinnedAsset(io, MODEL_ASSETS.mobilefacenet), 'MobileFaceNet.tflite'));
    return () => new MobileFaceNet(graph);
  },
  (net) => net.dispose(),
);

/** Read MobileFaceNet.tflite (sha256-pinned) through the host and build the net once per process and backend. */
export function loadMobileFaceNet(io: HostIO): Promise<MobileFaceNet> {
  return mobileFaceNet.load(io);
}

export function disposeMobileFaceNet(): Promise<void> {
  return mobileFaceNet.dispose();
}
