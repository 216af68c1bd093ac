/**
 * Step decay: the learning-rate multiplier is `factor ^ (milestones passed)`; epoch numbers are
 * 0-based, so milestone 40 means epochs 40, 41, ... run at lr * 0.1 (the paper: 40, 60, 80 of 100).
 */
export function stepDecay(epoch: number, milestones: readonly number[], factor = 0.1): number {
  let k = 0;
  for (const m of milestones) if (epoch >= m) k++;
  return factor ** k;
}

/** No decay before this 0-based epoch: at least two epochs always run at the base rate. */
export const FIRST_DECAY_EPOCH = 2;

/**
 * The paper's milestones (40%, 60%, 80% of the run) scaled to `epochs`, rounded; a short run keeps
 * only the milestones that leave time to learn: none before epoch FIRST_DECAY_EPOCH (0-based, so
 * the first two epochs run at the base rate), none at or after the last epoch, no two at the same
 * epoch, and at most one per two epochs of the run (the later ones are dropped). So 3 epochs decay
 * once (before the third), 1-2 epochs never, 4 epochs at 2 and 3, 10 at 4, 6, 8, 100 at 40, 60, 80.
 */
export function defaultMilestones(epochs: number): number[] {
  const ms = [0.4, 0.6, 0.8]
    .map((f) => Math.round(f * epochs))
    .filter((m, i, a) => m >= FIRST_DECAY_EPOCH && m < epochs && a.indexOf(m) === i);
  return ms.slice(0, Math.floor(epochs / 2));
}

/**
 * Early stopping on validation loss: stop after `patience` epochs without an improvement of
 * more than `minDelta`; remembers the best epoch so its weights can be restored.
 */
export class EarlyStopping {
  bestLoss = Infinity;
  bestEpoch = -1;
  private waited = 0;

  constructor(readonly patience: number, readonly minDelta = 1e-4) {}

  /** Record an epoch's validation loss; returns true when this epoch is the new best. */
  update(epoch: number, loss: number): boolean {
    if (loss < this.bestLoss - this.minDelta) {
      this.bestLoss = loss;
      this.bestEpoch = epoch;
      this.waited = 0;
      return true;
    }
    this.waited++;
    return false;
  }

  get shouldStop(): boolean {
    return this.waited >= this.patience;
  }
}

/**
 * What a training run's best epoch means for the user. `bestEpoch` is 0-based; -1 means the
 * untrained module (validated before the first step) was never beaten, and the saved weights are
 * that untrained module: no improvement, nothing to offer as one.
 */
export interface TrainingVerdict {
  improved: boolean;
  /** One plain sentence for the panel and the CLI. */
  message: string;
}

export const NO_IMPROVEMENT = 'no improvement over the untrained module';

export function trainingVerdict(bestEpoch: number | undefined, epochsRun: number, hasValidation = true): TrainingVerdict {
  if (!hasValidation) return { improved: true, message: `no validation set: kept the last epoch (${epochsRun})` };
  if (bestEpoch === undefined || bestEpoch < 0) {
    return {
      improved: false,
      message: `${NO_IMPROVEMENT}: its validation loss was lower than after any of the ${epochsRun} epoch${epochsRun === 1 ? '' : 's'}, so the saved weights are the untrained start`,
    };
  }
  return { improved: true, message: `best epoch ${bestEpoch + 1} of ${epochsRun} on validation` };
}
