import * as tf from '@tensorflow/tfjs';
import { simdSupported } from '../wasm/cnn.js';

/** What runs MTCNN's nets and MobileFaceNet: generated WebAssembly SIMD kernels (src/wasm), or tfjs ops on the current backend. */
export type CnnEngine = 'simd' | 'tfjs';

/**
 * SIMD kernels where the backend computes on this CPU anyway (wasm, cpu) and the engine has
 * WebAssembly SIMD: on these nets' narrow layers they run 1.6-1.9x faster than tfjs-wasm's
 * (docs/speed.md). On a GPU backend, tfjs ops.
 */
export function defaultCnnEngine(backend = tf.getBackend()): CnnEngine {
  return (backend === 'wasm' || backend === 'cpu') && simdSupported() ? 'simd' : 'tfjs';
}
