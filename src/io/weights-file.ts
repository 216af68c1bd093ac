import * as tf from '@tensorflow/tfjs';

/**
 * Trained weights as tfjs-format files: a JSON manifest (tfjs `weightsManifest` layout, so
 * tf.io tools can read the .bin) plus one little-endian float32 .bin, with the module's kind and
 * config and how it was trained, so a preset can rebuild the module from the two files.
 */
export interface WeightsManifest {
  format: 'faceflow-weights';
  formatVersion: 1;
  /** e.g. "fusion-transformer", "gate". */
  kind: string;
  config: unknown;
  /** Provenance: seed, epochs, command line, metrics at the best epoch. */
  training?: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
}

export interface LoadedWeights {
  kind: string;
  config: unknown;
  training?: Record<string, unknown>;
  /** Caller owns these tensors. */
  weights: Record<string, tf.Tensor>;
}

/** Encode named tensors (read asynchronously, as webgpu needs); `binName` is the .bin's file name as the manifest refers to it. */
export async function encodeWeights(
  kind: string, config: unknown, weights: Record<string, tf.Tensor>, binName: string, training?: Record<string, unknown>,
): Promise<{ manifest: WeightsManifest; bin: Uint8Array }> {
  const names = Object.keys(weights).sort();
  const total = names.reduce((s, k) => s + weights[k].size, 0);
  const floats = new Float32Array(total);
  let off = 0;
  const entries = [];
  for (const name of names) {
    const t = weights[name];
    floats.set((await t.data()) as Float32Array, off);
    off += t.size;
    entries.push({ name, shape: t.shape.slice(), dtype: 'float32' as const });
  }
  const bin = new Uint8Array(floats.buffer);
  if (!littleEndian()) throw new Error('weights: big-endian hosts are not supported');
  return {
    manifest: { format: 'faceflow-weights', formatVersion: 1, kind, config, training, weightsManifest: [{ paths: [binName], weights: entries }] },
    bin,
  };
}

/** Decode a manifest and its .bin bytes (one file, or the manifest's files concatenated in order). */
export function decodeWeights(manifest: unknown, bin: Uint8Array): LoadedWeights {
  const m = manifest as WeightsManifest;
  if (!m || m.format !== 'faceflow-weights' || !Array.isArray(m.weightsManifest)) throw new Error('weights: not a faceflow weights manifest');
  if (m.formatVersion !== 1) throw new Error(`weights: unsupported format version ${String(m.formatVersion)}`);
  const entries = m.weightsManifest.flatMap((g) => g.weights);
  const need = entries.reduce((s, e) => s + 4 * e.shape.reduce((a, b) => a * b, 1), 0);
  if (bin.byteLength !== need) throw new Error(`weights: the .bin holds ${bin.byteLength} bytes, the manifest describes ${need}`);
  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const weights: Record<string, tf.Tensor> = {};
  let off = 0;
  for (const e of entries) {
    if (e.dtype !== 'float32') throw new Error(`weights: "${e.name}" has dtype ${e.dtype}; only float32 is supported`);
    const size = e.shape.reduce((a, b) => a * b, 1);
    weights[e.name] = tf.tensor(floats.subarray(off, off + size), e.shape, 'float32');
    off += size;
  }
  return { kind: m.kind, config: m.config, training: m.training, weights };
}

/** Load through any reader (HostIO.readFile in the app and the CLI); the .bin path is resolved beside the manifest. */
export async function loadWeights(readFile: (path: string) => Promise<Uint8Array>, manifestPath: string): Promise<LoadedWeights> {
  const { manifest, bin } = await readWeightsFiles(readFile, manifestPath);
  return decodeWeights(manifest, bin);
}

/** The manifest and its .bin bytes, without creating tensors. */
export async function readWeightsFiles(readFile: (path: string) => Promise<Uint8Array>, manifestPath: string): Promise<{ manifest: WeightsManifest; bin: Uint8Array }> {
  const manifest = JSON.parse(new TextDecoder().decode(await readFile(manifestPath))) as WeightsManifest;
  const dir = manifestPath.includes('/') ? manifestPath.slice(0, manifestPath.lastIndexOf('/') + 1) : '';
  const parts = await Promise.all((manifest.weightsManifest ?? []).flatMap((g) => g.paths).map((p) => readFile(dir + p)));
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const bin = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    bin.set(p, off);
    off += p.byteLength;
  }
  return { manifest, bin };
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
