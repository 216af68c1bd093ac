/**
 * The npm packages that the Node runtime (the CLI, the pool's worker threads) imports at start-up.
 * Running from the sources, bin/faceflow.mjs and thread-worker.mjs import them before they register
 * tsx: through tsx's hooks every file of a package costs a round trip to the hooks thread, each
 * CommonJS file is read and scanned once more, and with the source maps tsx turns on Node reads
 * and parses each file's .map (17 MB for tfjs): ~0.3 s of CPU per thread in all. The TypeScript
 * imported afterwards gets these same module instances. A package left out of the list still
 * loads, the slow way.
 */
export const RUNTIME_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'zod', 'comlink', 'comlink/dist/esm/node-adapter.mjs', 'jpeg-js', 'pngjs'];

/** The CLI's main thread also reads and writes Arrow files (src/eval/stored-embeddings.ts). */
export const CLI_PACKAGES = [...RUNTIME_PACKAGES, 'apache-arrow'];

export function importPackages(names) {
  return Promise.all(names.map((name) => import(name)));
}
