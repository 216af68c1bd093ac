import type { Plan } from '../graph/compile.js';
import type { Pipeline } from '../graph/schema.js';
import type { NodeTiming } from '../runtime/executor.js';
import type { NodejsRunOptions } from '../runtime/nodejs-host.js';
import { embedItems } from './embed-items.js';
import { fileRunItems, readPairsDataset, type ResolvedPairs } from './datasets-nodejs.js';
import { verificationMetrics, type VerificationMetrics } from './metrics.js';
import { adaptivePairScore, type FaceVector } from './adaptive.js';
import type { SimilarityMetric } from './similarity.js';
import { readUserTextFile } from '../io/file-policy-nodejs.js';

/**
 * Node-only LFW-protocol evaluation of a preset: the preset's per-item phase runs once per
 * unique image (on the worker pool), each image's embedding is read from the preset's sink
 * Embeddings output, then the pairs are scored and the metrics computed.
 */

export interface EvalOptions extends Pick<NodejsRunOptions, 'backend' | 'workers' | 'modelDir' | 'registry' | 'onItems'> {
  pairsFile: string;
  imagesDir: string;
  metric?: SimilarityMetric;
}

export interface EvalResult {
  dataset: ResolvedPairs;
  metrics: VerificationMetrics;
  scores: number[];
  /** Images whose face is a centre-crop fallback or missing (no detection). */
  failedDetections: number;
  /** Images whose pipeline run failed (unreadable file, ...), with the error. */
  errors: { image: string; error: string }[];
  embeddingNode: string;
  model: string;
  seconds: number;
  backend: string;
  workers: number;
  /** Per node: total ms and runs over all workers (for profiling). */
  timings: Record<string, NodeTiming>;
}

/** Lowest possible score for a metric: pairs with a missing embedding are always rejected. */
const FLOOR: Record<SimilarityMetric, number> = { cosine: -1, euclidean: -2 };

export async function evaluatePairs(pipeline: Pipeline, plan: Plan, opts: EvalOptions): Promise<EvalResult> {
  const metric = opts.metric ?? 'cosine';
  const dataset = await readPairsDataset(opts.pairsFile, opts.imagesDir, (p) => readUserTextFile(p, 'pairs'));
  const items = await fileRunItems(dataset.images);
  const embedded = await embedItems(pipeline, plan, items, { backend: opts.backend, workers: opts.workers, modelDir: opts.modelDir, registry: opts.registry, onItems: opts.onItems });
  const errors: EvalResult['errors'] = [];
  embedded.items.forEach((e, i) => e.error && errors.push({ image: items[i].name, error: e.error }));
  const failedDetections = embedded.items.filter((e) => e.failedDetection).length;
  const { scores, metrics } = scorePairs(dataset, embedded.items.map((e) => (e.embedding ? (e as FaceVector) : undefined)), metric);
  return {
    dataset, metrics, scores, failedDetections, errors, embeddingNode: embedded.embeddingNode, model: embedded.model,
    seconds: embedded.run.seconds, backend: embedded.run.backend.name, workers: embedded.run.workers, timings: embedded.run.timings,
  };
}

/**
 * Score every pair from its two images' face vectors (undefined: no embedding, always rejected)
 * and compute the verification metrics; a direct eval and an eval from stored embeddings both use it.
 */
export function scorePairs(dataset: ResolvedPairs, vectors: (FaceVector | undefined)[], metric: SimilarityMetric = 'cosine') {
  const scores = dataset.index.map(([a, b]) => {
    const va = vectors[a];
    const vb = vectors[b];
    return va && vb ? adaptivePairScore(va, vb, metric) : FLOOR[metric];
  });
  const metrics = verificationMetrics(scores, dataset.pairs.map((p) => p.same), dataset.pairs.map((p) => p.fold));
  return { scores, metrics };
}

/** The eval command's JSON: the fields the issue specifies, then a few details. */
export function evalSummary(r: EvalResult, metric: SimilarityMetric = 'cosine') {
  const m = r.metrics;
  return {
    pairs: m.pairs,
    folds: m.folds,
    images: r.dataset.images.length,
    accuracy: { mean: m.accuracy.mean, std: m.accuracy.std },
    auc: m.auc,
    eer: m.eer,
    tar_at_far: { '0.01': m.tarAtFar['0.01'], '0.001': m.tarAtFar['0.001'] },
    threshold: m.threshold,
    failed_detections: r.failedDetections,
    seconds: r.seconds,
    images_per_second: r.dataset.images.length / r.seconds,
    backend: r.backend,
    workers: r.workers,
    // details
    metric,
    model: r.model,
    threshold_on_same_pairs: m.accuracy.thresholdOnSamePairs,
    per_fold: m.accuracy.perFold,
    histogram: m.histogram,
    errors: r.errors,
    // per node, ms per run summed over the workers: where an image's time goes
    node_ms: Object.fromEntries(Object.entries(r.timings).map(([id, t]) => [id, { ms_per_run: t.runs ? t.ms / t.runs : 0, runs: t.runs, cached: t.cached }])),
  };
}

export function rocCsv(r: EvalResult): string {
  return ['threshold,far,tar', ...r.metrics.roc.map((p) => `${Number.isFinite(p.threshold) ? p.threshold : 'inf'},${p.far},${p.tar}`)].join('\n') + '\n';
}
