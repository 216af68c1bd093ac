import { Worker } from 'node:worker_threads';

/**
 * The baseline the eval benchmark compares our throughput with, measured in the same run:
 * @vladmandic/face-api's usual pipeline (jpeg-js decode, SSD MobileNet v1 with its default
 * options, 68-point landmarks, dlib ResNet 128-D descriptor; the most confident face) on
 * `workers` worker_threads with tfjs-wasm, images dealt out in chunks of 4 as our WorkerPool does.
 *
 * Timing. Our eval's images/s (src/runtime/run-pipeline.ts) runs from before its workers start to
 * the last result, so it includes starting the workers, loading the models and the first,
 * slower (warm-up) image of each worker. `seconds` / `images_per_second` here are timed the
 * same way and are the figures to compare with. Each worker's first image (a real image of the
 * set, its descriptor kept) is also run alone before the others as its warm-up, so that
 * `steady_seconds` / `steady_images_per_second` give the rate once models are loaded and
 * warm: the remaining images over the time from then to the end.
 */

export interface FaceApiBaselineResult {
  images: number;
  seconds: number;
  images_per_second: number;
  steady_seconds: number;
  steady_images_per_second: number;
  failed_detections: number;
  /** Per image, in the order given: the 128-D descriptor (not unit length), null when no face was found. */
  descriptors: (Float32Array | null)[];
}

const CHUNK = 4;

/** A worker running bench/faceapi-worker.ts through tsx (loader hooks are not inherited by workers; see src/runtime/thread-worker.mjs). */
function startWorker(): Worker {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./faceapi-worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((t) => { t.register(); return import(${entry}); });`, { eval: true });
}

/** Send a worker a list of files; resolves with their descriptors (one request in flight per worker). */
function describe(worker: Worker, files: string[]): Promise<(Float32Array | null)[]> {
  return new Promise((resolve, reject) => {
    const onMessage = (d: (Float32Array | null)[]) => {
      worker.off('error', reject);
      resolve(d);
    };
    worker.once('message', onMessage);
    worker.once('error', reject);
    worker.postMessage(files);
  });
}

export async function faceApiBaseline(images: string[], workers: number, onItems?: (done: number, total: number) => void): Promise<FaceApiBaselineResult> {
  const n = Math.max(1, Math.min(workers, images.length));
  const descriptors: (Float32Array | null)[] = new Array(images.length).fill(null);
  let done = 0;
  const t0 = performance.now();
  const pool = Array.from({ length: n }, startWorker);
  try {
    // warm-up: worker i's first image is image i (the models load before it)
    await Promise.all(pool.map(async (w, i) => {
      [descriptors[i]] = await describe(w, [images[i]]);
      onItems?.(++done, images.length);
    }));
    const tReady = performance.now();
    let next = n;
    await Promise.all(pool.map(async (w) => {
      while (next < images.length) {
        const start = next;
        const end = (next = Math.min(images.length, next + CHUNK));
        (await describe(w, images.slice(start, end))).forEach((d, k) => (descriptors[start + k] = d));
        done += end - start;
        onItems?.(done, images.length);
      }
    }));
    const t1 = performance.now();
    const seconds = (t1 - t0) / 1000;
    const steadySeconds = (t1 - tReady) / 1000;
    return {
      images: images.length,
      seconds,
      images_per_second: images.length / seconds,
      steady_seconds: steadySeconds,
      steady_images_per_second: (images.length - n) / steadySeconds,
      failed_detections: descriptors.filter((d) => !d).length,
      descriptors,
    };
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
