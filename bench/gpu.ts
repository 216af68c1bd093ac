import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { registry } from '../nodes/index.js';
import { fileRunItems } from '../src/eval/datasets-nodejs.js';
import { embedItems } from '../src/eval/embed-items.js';
import { createNodeIO } from '../src/io/nodejs-io.js';
import { loadMobileFaceNet } from '../src/models/mobilefacenet/index.js';
import { detectFacesBatch, loadMtcnn } from '../src/models/mtcnn/index.js';
import { BACKENDS, initBackend, type BackendName } from '../src/runtime/backend.js';
import { compileOrExplain, readPreset } from '../src/runtime/preset.js';
import { centreFaceCrops, lfwImages, readImage } from './detect.js';

/**
 * `npm run bench -- gpu [--backend webgpu] [--batches 1,32,256] [--seconds 2] [--images 200] [--batch 16] [--out file]`:
 * issue 15's GPU figures through the CLI's own code, on the backend named (webgpu by default:
 * Dawn from the `webgpu` package; a real adapter is needed for numbers that mean anything):
 *  - MobileFaceNet faces/s at each batch size (forward + readback of the embeddings, repeated
 *    for about `--seconds` after a warm-up call that compiles the shaders);
 *  - MTCNN ms per image with 1 and `--batch` same-size lfw-dev images per call;
 *  - end to end (presets/baseline-mtcnn-facenet.json: decode, MTCNN, align, MobileFaceNet with
 *    the flip) in this process with `--batch` images in lockstep, images/s, against wasm with
 *    2 worker threads on the same images in the same run.
 * Prints a table and writes bench/results/gpu.json. Meant for a short run on a lent GPU machine.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const E2E_PRESET = path.join(REPO, 'presets/baseline-mtcnn-facenet.json');

export async function benchGpu(args: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args,
    options: {
      backend: { type: 'string', default: 'webgpu' },
      batches: { type: 'string', default: '1,32,256' },
      seconds: { type: 'string', default: '2' },
      images: { type: 'string', default: '200' },
      batch: { type: 'string', default: '16' },
      out: { type: 'string', default: path.join(REPO, 'bench/results/gpu.json') },
    },
  });
  if (!(BACKENDS as readonly string[]).includes(values.backend)) throw new Error(`--backend ${values.backend}: expected one of ${BACKENDS.join(', ')}`);
  const lfwDir = path.resolve(REPO, '../shared/datasets/lfw-dev/images');
  if (!existsSync(lfwDir)) throw new Error(`${lfwDir}: lfw-dev not found (../shared/datasets)`);
  delete process.env.FACEFLOW_NODE_CACHE;
  const backend = await initBackend(values.backend as BackendName);
  console.log(`backend ${backend.name} (${backend.reason}); ${os.availableParallelism()} cores; load average ${os.loadavg()[0].toFixed(2)}`);
  if (backend.name !== values.backend) console.log(`${values.backend} could not start: the figures below are ${backend.name}'s`);
  const all = lfwImages(lfwDir);
  const n = Math.min(Number(values.images), all.length);
  const files = Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]);
  const images = files.map(readImage);
  const batch = Number(values.batch);

  // MobileFaceNet faces/s: real 112x112 crops of the images, tiled up to the largest batch
  const net = await loadMobileFaceNet(createNodeIO());
  const sizes = values.batches.split(',').map(Number);
  const crops = centreFaceCrops(images, 64);
  const faces: Record<number, number> = {};
  for (const b of sizes) {
    const x = tf.tidy(() => tf.slice(tf.tile(crops, [Math.ceil(b / crops.shape[0]), 1, 1, 1]), 0, b) as tf.Tensor4D);
    const once = async () => {
      const out = net.forward(x);
      await out.embeddings.data();
      tf.dispose([out.embeddings, out.featureMap]);
    };
    await once(); // shaders compile here
    let calls = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < Number(values.seconds) * 1000 || calls < 2) {
      await once();
      calls++;
    }
    faces[b] = (calls * b) / ((performance.now() - t0) / 1000);
    x.dispose();
    console.log(`MobileFaceNet batch ${b}: ${faces[b].toFixed(1)} faces/s`);
  }
  crops.dispose();

  // MTCNN per image, one image per call and `batch` per call
  const nets = await loadMtcnn(createNodeIO());
  const mtcnn: Record<number, number> = {};
  for (const b of [1, batch]) {
    await detectFacesBatch(nets, images.slice(0, b));
    const t0 = performance.now();
    let done = 0;
    for (let i = 0; i + b <= images.length; i += b, done += b) await detectFacesBatch(nets, images.slice(i, i + b));
    mtcnn[b] = (performance.now() - t0) / done;
    console.log(`MTCNN ${b} image(s) per call: ${mtcnn[b].toFixed(2)} ms per image`);
  }

  // end to end: this backend in-process with `batch` images in lockstep, against wasm on 2 worker threads
  const pipeline = await readPreset(E2E_PRESET);
  const plan = compileOrExplain(pipeline, E2E_PRESET, registry);
  const items = await fileRunItems(files.map((file) => ({ file, name: path.relative(lfwDir, file) })));
  const gpu = await embedItems(pipeline, plan, items, { backend: backend.name, workers: 1, batch, registry });
  const wasm = await embedItems(pipeline, plan, items, { backend: 'wasm', workers: 2, registry });
  const e2e = {
    images: n,
    [backend.name]: { seconds: gpu.run.seconds, images_per_second: n / gpu.run.seconds, batch, workers: 1 },
    wasm_2_workers: { seconds: wasm.run.seconds, images_per_second: n / wasm.run.seconds },
  };
  console.log(`\nend to end, ${n} lfw-dev images (${path.basename(E2E_PRESET)})`);
  console.log('| backend | workers | batch | seconds | images/s |\n|---|---|---|---|---|');
  console.log(`| ${backend.name} | 1 | ${batch} | ${gpu.run.seconds.toFixed(1)} | ${(n / gpu.run.seconds).toFixed(1)} |`);
  console.log(`| wasm | 2 | default | ${wasm.run.seconds.toFixed(1)} | ${(n / wasm.run.seconds).toFixed(1)} |`);

  const result = { date: new Date().toISOString(), backend, cores: os.availableParallelism(), load_average: os.loadavg(), mobilefacenet_faces_per_second: faces, mtcnn_ms_per_image: mtcnn, end_to_end: e2e };
  mkdirSync(path.dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), values.out!)}`);
  return result;
}
