import * as tf from '@tensorflow/tfjs';

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
