import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../graph/node-definition';

/**
 * Tensors that model caches keep alive on purpose (weights loaded once per process).
 * A leak check around a kernel that happens to load a model subtracts the change in this
 * count from the change in tf.memory().numTensors.
 */
let held = 0;

export function heldModelTensors(): number {
  return held;
}

/** Run `create` and count the tensors it leaves alive as held model tensors. */
export function holdModelTensors<T>(create: () => T): { value: T; count: number } {
  const before = tf.memory().numTensors;
  const value = create();
  const count = tf.memory().numTensors - before;
  held += count;
  return { value, count };
}

export function releaseModelTensors(count: number): void {
  held -= count;
}

/**
 * A model loaded once per process and backend (weight tensors live on one backend).
 * `prepare` reads and checks the files, then returns the synchronous build of the net, whose
 * tensors are counted as held. A failed load is forgotten, so the next call tries again.
 */
export class PerBackendModel<T> {
  private readonly entries = new Map<string, Promise<{ value: T; count: number }>>();

  constructor(
    private readonly prepare: (io: HostIO) => Promise<() => T>,
    private readonly disposeValue: (value: T) => void,
  ) {}

  load(io: HostIO): Promise<T> {
    const backend = tf.getBackend();
    let entry = this.entries.get(backend);
    if (!entry) {
      entry = this.prepare(io).then(holdModelTensors);
      this.entries.set(backend, entry);
      entry.catch(() => this.entries.delete(backend));
    }
    return entry.then((e) => e.value);
  }

  /** Free every backend's weights; the next load reads the files again. */
  async dispose(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) {
      const loaded = await entry.catch(() => undefined);
      if (!loaded) continue;
      this.disposeValue(loaded.value);
      releaseModelTensors(loaded.count);
    }
  }
}
