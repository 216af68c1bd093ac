import * as tf from '@tensorflow/tfjs';
import { AdamW, ADAMW_DEFAULTS } from './adamw.js';
import { checkDataset, disposeBatch, gatherBatch, gatherRows, tripletBatches, type CachedDataset } from './data.js';
import type { TrainableModule } from './module.js';
import { Rng } from '../util/rng.js';
import { defaultMilestones, EarlyStopping, stepDecay } from './schedule.js';
import { mineSemiHard, TRIPLET_MARGIN, tripletLoss, type MinedTriplets } from './triplet.js';

export interface TrainOptions {
  epochs: number;
  seed: number;
  /** Rows per batch (several identities x `perIdentity` images). */
  batchSize: number;
  perIdentity: number;
  lr: number;
  weightDecay: number;
  /** 0-based epochs where the learning rate is multiplied by `decay`. */
  milestones: number[];
  decay: number;
  margin: number;
  /** Early stopping patience in epochs (needs a validation set); Infinity turns it off. */
  patience: number;
  /**
   * Weight of the clean-consistency term (0: triplet loss alone, as in the paper). With it, each
   * row's output is also pulled towards what the untrained module (which passes the backbone
   * through) gives for the clean version of the same image: 1 - cos(f(x), f0(x_clean)). Needs
   * the datasets' cleanRow.
   */
  consistency?: number;
  /** Validation pairs (row indices into the validation set, same = 1) for a per-epoch accuracy. */
  valPairs?: { a: number; b: number; same: boolean }[];
  onEpoch?: (log: EpochLog) => void;
  /** Called after each batch with the fraction of the run done. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export function defaultTrainOptions(epochs = 30, seed = 1): TrainOptions {
  return {
    epochs, seed, batchSize: 64, perIdentity: 4,
    lr: ADAMW_DEFAULTS.lr, weightDecay: ADAMW_DEFAULTS.weightDecay,
    milestones: defaultMilestones(epochs), decay: 0.1, margin: TRIPLET_MARGIN, patience: 8,
  };
}

export interface EpochLog {
  epoch: number;
  lr: number;
  trainLoss: number;
  /** Fraction of (anchor, positive) pairs with a positive hinge, over the epoch. */
  activeFraction: number;
  valLoss?: number;
  /** Verification accuracy on the validation pairs at their best threshold (monitoring only). */
  valAccuracy?: number;
  best: boolean;
  seconds: number;
}

export interface TrainResult {
  logs: EpochLog[];
  /** Validation loss and accuracy of the untrained module (the frozen baseline's behaviour). */
  initial: { valLoss?: number; valAccuracy?: number };
  bestEpoch: number;
  stoppedEarly: boolean;
}

/** Per-row targets of the consistency term: the module's current output on each row's clean version. */
export interface ConsistencyTargets {
  data: Float32Array;
  dim: number;
  weight: number;
}

export async function consistencyTargets(module: TrainableModule, data: CachedDataset, weight: number): Promise<ConsistencyTargets> {
  if (!data.cleanRow) throw new Error('consistency training needs each row\'s clean row (cleanRow)');
  const { data: y, dim } = await embedAll(module, data);
  return { data: gatherRows(y, dim, data.cleanRow), dim, weight };
}

/** The batch's loss on mined triplets, plus weight x mean(1 - cos(output, target)) with targets. */
function batchLoss(out: tf.Tensor2D, mined: MinedTriplets, margin: number, targets: ConsistencyTargets | undefined, idx: readonly number[]): tf.Scalar {
  const loss = tripletLoss(out, mined, margin);
  if (!targets) return loss;
  const t = tf.tensor2d(gatherRows(targets.data, targets.dim, idx), [idx.length, targets.dim]);
  const gap = tf.mean(tf.sub(1, tf.sum(tf.mul(out, t), 1)));
  return tf.add(loss, tf.mul(targets.weight, gap)) as tf.Scalar;
}

