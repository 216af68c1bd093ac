import * as tf from '@tensorflow/tfjs';
import { OCCLUSION_KINDS } from '../context/occluders.js';
import type { Pipeline } from '../graph/schema.js';
import { defaultFusionConfig, initFusion } from '../models/fusion/index.js';
import { defaultGateConfig, initGate } from '../models/gate/gate.js';
import { heldModelTensors } from '../models/held-tensors.js';
import { cleanRowIndex, rowFromOutputs, stackRows, type CollectedRow, type ItemOutputs } from './collect.js';
import type { CachedDataset } from './data.js';
import { trainModule, type TrainOptions, type TrainResult } from './loop.js';
import { fusionModule, gateModule, type BackboneTail, type TrainableModule } from './module.js';
import { withOcclusion, type TrainTarget } from './prepare.js';
import { Rng } from '../util/rng.js';

/**
 * The steps of a gate / fusion training run that `faceflow train` (Node, worker threads) and the
 * lab's worker (browser) share: the cache passes, the identity split, collecting rows from the
 * pass outputs, building the module and describing the run in the weights file.
 */
export const OCCLUDE_SETTINGS: readonly string[] = [...OCCLUSION_KINDS, 'any-mask', 'any', 'training-mix', 'none'];

export interface TrainPass { name: string; pipeline: Pipeline }

/** The cache passes: clean, plus one with a synthetic occluder on the aligned faces unless `occlude` is 'none'. */
export function trainPasses(cache: Pipeline, target: TrainTarget, occlude: string, seed: number, occludedPasses = 1): TrainPass[] {
  const passes: TrainPass[] = [{ name: 'clean', pipeline: cache }];
  if (occlude === 'none' || target.kind === 'occlusion') return passes;
  // Each occluded pass draws other occluders on the same faces (its own seed).
  for (let k = 0; k < occludedPasses; k++) {
    passes.push({ name: occludedPasses > 1 ? `${occlude} #${k + 1}` : occlude, pipeline: withOcclusion(cache, { kind: occlude, probability: 1, seed: seed + k }) });
  }
  return passes;
}

/** Hold out a seeded share of the identities (at least one) for validation. */
export function splitIdentities<T extends { identity: string }>(all: T[], valFraction: number, seed: number): { train: T[]; val: T[] } {
  const ids = new Rng(seed).fork(101).shuffle([...new Set(all.map((i) => i.identity))].sort());
  const held = new Set(ids.slice(0, Math.max(1, Math.round(valFraction * ids.length))));
  return { train: all.filter((i) => !held.has(i.identity)), val: all.filter((i) => held.has(i.identity)) };
}

/** Integer labels by identity, in order of first appearance. */
export function identityLabeler<T extends { identity: string }>(images: T[]): (img: T) => number {
  const index = new Map([...new Set(images.map((i) => i.identity))].map((id, k) => [id, k]));
  return (img) => index.get(img.identity)!;
}

/** Run each pass (one ItemOutputs per image, undefined for a failed image) and keep the usable rows. */
export async function collectPasses<R>(
  passes: TrainPass[], runPass: (pass: TrainPass) => Promise<ItemOutputs[]>, extract: (out: ItemOutputs, image: number) => R | undefined,
): Promise<{ rows: R[][]; skipped: number }> {
  const rows: R[][] = [];
  let skipped = 0;
  for (const pass of passes) {
    const passRows: R[] = [];
    (await runPass(pass)).forEach((out, i) => {
      const row = extract(out, i);
      if (row) passRows.push(row);
      else skipped++;
    });
    rows.push(passRows);
  }
  return { rows, skipped };
}

/** Rows of the gate's / fusion's frozen inputs for `images`, over all passes. */
export function collectTargetRows<T>(
  passes: TrainPass[], images: T[], labelOf: (img: T) => number, target: TrainTarget, runPass: (pass: TrainPass, images: T[]) => Promise<ItemOutputs[]>,
): Promise<{ rows: CollectedRow[][]; skipped: number }> {
  return collectPasses(passes, (pass) => runPass(pass, images), (out, i) => rowFromOutputs(out, target, i, labelOf(images[i])));
}

/** The trainable module for the target: the gate (on the frozen backbone tail) or a fusion module, freshly initialised. */
export function createTrainable(target: TrainTarget, train: CachedDataset, seed: number, tail: () => BackboneTail): { module: TrainableModule; config: object } {
  if (target.kind === 'gate') {
    const cfg = defaultGateConfig(train.featureMaps!.shape[2]);
    return { module: gateModule(cfg, initGate(cfg), tail()), config: cfg };
  }
  if (target.kind === 'occlusion') throw new Error('the occlusion classifier is not a triplet-trained module');
  const cfg = defaultFusionConfig(target.kind, train.embeddings!.dim, train.context!.dim);
  return { module: fusionModule(cfg, initFusion(cfg, new Rng(seed))), config: cfg };
}

/** The collected rows of every pass as one dataset, each row knowing its image's clean row. */
export function stackPasses(set: { rows: CollectedRow[][] }): CachedDataset {
  return { ...stackRows(set.rows.flat()), cleanRow: cleanRowIndex(set.rows) };
}

/** What the run trained on, for the log and the weights file's `training` field. */
export function trainingSummary(mod: TrainableModule, train: CachedDataset, val: CachedDataset, skipped: number, opts: Pick<TrainOptions, 'valPairs'>, passes: TrainPass[]) {
  return {
    module: mod.kind, train_rows: train.labels.length, val_rows: val.labels.length,
    train_identities: new Set(train.labels).size, val_identities: new Set(val.labels).size,
    skipped_images: skipped, val_pairs: opts.valPairs?.length ?? 0, passes: passes.map((p) => p.name),
  };
}

