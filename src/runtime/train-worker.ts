import * as tf from '@tensorflow/tfjs';
import type { HostIO, RunItem } from '../graph/node-definition.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { Pipeline } from '../graph/schema.js';
import { loadMobileFaceNetTail } from '../models/gate/mobilefacenet-tail.js';
import type { ItemOutputs } from '../train/collect.js';
import { defaultTrainOptions, type EpochLog, type TrainResult } from '../train/loop.js';
import { trainingSetProblem } from '../train/picked-dataset.js';
import { cachePipeline, trainTargetForNode } from '../train/prepare.js';
import { epochsProblem, identityLabeler, OCCLUDE_SETTINGS, runTrainingSession, splitIdentities, trainingRecord, trainPasses, type TrainPass } from '../train/session.js';
import { encodeWeights, type WeightsManifest } from '../io/weights-file.js';
import type { BackendChoice } from './backend.js';
import { itemProgress } from './events.js';
import { RunAborted, type Executor } from './executor.js';
import { runPipeline, throwIfRunFailed } from './run.js';

/** One training image as the page hands it over: its identity folder, its path in the picked folder, its bytes. */
export interface TrainImage {
  identity: string;
  name: string;
  file: Blob;
}

export interface TrainSettings {
  epochs: number;
  seed: number;
  /** A synthetic occluder kind for the second cache pass, 'any-mask', 'any' or 'none'. */
  occlude: string;
  /** Share of identities held out for validation and early stopping. */
  valFraction: number;
  /** Weight of the clean-consistency term (0: triplet loss alone, as the paper). */
  consistency: number;
  /** File name for the weights (the manifest's .bin path is `<name>.weights.bin`). */
  name: string;
}

export type TrainEvent =
  | { kind: 'cache'; pass: string; done: number; total: number }
  | { kind: 'start'; summary: Record<string, unknown> }
  | { kind: 'progress'; fraction: number }
  | { kind: 'epoch'; log: EpochLog };

export interface TrainOutcome {
  status: 'done' | 'error' | 'cancelled';
  backend: string;
  nodeId: string;
  logs: EpochLog[];
  initial?: TrainResult['initial'];
  bestEpoch?: number;
  /** The weights in the format `faceflow train` writes (manifest + one float32 .bin). */
  weights?: { manifest: WeightsManifest; bin: Uint8Array };
  error?: string;
  /** tf.memory().numTensors before building the module and after disposing it (model weights loaded meanwhile excepted). */
  tensors?: { before: number; after: number; leaked: number };
  ms: number;
}

/**
 * Train the gate or fusion node `nodeId` of `pipeline` on `images` with the executor of the
 * lab's worker (its backend, its cache): the cache passes (clean + occluded) through the frozen
 * upstream nodes, then `trainModule` as in `faceflow train`.
 */
export async function trainInWorker(
  env: { executor: Executor; io: HostIO; backend: BackendChoice; registry: NodeRegistry },
  pipeline: Pipeline, nodeId: string, images: TrainImage[], s: TrainSettings, onEvent: (e: TrainEvent) => void, signal: AbortSignal,
): Promise<TrainOutcome> {
  const t0 = performance.now();
  const base = { backend: env.backend.name, nodeId, logs: [] as EpochLog[] };
  const finish = (o: Partial<TrainOutcome> & Pick<TrainOutcome, 'status'>): TrainOutcome => ({ ...base, ...o, ms: performance.now() - t0 });
  const urls: string[] = [];
  try {
    const badEpochs = epochsProblem(s.epochs);
    if (badEpochs) throw new Error(badEpochs);
    if (!OCCLUDE_SETTINGS.includes(s.occlude)) throw new Error(`occlude ${s.occlude}: expected ${OCCLUDE_SETTINGS.join(', ')}`);
    const problem = trainingSetProblem(images, s.valFraction, s.seed);
    if (problem) throw new Error(problem);
    const target = trainTargetForNode(pipeline, nodeId, env.registry);
    const passes = trainPasses(cachePipeline(pipeline, target), target, s.occlude, s.seed);
    const { train: trainImages, val: valImages } = splitIdentities(images, s.valFraction, s.seed);
    const labelOf = identityLabeler([...trainImages, ...valImages]);
    const itemOf = new Map<TrainImage, RunItem>();
    for (const img of images) {
      const url = URL.createObjectURL(img.file);
      urls.push(url);
      itemOf.set(img, { id: `train:${img.name}:${img.file.size}:${(img.file as File).lastModified ?? 0}`, name: img.name, path: url });
    }
    const total = images.length * passes.length;
    let finished = 0;
    const runPass = async (pass: TrainPass, imgs: TrainImage[]): Promise<ItemOutputs[]> => {
      const onRunEvent = itemProgress((done) => onEvent({ kind: 'cache', pass: pass.name, done: finished + done, total }));
      const host = { prepare: async () => env };
      const { items: results } = throwIfRunFailed(await runPipeline(pass.pipeline, imgs.map((i) => itemOf.get(i)!), { host, registry: env.registry, signal, onEvent: onRunEvent }));
      finished += imgs.length;
      onEvent({ kind: 'cache', pass: pass.name, done: finished, total });
      return results.map((r) => (r.error ? undefined : r.outputs));
    };
    const tail = async () => {
      const t = await loadMobileFaceNetTail(env.io);
      return (f: tf.Tensor4D) => t.run(f);
    };
    const { result, weights, tensors } = await runTrainingSession({
      target, passes, trainImages, valImages, labelOf, runPass, seed: s.seed, loadTail: tail,
      opts: {
        ...defaultTrainOptions(s.epochs, s.seed), consistency: s.consistency, signal,
        onEpoch: (log) => onEvent({ kind: 'epoch', log }),
        onProgress: (fraction) => onEvent({ kind: 'progress', fraction }),
      },
      onStart: (summary) => onEvent({ kind: 'start', summary }),
      keep: (mod, config, result, summary) => {
        const training = trainingRecord(`FaceFlow Lab: train node "${nodeId}" of "${pipeline.name}"`, s.seed, result, summary, { backend: env.backend.name, occlude: s.occlude, val_fraction: s.valFraction, consistency: s.consistency });
        return encodeWeights(mod.kind, config, mod.variables as Record<string, tf.Tensor>, `${s.name}.weights.bin`, training);
      },
    });
    return finish({ status: 'done', logs: result.logs, initial: result.initial, bestEpoch: result.bestEpoch, weights, tensors });
  } catch (e) {
    if (e instanceof RunAborted || signal.aborted) return finish({ status: 'cancelled' });
    return finish({ status: 'error', error: (e as Error).message });
  } finally {
    urls.forEach((u) => URL.revokeObjectURL(u));
  }
}
