import { compilePipeline, type Plan } from '../graph/compile.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { Pipeline } from '../graph/schema.js';
import type { NodeTiming } from '../runtime/executor.js';
import { withOcclusion } from '../train/prepare.js';
import { embedItems } from './embed-items.js';
import { fileRunItems, readPairsDataset } from './datasets-nodejs.js';
import { verificationMetrics } from './metrics.js';
import type { EvalOptions, EvalResult } from './run-eval.js';
import { adaptivePairScore, type FaceVector } from './adaptive.js';
import type { SimilarityMetric } from './similarity.js';
import { readUserTextFile } from '../io/file-policy-nodejs.js';

/**
 * Node-only: the LFW protocol with a synthetic occluder on one image of each pair
 * (`faceflow eval --occlude-second <kind>`). The first image of every pair is embedded clean;
 * the second is embedded by the same preset with an occlusion node drawn on its aligned face
 * (inserted after the align node, seeded per image, probability 1), so every pair compares a
 * clean face with an occluded one. An image that is first in one pair and second in another is
 * run both ways.
 */
export interface OccludeSecond {
  kind: string;
  seed: number;
}

const FLOOR: Record<SimilarityMetric, number> = { cosine: -1, euclidean: -2 };

/** The preset with the occluder on its aligned faces; the plan compiled from it. */
export function occludedPipeline(pipeline: Pipeline, occ: OccludeSecond, registry: NodeRegistry): { pipeline: Pipeline; plan: Plan } {
  const p = withOcclusion(pipeline, { kind: occ.kind, probability: 1, seed: occ.seed });
  return { pipeline: p, plan: compilePipeline(p, registry) };
}

export async function evaluatePairsOccluded(pipeline: Pipeline, plan: Plan, opts: EvalOptions, occ: OccludeSecond): Promise<EvalResult> {
  const metric = opts.metric ?? 'cosine';
  const dataset = await readPairsDataset(opts.pairsFile, opts.imagesDir, (p) => readUserTextFile(p, 'pairs'));
  const items = await fileRunItems(dataset.images);
  const firsts = [...new Set(dataset.index.map(([a]) => a))].sort((x, y) => x - y);
  const seconds = [...new Set(dataset.index.map(([, b]) => b))].sort((x, y) => x - y);
  const total = firsts.length + seconds.length;
  const run = { backend: opts.backend, workers: opts.workers, modelDir: opts.modelDir, registry: opts.registry };
  const clean = await embedItems(pipeline, plan, firsts.map((i) => items[i]), { ...run, onItems: (d) => opts.onItems?.(d, total) });
  const occluded = occludedPipeline(pipeline, occ, opts.registry);
  const masked = await embedItems(occluded.pipeline, occluded.plan, seconds.map((i) => items[i]), { ...run, onItems: (d) => opts.onItems?.(firsts.length + d, total) });
  const cleanAt = new Map(firsts.map((img, k) => [img, clean.items[k]]));
  const maskedAt = new Map(seconds.map((img, k) => [img, masked.items[k]]));
  const scores = dataset.index.map(([a, b]) => {
    const ea = cleanAt.get(a);
    const eb = maskedAt.get(b);
    return ea?.embedding && eb?.embedding ? adaptivePairScore(ea as FaceVector, eb as FaceVector, metric) : FLOOR[metric];
  });
  const errors: EvalResult['errors'] = [];
  clean.items.forEach((e, k) => e.error && errors.push({ image: items[firsts[k]].name, error: e.error }));
  masked.items.forEach((e, k) => e.error && errors.push({ image: `${items[seconds[k]].name} (occluded)`, error: e.error }));
  const timings: Record<string, NodeTiming> = {};
  for (const t of [clean.run.timings, masked.run.timings]) {
    for (const [id, v] of Object.entries(t)) {
      const acc = (timings[id] ??= { ms: 0, runs: 0, cached: 0 });
      acc.ms += v.ms;
      acc.runs += v.runs;
      acc.cached += v.cached;
    }
  }
  const metrics = verificationMetrics(scores, dataset.pairs.map((p) => p.same), dataset.pairs.map((p) => p.fold));
  return {
    dataset, metrics, scores,
    failedDetections: [...clean.items, ...masked.items].filter((e) => e.failedDetection).length,
    errors, embeddingNode: clean.embeddingNode, model: clean.model || masked.model,
    seconds: clean.run.seconds + masked.run.seconds, backend: clean.run.backend.name, workers: clean.run.workers, timings,
  };
}