/**
 * Validation pairs for the per-epoch accuracy when no pairs file is given: pairs of a row of the
 * first pass (clean) with a row of another image in the last pass (occluded, when there is one),
 * as many same-identity as different-identity pairs, at most `max` in all (a seeded sample).
 */
export function pairsFromRows(set: { rows: CollectedRow[][] }, max: number, seed: number): { a: number; b: number; same: boolean }[] {
  const first = set.rows[0] ?? [];
  const lastIndex = set.rows.length - 1;
  const offset = set.rows.slice(0, lastIndex).reduce((s, r) => s + r.length, 0);
  const last = set.rows[lastIndex] ?? [];
  const same: { a: number; b: number; same: boolean }[] = [];
  const different: { a: number; b: number; same: boolean }[] = [];
  first.forEach((ra, a) => last.forEach((rb, k) => {
    if (lastIndex === 0 && k <= a) return;
    if (ra.image === rb.image) return;
    (ra.label === rb.label ? same : different).push({ a, b: offset + k, same: ra.label === rb.label });
  }));
  // Balanced like LFW's pairs: as many different-identity pairs as same ones (sampled, seeded).
  const rng = new Rng(seed).fork(211);
  const n = Math.min(same.length, Math.floor(max / 2));
  return [...rng.shuffle(same).slice(0, n), ...rng.shuffle(different).slice(0, n)];
}

/** The weights file's `training` field: how the run went (best epoch's validation numbers) plus what it trained on. */
export function trainingRecord(command: string, seed: number, result: TrainResult, summary: object, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const best = result.bestEpoch >= 0 ? result.logs[result.bestEpoch] : undefined;
  return {
    command, seed, ...extra, epochs_run: result.logs.length, best_epoch: result.bestEpoch,
    stopped_early: result.stoppedEarly, initial: result.initial,
    best: best ? { val_loss: best.valLoss, val_accuracy: best.valAccuracy } : undefined, ...summary,
  };
}

/** The one check of a run's epoch count (the CLI's --epochs, the lab's train panel): a problem, or undefined. */
export function epochsProblem(epochs: number): string | undefined {
  return Number.isInteger(epochs) && epochs >= 1 && epochs <= 1000 ? undefined : `epochs ${epochs}: expected an integer from 1 to 1000`;
}

/** What a driver hands the shared training run. */
export interface TrainingSession<T, W> {
  target: TrainTarget;
  passes: TrainPass[];
  trainImages: T[];
  valImages: T[];
  labelOf: (img: T) => number;
  /** Run one cache pass over images: their outputs, undefined where an image failed (the driver's runPipeline). */
  runPass: (pass: TrainPass, images: T[]) => Promise<ItemOutputs[]>;
  seed: number;
  /** The loop's options, with the driver's onEpoch / onProgress; valPairs are set here. */
  opts: TrainOptions;
  /** Validation pairs over the validation rows; default: a seeded sample of clean x occluded pairs (pairsFromRows). */
  valPairs?: (valSet: { rows: CollectedRow[][] }) => TrainOptions['valPairs'];
  /** The frozen MobileFaceNet tail the gate trains through (loaded only for a gate). */
  loadTail: () => Promise<BackboneTail>;
  onStart?: (summary: TrainingSummary) => void | Promise<void>;
  /** Keep the weights while the module is alive (write files, encode them); the session disposes it afterwards. */
  keep: (mod: TrainableModule, config: object, result: TrainResult, summary: TrainingSummary) => Promise<W>;
}

export type TrainingSummary = ReturnType<typeof trainingSummary>;

/**
 * One gate / fusion training run, the same for `faceflow train` and the lab's worker (thin drivers
 * that parse their settings, run the passes and keep the weights their way): collect the rows of
 * every pass, build the module, train it, hand it to `keep`, dispose it. `tensors` counts what the
 * module left behind (model weights loaded meanwhile excepted).
 */
export async function runTrainingSession<T, W>(s: TrainingSession<T, W>) {
  const trainSet = await collectTargetRows(s.passes, s.trainImages, s.labelOf, s.target, s.runPass);
  const valSet = await collectTargetRows(s.passes, s.valImages, s.labelOf, s.target, s.runPass);
  const train = stackPasses(trainSet);
  const val = stackPasses(valSet);
  const opts = { ...s.opts, valPairs: s.valPairs ? s.valPairs(valSet) : pairsFromRows(valSet, 2000, s.seed) };
  const tail = s.target.kind === 'gate' ? await s.loadTail() : undefined;
  const before = tf.memory().numTensors;
  const heldBefore = heldModelTensors();
  const { module: mod, config } = createTrainable(s.target, train, s.seed, () => tail!);
  let weights: W;
  let result: TrainResult;
  const summary = trainingSummary(mod, train, val, trainSet.skipped + valSet.skipped, opts, s.passes);
  try {
    await s.onStart?.(summary);
    result = await trainModule(mod, train, val, opts);
    weights = await s.keep(mod, config, result, summary);
  } finally {
    mod.dispose();
  }
  const after = tf.memory().numTensors;
  return { result, summary, weights, tensors: { before, after, leaked: after - before - (heldModelTensors() - heldBefore) } };
}
