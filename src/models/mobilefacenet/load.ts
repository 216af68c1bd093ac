import type { HostIO } from '../../graph/node-definition.js';
import { PerBackendModel } from '../held-tensors.js';
import { readTFLite } from '../tflite/reader.js';
import { MODEL_ASSETS, readPinnedAsset } from '../weights.js';
import { buildMobileFaceNetGraph } from './graph.js';
import { MobileFaceNet } from './net.js';
import { SimdMobileFaceNet } from './simd-net.js';
import { defaultCnnEngine } from '../cnn-engine.js';

const mobileFaceNet = new PerBackendModel(
  async (io) => {
    const graph = buildMobileFaceNetGraph(readTFLite(await readPinnedAsset(io, MODEL_ASSETS.mobilefacenet), 'MobileFaceNet.tflite'));
    const simd = defaultCnnEngine() === 'simd' ? await SimdMobileFaceNet.compile(graph) : undefined;
    return () => new MobileFaceNet(graph, simd);
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
