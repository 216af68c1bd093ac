/**
 * Workers and wasm threads per worker for a dataset run on `cores` cores: as many workers as
 * cores (up to 4, each holding its own models), and the cores left over as wasm threads when the
 * page is cross-origin isolated (threads need SharedArrayBuffer). Measured on 2 cores (`npm run
 * bench -- lab-dataset`, docs/speed.md): 2 workers x 1 thread 1.7x faster than 1 worker x 2 threads.
 */
export function datasetSplit(cores: number, isolated: boolean, workers?: number): { workers: number; threads: number } {
  const n = Math.max(1, Math.min(workers ?? Math.min(cores, 4), 8));
  return { workers: n, threads: isolated ? Math.max(1, Math.floor(cores / n)) : 1 };
}