/**
 * Semi-hard triplets of the batch `idx` on the module's current outputs. Mining reads distances
 * asynchronously (webgpu's synchronous readback is slow, and returned zeros in headless Chromium),
 * so a training step runs the forward pass twice: once here, once under the gradient tape.
 */
async function mineBatch(module: TrainableModule, b: ReturnType<typeof gatherBatch>, labels: number[], margin: number): Promise<MinedTriplets> {
  const y = module.forward(b);
  try {
    return await mineSemiHard(y, labels, margin);
  } finally {
    y.dispose();
  }
}

/** Mean loss over fixed batches (the same ones every epoch), without gradients. */
export async function evaluateLoss(module: TrainableModule, data: CachedDataset, batches: number[][], margin: number, targets?: ConsistencyTargets): Promise<number> {
  let sum = 0;
  let count = 0;
  for (const idx of batches) {
    const b = gatherBatch(data, idx, module.needs);
    // No gradient here, so the loss is taken on the same outputs the triplets were mined on.
    const y = module.forward(b);
    disposeBatch(b);
    const mined = await mineSemiHard(y, idx.map((i) => data.labels[i]), margin);
    const loss = tf.tidy(() => batchLoss(y, mined, margin, targets, idx));
    y.dispose();
    sum += (await loss.data())[0] * mined.pairs;
    loss.dispose();
    count += mined.pairs;
  }
  return count ? sum / count : NaN;
}

/** Module outputs for every row of `data`, as one Float32Array [n * dim]. */
export async function embedAll(module: TrainableModule, data: CachedDataset, chunk = 256): Promise<{ data: Float32Array; dim: number }> {
  const n = data.labels.length;
  let out: Float32Array | undefined;
  let dim = 0;
  for (let s = 0; s < n; s += chunk) {
    const idx = Array.from({ length: Math.min(chunk, n - s) }, (_, i) => s + i);
    const b = gatherBatch(data, idx, module.needs);
    const y = module.forward(b);
    disposeBatch(b);
    dim = y.shape[1];
    out ??= new Float32Array(n * dim);
    out.set((await y.data()) as Float32Array, s * dim);
    y.dispose();
  }
  return { data: out ?? new Float32Array(0), dim };
}

/** Best-threshold verification accuracy of cosine scores (a training monitor, not the eval protocol). */
export function bestThresholdAccuracy(scores: number[], same: boolean[]): number {
  const order = scores.map((s, i) => i).sort((a, b) => scores[b] - scores[a]);
  const positives = same.filter(Boolean).length;
  // Threshold just below the k-th highest score: the top k are called "same".
  let tp = 0;
  let fp = 0;
  let best = (same.length - positives) / same.length; // everything "different"
  for (let k = 0; k < order.length; k++) {
    if (same[order[k]]) tp++;
    else fp++;
    if (k + 1 < order.length && scores[order[k + 1]] === scores[order[k]]) continue;
    const correct = tp + (same.length - positives - fp);
    best = Math.max(best, correct / same.length);
  }
  return best;
}

async function pairAccuracy(module: TrainableModule, data: CachedDataset, pairs: NonNullable<TrainOptions['valPairs']>): Promise<number> {
  const { data: y, dim } = await embedAll(module, data);
  const scores = pairs.map(({ a, b }) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += y[a * dim + k] * y[b * dim + k];
    return s;
  });
  return bestThresholdAccuracy(scores, pairs.map((p) => p.same));
}

function snapshot(vars: Record<string, tf.Variable>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(vars)) out[k] = tf.clone(v);
  return out;
}

function disposeSnapshot(s: Record<string, tf.Tensor> | undefined): void {
  if (s) for (const t of Object.values(s)) t.dispose();
}

/**
 * Trains `module`'s variables with semi-hard triplet loss on cached vectors (everything upstream
 * is frozen: the cached inputs are constants), AdamW, step decay and early stopping on the
 * validation loss; at the end the best epoch's weights are restored. Deterministic for a seed:
 * batch order comes from the seeded RNG and the tfjs cpu/wasm kernels are sequential.
 */
