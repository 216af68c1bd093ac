import { PairsFileError, pairImageStem, parsePairs } from './lfw.js';
import { IMAGE_EXT, withPairImages, type ResolvedPairs } from './datasets-nodejs.js';
import type { EvalResult } from './run-eval.js';
import { scorePairs } from './run-eval.js';
import type { FaceVector } from './adaptive.js';
import type { SimilarityMetric } from './similarity.js';
import { imagesByPath, loadStoredEmbeddings, type StoredImage } from './stored-embeddings.js';
import { readUserTextFile } from '../io/file-policy-nodejs.js';

/**
 * LFW-protocol verification from stored embeddings (faceflow embed / merge) instead of running
 * the preset: the pairs' images are looked up by their path relative to the folder embed read
 * (`Name/Name_0001.jpg`, as the pairs name them), then scored exactly as a direct eval does
 * (run-eval.ts scorePairs, with the masked-twin columns when the preset has one).
 */

/** pairs.txt resolved against the stored paths (the same image order and index as readPairsDataset gives). */
export function resolvePairsFromPaths(text: string, pairsFile: string, stored: ReadonlySet<string>, imagesDir = ''): ResolvedPairs {
  const parsed = parsePairs(text, pairsFile);
  const names: [string, string][] = parsed.pairs.map((pair) => {
    const find = (p: { identity: string; number: number }) => {
      const stem = pairImageStem(p);
      const ext = IMAGE_EXT.find((e) => stored.has(stem + e));
      if (!ext) throw new PairsFileError(pairsFile, pair.line, `image ${p.identity} #${p.number} not in the stored embeddings (no ${stem}.{jpg,jpeg,png} row)`);
      return stem + ext;
    };
    return [find(pair.a), find(pair.b)];
  });
  return withPairImages(parsed, names, imagesDir);
}

export interface StoredEvalResult extends EvalResult {
  presetHash: string;
}

export async function evaluateStoredPairs(pairsFile: string, source: string, metric: SimilarityMetric = 'cosine'): Promise<StoredEvalResult> {
  const t0 = performance.now();
  const text = await readUserTextFile(pairsFile, 'pairs');
  const { rows, metadata } = await loadStoredEmbeddings(source);
  const byPath = imagesByPath(rows);
  const dataset = resolvePairsFromPaths(text, pairsFile, new Set(byPath.keys()));
  const images: StoredImage[] = dataset.images.map((img) => byPath.get(img.name)!);
  const vectors: (FaceVector | undefined)[] = images.map((i) => i.vector);
  const { scores, metrics } = scorePairs(dataset, vectors, metric);
  const errors = images.flatMap((im, i) => (im.error ? [{ image: dataset.images[i].name, error: im.error }] : []));
  return {
    dataset, metrics, scores, errors,
    failedDetections: images.filter((i) => !i.error && i.failedDetection).length,
    embeddingNode: '', model: metadata['faceflow.model'] ?? '',
    seconds: (performance.now() - t0) / 1000, backend: 'stored', workers: 0, timings: {},
    presetHash: metadata['faceflow.preset_hash'] ?? '',
  };
}
