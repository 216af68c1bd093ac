// The tfjs-wasm binaries as URLs Vite emits, for the page or worker that runs tfjs in the browser.
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

// Cross-origin isolated (vite.config.ts sends COOP/COEP), tfjs runs its threaded SIMD build, whose
// pool is half the cores by default; the lab's one compute worker does all the work, so use them all.
if (globalThis.crossOriginIsolated) setThreadsCount(Math.min(Math.max(navigator.hardwareConcurrency || 1, 1), 8));