export async function trainModule(module: TrainableModule, train: CachedDataset, val: CachedDataset | undefined, opts: TrainOptions): Promise<TrainResult> {
  checkDataset(train, module.needs);
  if (val) checkDataset(val, module.needs);
  const rng = new Rng(opts.seed);
  const valBatches = val ? tripletBatches(val.labels, opts.batchSize, opts.perIdentity, new Rng(opts.seed).fork(7919)) : [];
  const optimizer = new AdamW({ lr: opts.lr, weightDecay: opts.weightDecay });
  const stopper = new EarlyStopping(opts.patience);
  const logs: EpochLog[] = [];
  const initial: TrainResult['initial'] = {};
  // Targets come from the module before any step: the pass-through behaviour on clean faces.
  const targets = opts.consistency ? await consistencyTargets(module, train, opts.consistency) : undefined;
  const valTargets = opts.consistency && val ? await consistencyTargets(module, val, opts.consistency) : undefined;
  if (val && valBatches.length) {
    initial.valLoss = await evaluateLoss(module, val, valBatches, opts.margin, valTargets);
    stopper.update(-1, initial.valLoss);
  }
  if (val && opts.valPairs?.length) initial.valAccuracy = await pairAccuracy(module, val, opts.valPairs);
  let best: Record<string, tf.Tensor> | undefined = val && valBatches.length ? snapshot(module.variables) : undefined;
  let stoppedEarly = false;
  const varList = Object.values(module.variables);
  const names = Object.keys(module.variables);

  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      if (opts.signal?.aborted) throw new Error('training cancelled');
      const t0 = performance.now();
      const lrScale = stepDecay(epoch, opts.milestones, opts.decay);
      const batches = tripletBatches(train.labels, opts.batchSize, opts.perIdentity, rng.fork(epoch));
      if (!batches.length) throw new Error('training data has no identity with two or more images');
      let lossSum = 0;
      let pairSum = 0;
      let activeSum = 0;
      for (let bi = 0; bi < batches.length; bi++) {
        const idx = batches[bi];
        const labels = idx.map((i) => train.labels[i]);
        const b = gatherBatch(train, idx, module.needs);
        const mined = await mineBatch(module, b, labels, opts.margin);
        const { value, grads } = tf.variableGrads(() => batchLoss(module.forward(b), mined, opts.margin, targets, idx), varList);
        disposeBatch(b);
        const named: Record<string, tf.Tensor> = {};
        for (const [i, name] of names.entries()) named[name] = grads[varList[i].name];
        optimizer.step(module.variables, named, lrScale);
        lossSum += (await value.data())[0] * mined.pairs;
        pairSum += mined.pairs;
        activeSum += mined.active;
        value.dispose();
        tf.dispose(grads);
        opts.onProgress?.((epoch + (bi + 1) / batches.length) / opts.epochs);
      }
      const log: EpochLog = {
        epoch, lr: opts.lr * lrScale,
        trainLoss: pairSum ? lossSum / pairSum : NaN,
        activeFraction: pairSum ? activeSum / pairSum : 0,
        best: false, seconds: 0,
      };
      if (val && valBatches.length) {
        log.valLoss = await evaluateLoss(module, val, valBatches, opts.margin, valTargets);
        log.best = stopper.update(epoch, log.valLoss);
        if (log.best) {
          disposeSnapshot(best);
          best = snapshot(module.variables);
        }
      }
      if (val && opts.valPairs?.length) log.valAccuracy = await pairAccuracy(module, val, opts.valPairs);
      log.seconds = (performance.now() - t0) / 1000;
      logs.push(log);
      opts.onEpoch?.(log);
      await new Promise((r) => setTimeout(r, 0));
      if (val && valBatches.length && stopper.shouldStop) {
        stoppedEarly = epoch + 1 < opts.epochs;
        break;
      }
    }
    if (best) for (const [k, t] of Object.entries(best)) module.variables[k].assign(t);
  } finally {
    disposeSnapshot(best);
    optimizer.dispose();
  }
  return { logs, initial, bestEpoch: val && valBatches.length ? stopper.bestEpoch : logs.length - 1, stoppedEarly };
}
