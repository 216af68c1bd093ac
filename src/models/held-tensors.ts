import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../graph/node-definition.js';

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

/** Loaded modules per backend and key (weight tensors live on one backend); a failed load is forgotten. */
export class BackendKeyedCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  get(key: string, load: () => Promise<T>): Promise<T> {
    const k = `${tf.getBackend()}|${key}`;
    let p = this.entries.get(k);
    if (!p) {
      p = load();
      this.entries.set(k, p);
      p.catch(() => this.entries.delete(k));
    }
    return p;
  }

  /** Empty the cache, handing back what it held. */
  takeAll(): Promise<T>[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    return all;
  }
}

/**
 * A model loaded once per process and backend (weight tensors live on one backend).
 * `prepare` reads and checks the files, then returns the synchronous build of the net, whose
 * tensors are counted as held. A failed load is forgotten, so the next call tries again.
 */
export class PerBackendModel<T> {
  private readonly cache = new BackendKeyedCache<{ value: T; count: number }>();

  constructor(
    private readonly prepare: (io: HostIO) => Promise<() => T>,
    private readonly disposeValue: (value: T) => void,
  ) {}

  async load(io: HostIO): Promise<T> {
    return (await this.cache.get('', () => this.prepare(io).then(holdModelTensors))).value;
  }

  /** Free every backend's weights; the next load reads the files again. */
  async dispose(): Promise<void> {
    for (const entry of this.cache.takeAll()) {
      const loaded = await entry.catch(() => undefined);
      if (!loaded) continue;
      this.disposeValue(loaded.value);
      releaseModelTensors(loaded.count);
    }
  }
}
