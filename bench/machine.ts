import * as tf from '@tensorflow/tfjs';
import { createNodeIO } from '../src/io/nodejs-io.js';
import { loadMtcnn } from '../src/models/mtcnn/index.js';

/**
 * How fast this machine runs tfjs-wasm (one thread) compared with the machine that
 * ../shared/runtime.md was measured on, and against which the issues set their speed goals:
 * two of its figures are timed again here, a 64->64 3x3 conv at 80x80 (10.5 ms there: two took
 * 21 ms) and MTCNN's O-Net on a batch of 48 crops (31 ms there). `factor` is the geometric mean
 * of the two ratios; above 1 this machine (or its load at the time) is slower, and a time
 * divided by it (a rate multiplied by it) is what the reference machine would show.
 */
export const REFERENCE_MS = { conv64at80: 10.5, onet48: 31 } as const;

export interface MachineSpeed {
  conv64at80Ms: number;
  onet48Ms: number;
  factor: number;
}

function medianMs(reps: number, f: () => tf.Tensor): number {
  const ms: number[] = [];
  for (let i = 0; i < reps + 2; i++) {
    const t0 = performance.now();
    const y = f();
    y.dataSync();
    y.dispose();
    if (i >= 2) ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[reps >> 1];
}

/** Needs the wasm backend set on this thread. */
export async function machineSpeed(): Promise<MachineSpeed> {
  const nets = await loadMtcnn(createNodeIO());
  const x = tf.randomNormal([1, 80, 80, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const crops = tf.randomUniform([48, 48, 48, 3], 0, 255) as tf.Tensor4D;
  try {
    const conv64at80Ms = medianMs(15, () => tf.conv2d(x, w, 1, 'same'));
    const onet48Ms = medianMs(9, () => nets.onet.forward(crops));
    const factor = Math.sqrt((conv64at80Ms / REFERENCE_MS.conv64at80) * (onet48Ms / REFERENCE_MS.onet48));
    return { conv64at80Ms, onet48Ms, factor };
  } finally {
    tf.dispose([x, w, crops]);
  }
}

export function describeSpeed(s: MachineSpeed): string {
  return `machine speed: conv 64->64 at 80x80 ${s.conv64at80Ms.toFixed(1)} ms (runtime.md ${REFERENCE_MS.conv64at80}), O-Net x48 ${s.onet48Ms.toFixed(1)} ms (runtime.md ${REFERENCE_MS.onet48}): ${s.factor.toFixed(2)}x slower than the reference machine`;
}

/**
 * Run `work` between two speed measurements (the load can change during it); the factor for
 * normalising is the geometric mean of the two.
 */
export async function measuredBetween<T>(work: () => Promise<T>): Promise<{ result: T; machine: { before: MachineSpeed; after: MachineSpeed; factor: number } }> {
  const before = await machineSpeed();
  const result = await work();
  const after = await machineSpeed();
  return { result, machine: { before, after, factor: Math.sqrt(before.factor * after.factor) } };
}
