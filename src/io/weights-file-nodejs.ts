import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { readFileWithPolicy } from './file-policy-nodejs.js';
import { encodeWeights, loadWeights, type LoadedWeights } from './weights-file.js';

/** Node only: write `<dir>/<name>.json` and `<dir>/<name>.weights.bin`; returns the manifest path. */
export async function saveWeightsFiles(
  dir: string, name: string, kind: string, config: unknown, weights: Record<string, tf.Tensor>, training?: Record<string, unknown>,
): Promise<string> {
  const binName = `${name}.weights.bin`;
  const { manifest, bin } = await encodeWeights(kind, config, weights, binName, training);
  await mkdir(dir, { recursive: true });
  const manifestPath = join(dir, `${name}.json`);
  await writeFile(join(dir, binName), bin);
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifestPath;
}

/** Node only: load a manifest written by saveWeightsFiles (a file the user named: the size and file-type rules apply, not the folder rule). */
export function loadWeightsFiles(manifestPath: string): Promise<LoadedWeights> {
  return loadWeights((p) => readFileWithPolicy(p, undefined, { roots: undefined }), manifestPath);
}
