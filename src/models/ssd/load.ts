import type { HostIO } from '../../graph/node-definition.js';
import { decodeWeights, type WeightsManifestGroup } from '../dlib/manifest.js';
import { PerBackendModel } from '../held-tensors.js';
import { verifyAsset, type PinnedAsset } from '../weights.js';
import { FaceLandmark68Net } from './landmarks68.js';
import { SsdMobileNetV1 } from './net.js';

/** npm `@vladmandic/face-api@1.7.15`: SSD MobileNet v1 and the 68-point landmark net, uint8-quantized tfjs manifests. */
export const SSD_ASSETS = {
  ssdManifest: {
    packagePath: '@vladmandic/face-api/model/ssd_mobilenetv1_model-weights_manifest.json',
    sha256: '888f744dffbc84f5f060d1f8427d9742341943a2dfaaf9205d10029b7e7a2955',
  },
  ssdWeights: {
    packagePath: '@vladmandic/face-api/model/ssd_mobilenetv1_model.bin',
    sha256: '2835640602d53718aa6ae9a42896327eaa21beefed056c218d32ca7d79e1e2f8',
  },
  landmarksManifest: {
    packagePath: '@vladmandic/face-api/model/face_landmark_68_model-weights_manifest.json',
    sha256: 'ca4886639f86e99b39fed0c155f81b63317225773bd9616716e887b0153389c9',
  },
  landmarksWeights: {
    packagePath: '@vladmandic/face-api/model/face_landmark_68_model.bin',
    sha256: '4611ef65c87d836d03d684b30eec4d195d8b219fa1dd58fc58945831c6b9299b',
  },
} as const satisfies Record<string, PinnedAsset>;

async function readManifest(io: HostIO, manifest: PinnedAsset, weights: PinnedAsset, file: string) {
  const [manifestBytes, bin] = await Promise.all([io.readPackageAsset(manifest.packagePath), io.readPackageAsset(weights.packagePath)]);
  await verifyAsset(manifestBytes, manifest);
  await verifyAsset(bin, weights);
  const groups = JSON.parse(new TextDecoder().decode(manifestBytes)) as WeightsManifestGroup[];
  if (groups.length !== 1) throw new Error(`${file} manifest: expected 1 weight group, got ${groups.length}`);
  // The SSD manifest also stores a few int32 constants of the original TF graph (slice sizes,
  // axes), uint8-quantized like the rest: decode them as numbers too (they are not used).
  const group = { ...groups[0], weights: groups[0].weights.map((w) => (w.dtype === 'int32' && w.quantization ? { ...w, dtype: 'float32' } : w)) };
  return decodeWeights(group, bin, `${file}.bin`);
}

const ssd = new PerBackendModel(
  async (io) => {
    const w = await readManifest(io, SSD_ASSETS.ssdManifest, SSD_ASSETS.ssdWeights, 'ssd_mobilenetv1_model');
    return () => new SsdMobileNetV1(w);
  },
  (net) => net.dispose(),
);

const landmarks68 = new PerBackendModel(
  async (io) => {
    const w = await readManifest(io, SSD_ASSETS.landmarksManifest, SSD_ASSETS.landmarksWeights, 'face_landmark_68_model');
    return () => new FaceLandmark68Net(w);
  },
  (net) => net.dispose(),
);

/** Read, verify, dequantize and build SSD MobileNet v1 once per process and backend. */
export function loadSsdMobileNet(io: HostIO): Promise<SsdMobileNetV1> {
  return ssd.load(io);
}

/** Read, verify, dequantize and build the 68-point landmark net once per process and backend. */
export function loadLandmarks68(io: HostIO): Promise<FaceLandmark68Net> {
  return landmarks68.load(io);
}
