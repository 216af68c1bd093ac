/**
 * Step decay: the learning-rate multiplier is `factor ^ (milestones passed)`; epoch numbers are
 * 0-based, so milestone 40 means epochs 40, 41, ... run at lr * 0.1 (the paper: 40, 60, 80 of 100).
 */
export function stepDecay(epoch: number, milestones: readonly number[], factor = 0.1): number {
  let k = 0;
  for (const m of milestones) if (epoch >= m) k++;
  return factor ** k;
}

/** The paper's milestones (40%, 60%, 80% of the run) scaled to `epochs`. */
export function defaultMilestones(epochs: number): number[] {
  return [0.4, 0.6, 0.8].map((f) => Math.round(f * epochs)).filter((m, i, a) => m > 0 && m < epochs && a.indexOf(m) === i);
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
