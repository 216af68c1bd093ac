import type { HostIO } from '../../graph/node-definition.js';
import { PerBackendModel } from '../held-tensors.js';
import { verifyAsset, type PinnedAsset } from '../weights.js';
import { decodeWeights, type WeightsManifestGroup } from './manifest.js';
import { DlibResNet } from './net.js';

/** npm `@vladmandic/face-api@1.7.15`: dlib's face recognition ResNet as a uint8-quantized tfjs manifest. */
export const DLIB_ASSETS = {
  manifest: {
    packagePath: '@vladmandic/face-api/model/face_recognition_model-weights_manifest.json',
    sha256: 'cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b',
  },
  weights: {
    packagePath: '@vladmandic/face-api/model/face_recognition_model.bin',
    sha256: 'b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589',
  },
} as const satisfies Record<string, PinnedAsset>;

const dlib = new PerBackendModel(
  async (io) => {
    const [manifestBytes, bin] = await Promise.all([io.readPackageAsset(DLIB_ASSETS.manifest.packagePath), io.readPackageAsset(DLIB_ASSETS.weights.packagePath)]);
    await verifyAsset(manifestBytes, DLIB_ASSETS.manifest);
    await verifyAsset(bin, DLIB_ASSETS.weights);
    const groups = JSON.parse(new TextDecoder().decode(manifestBytes)) as WeightsManifestGroup[];
    if (groups.length !== 1) throw new Error(`face_recognition_model manifest: expected 1 weight group, got ${groups.length}`);
    const weights = decodeWeights(groups[0], bin, 'face_recognition_model.bin');
    return () => new DlibResNet(weights);
  },
  (net) => net.dispose(),
);

/** Read, verify, dequantize and build the net once per process and backend. */
export function loadDlibResNet(io: HostIO): Promise<DlibResNet> {
  return dlib.load(io);
}

export function disposeDlibResNet(): Promise<void> {
  return dlib.dispose();
}
