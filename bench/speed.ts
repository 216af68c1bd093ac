import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { registry } from '../nodes/index.js';
import type { ImageValue } from '../src/graph/values.js';
import { progressBar } from '../src/cli/progress.js';
import { fileRunItems } from '../src/eval/datasets-nodejs.js';
import { embedItems } from '../src/eval/embed-items.js';
import { createNodeIO } from '../src/io/nodejs-io.js';
import { loadMobileFaceNet } from '../src/models/mobilefacenet/index.js';
import { detectFaces, detectFacesBatch, loadMtcnn, pyramidLevels, type MtcnnNets } from '../src/models/mtcnn/index.js';
import { initBackend } from '../src/runtime/backend.js';
import { compileOrExplain, readPreset } from '../src/runtime/preset.js';
import { nodejsHost } from '../src/runtime/nodejs-host.js';
import type { Plan } from '../src/graph/compile.js';
import type { RunItem } from '../src/graph/node-definition.js';
import type { Pipeline } from '../src/graph/schema.js';
import { centreFaceCrops, lfwImages, readImage } from './detect.js';
import { faceApiBaseline } from './faceapi-baseline.js';
import { describeSpeed, machineSpeed } from './machine.js';

/**
 * `npm run bench -- speed [--images 200] [--blocks 4] [--workers 2] [--profile 30] [--out file]`: issue 15's
 * speed figures, each as a ratio against a peer measured in the same run, on the same lfw-dev
 * images (250x250, spread evenly over the set):
 *  - MTCNN, one thread each: our cascade (tfjs-wasm, in this process) against facenet-pytorch's
 *    MTCNN (../shared/peers/facenet-pytorch-mtcnn, PyTorch CPU, T=1), median ms per image of the
 *    detector alone (images decoded beforehand on both sides, one warm-up image). The images are
 *    split into `--blocks` blocks timed in turn, ours then the peer on the same block, and the
 *    ratio is the median of the blocks' ratios: on a loaded machine each pair of medians is taken
 *    under about the same load. The peer is skipped with a message where
 *    `/usr/bin/python3 -c "import torch"` fails (Debian's python3-torch is not installed).
 *  - End to end (decode, MTCNN, align, MobileFaceNet with flip: presets/baseline-mtcnn-facenet.json)
 *    against face-api 1.7.15 (SSD + 68 landmarks + dlib ResNet), both on `--workers` worker
 *    threads, images/s from before the workers start to the last result.
 *  - The profile: for the first `--profile` images, every tfjs kernel of the cascade timed
 *    (tf.profile), split by stage (P-Net runs until the first crop, R-Net until the second) and
 *    by kind (convolution and dense, pooling, resampling, the rest); what is left of each stage's
 *    wall time is JavaScript (decoding maps, NMS, crop geometry) and per-op dispatch.
 * Prints tables and writes bench/results/speed.json.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PEER = path.resolve(REPO, '../shared/peers/facenet-pytorch-mtcnn');
const PYTHON = '/usr/bin/python3';
const E2E_PRESET = path.join(REPO, 'presets/baseline-mtcnn-facenet.json');

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** `n` lfw-dev images spread evenly over the sorted list (many identities, not the first few). */
function spreadImages(all: string[], n: number): string[] {
  if (n >= all.length) return all;
  return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]);
}

/** Our cascade's ms on each image (one warm-up image first, as time_dir.py does), stage ms and faces found. */
async function timeOurs(nets: MtcnnNets, images: ImageValue[]) {
  await detectFaces(nets, images[0]);
  const ms: number[] = [];
  const stage = { pnet: [] as number[], rnet: [] as number[], onet: [] as number[] };
  let found = 0;
  for (const img of images) {
    const t0 = performance.now();
    const r = await detectFaces(nets, img);
    ms.push(performance.now() - t0);
    stage.pnet.push(r.ms.pnet);
    stage.rnet.push(r.ms.rnet);
    stage.onet.push(r.ms.onet);
    if (r.faces.length) found++;
  }
  return { ms, stage, found };
}

/** As the CLI runs a folder (its default --batch 4 on wasm): ms per image of each call on 4 images. */
async function timeOursBatched(nets: MtcnnNets, images: ImageValue[], batch = 4): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i + batch <= images.length; i += batch) {
    const t0 = performance.now();
    await detectFacesBatch(nets, images.slice(i, i + batch));
    ms.push((performance.now() - t0) / batch);
  }
  return ms;
}

/** Ours and the peer in turn on each block of the images; the ratio is the median of the blocks' ratios. */
async function compareMtcnn(nets: MtcnnNets, files: string[], images: ImageValue[], blocks: number) {
  const size = Math.ceil(files.length / blocks);
  const ms: number[] = [];
  const stage = { pnet: [] as number[], rnet: [] as number[], onet: [] as number[] };
  let found = 0;
  const rows: { images: number; ours_median_ms: number; ours_batched_median_ms: number; peer_median_ms?: number; peer_found?: number; ratio?: number; batched_ratio?: number }[] = [];
  let skipped: string | undefined;
  for (let at = 0; at < files.length; at += size) {
    const ours = await timeOurs(nets, images.slice(at, at + size));
    ms.push(...ours.ms);
    for (const k of ['pnet', 'rnet', 'onet'] as const) stage[k].push(...ours.stage[k]);
    found += ours.found;
    const batched = await timeOursBatched(nets, images.slice(at, at + size));
    const peer = skipped ? undefined : timePeer(files.slice(at, at + size));
    if (peer && 'skipped' in peer) skipped = peer.skipped;
    const row = { images: ours.ms.length, ours_median_ms: median(ours.ms), ours_batched_median_ms: median(batched) };
    rows.push(peer && 'median_ms' in peer
      ? { ...row, peer_median_ms: peer.median_ms, peer_found: peer.found, ratio: peer.median_ms / row.ours_median_ms, batched_ratio: peer.median_ms / row.ours_batched_median_ms }
      : row);
    console.log(`block ${rows.length}: ours ${row.ours_median_ms.toFixed(1)} ms (4 per call ${row.ours_batched_median_ms.toFixed(1)})${peer && 'median_ms' in peer ? `, facenet-pytorch ${peer.median_ms.toFixed(1)} ms` : ''} (load ${os.loadavg()[0].toFixed(1)})`);
  }
  const ratios = rows.flatMap((r) => (r.ratio ? [r.ratio] : []));
  const batchedRatios = rows.flatMap((r) => (r.batched_ratio ? [r.batched_ratio] : []));
  return {
    images: ms.length, ours_median_ms: median(ms), ours_found: found / ms.length,
    stage_median_ms: { pnet: median(stage.pnet), rnet: median(stage.rnet), onet: median(stage.onet) },
    peer: skipped ? { skipped } : { median_of_block_medians_ms: median(rows.map((r) => r.peer_median_ms!)), torch: torchVersion() },
    blocks: rows, ratio_vs_peer: ratios.length ? median(ratios) : undefined,
    batched_ratio_vs_peer: batchedRatios.length ? median(batchedRatios) : undefined,
  };
}

type PeerResult = { n: number; median_ms: number; mean_ms: number; found: number };

/** facenet-pytorch's MTCNN on one thread over a folder of links to the images, or why it cannot run. */
function timePeer(files: string[]): PeerResult | { skipped: string } {
  if (!existsSync(path.join(PEER, 'time_dir.py'))) return { skipped: `${PEER}/time_dir.py not found` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch, PIL'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = (probe.stderr || probe.error?.message || '').trim().split('\n').pop();
    return { skipped: `${PYTHON} cannot import torch and PIL (${why}); apt-get install python3-torch python3-pil to measure the peer` };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faceflow-speed-'));
  try {
    // time_dir.py reads the folder in sorted order: number the links so it keeps ours
    files.forEach((f, i) => symlinkSync(f, path.join(dir, `${String(i).padStart(5, '0')}${path.extname(f)}`)));
    const threads = { T: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const run = spawnSync(PYTHON, [path.join(PEER, 'time_dir.py'), dir], { encoding: 'utf8', env: { ...process.env, ...threads } });
    if (run.status !== 0) throw new Error(`facenet-pytorch MTCNN failed: ${run.stderr.trim().split('\n').pop()}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as PeerResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Cross-image batching on one thread: MTCNN ms per image with `b` images per call (same-size
 * images go through each stage together) and MobileFaceNet ms per face with `b` faces per call
 * (real 112x112 crops of the images), the sizes interleaved over `reps` rounds, medians.
 */
async function timeBatching(nets: MtcnnNets, images: ImageValue[], reps = 3) {
  const mtcnnSizes = [1, 4, 8, 16];
  const faceSizes = [2, 8, 32];
  const net = await loadMobileFaceNet(createNodeIO());
  const faces = centreFaceCrops(images, 32);
  const mtcnn: Record<number, number[]> = Object.fromEntries(mtcnnSizes.map((b) => [b, []]));
  const face: Record<number, number[]> = Object.fromEntries(faceSizes.map((b) => [b, []]));
  await detectFacesBatch(nets, images.slice(0, 4));
  for (let r = 0; r < reps; r++) {
    for (const b of mtcnnSizes) {
      const t0 = performance.now();
      for (let i = 0; i + b <= images.length; i += b) await detectFacesBatch(nets, images.slice(i, i + b));
      mtcnn[b].push((performance.now() - t0) / (images.length - (images.length % b)));
    }
    for (const b of faceSizes) {
      const x = tf.slice(faces, 0, b);
      const t0 = performance.now();
      for (let k = 0; k < 4; k++) {
        const out = net.forward(x);
        await out.embeddings.data();
        tf.dispose([out.embeddings, out.featureMap]);
      }
      face[b].push((performance.now() - t0) / (4 * b));
      x.dispose();
    }
  }
  faces.dispose();
  const med = (m: Record<number, number[]>) => Object.fromEntries(Object.entries(m).map(([b, v]) => [b, median(v)]));
  return { mtcnn_ms_per_image: med(mtcnn), mobilefacenet_ms_per_face: med(face) };
}

/**
 * Our rate once warm, as face-api's steady rate is taken: worker threads started and one chunk
 * each run (models loaded, first calls made), then the other images timed on the same threads.
 */
async function steadyRate(pipeline: Pipeline, plan: Plan, items: RunItem[], workers: number): Promise<number> {
  const pool = await nodejsHost({ backend: 'wasm' }).startPool!(workers, registry);
  try {
    const warm = workers * 4; // the pool deals chunks of 4: one to each thread
    await embedItems(pipeline, plan, items.slice(0, warm), { backend: 'wasm', pool, registry });
    const t0 = performance.now();
    await embedItems(pipeline, plan, items.slice(warm), { backend: 'wasm', pool, registry });
    return (items.length - warm) / ((performance.now() - t0) / 1000);
  } finally {
    await pool.close();
  }
}

/** MTCNN's convolutions: [name, input [n, h, w, c], kernel size, output channels], at the shapes of a 250x250 image. */
const CONV_LAYERS: [string, [number, number, number, number], number, number][] = [
  ['P-Net conv1 (150x150 level)', [1, 150, 150, 3], 3, 10],
  ['P-Net conv2', [1, 74, 74, 10], 3, 16],
  ['P-Net conv3', [1, 72, 72, 16], 3, 32],
  ['R-Net conv1 (48 crops)', [48, 24, 24, 3], 3, 28],
  ['R-Net conv2', [48, 11, 11, 28], 3, 48],
  ['O-Net conv1 (8 crops)', [8, 48, 48, 3], 3, 32],
  ['O-Net conv2', [8, 23, 23, 32], 3, 64],
  ['O-Net conv3', [8, 10, 10, 64], 3, 64],
];

const convFlops = ([n, h, w, c]: number[], k: number, out: number) => 2 * n * (h - k + 1) * (w - k + 1) * out * k * k * c;

/**
 * What the cascade's convolutions cost at most speed: each layer's rate (GFLOP/s, fused conv +
 * bias + PReLU as the nets run it, median of 20), and the conv arithmetic of an average image
 * (its pyramid, and R-Net's and O-Net's crop counts over `images`) at the best of those rates.
 */
async function convCeiling(nets: MtcnnNets, images: ImageValue[]) {
  const layers = [];
  for (const [name, shape, k, out] of CONV_LAYERS) {
    const x = tf.randomUniform(shape) as tf.Tensor4D;
    const filter = tf.randomNormal([k, k, shape[3], out], 0, 0.1) as tf.Tensor4D;
    const bias = tf.zeros([out]) as tf.Tensor1D;
    const alpha = tf.fill([out], 0.25) as tf.Tensor1D;
    const ms: number[] = [];
    for (let r = 0; r < 23; r++) {
      const t0 = performance.now();
      const y = tf.fused.conv2d({ x, filter, strides: 1, pad: 'valid', bias, activation: 'prelu', preluActivationWeights: alpha });
      await y.data();
      y.dispose();
      if (r >= 3) ms.push(performance.now() - t0);
    }
    tf.dispose([x, filter, bias, alpha]);
    layers.push({ layer: name, ms: median(ms), gflops: convFlops(shape, k, out) / median(ms) / 1e6 });
  }
  // conv arithmetic per image: every pyramid level's P-Net, then 3 MFLOP per R-Net crop and 26 per O-Net crop
  const pnetFlops = (w: number, h: number) => {
    const [a, b] = [w - 2, h - 2];
    const [pw, ph] = [Math.ceil(a / 2), Math.ceil(b / 2)];
    return convFlops([1, w, h, 3], 3, 10) + convFlops([1, pw, ph, 10], 3, 16) + convFlops([1, pw - 2, ph - 2, 16], 3, 32) + 2 * (pw - 4) * (ph - 4) * 32 * 5;
  };
  const rnetCrop = convFlops([1, 24, 24, 3], 3, 28) + convFlops([1, 11, 11, 28], 3, 48) + convFlops([1, 4, 4, 48], 2, 64) + 2 * (576 * 128 + 128 * 5);
  const onetCrop = convFlops([1, 48, 48, 3], 3, 32) + convFlops([1, 23, 23, 32], 3, 64) + convFlops([1, 10, 10, 64], 3, 64) + convFlops([1, 4, 4, 64], 2, 128) + 2 * (1152 * 256 + 256 * 15);
  let flops = 0;
  for (const img of images) {
    const r = await detectFaces(nets, img);
    flops += pyramidLevels(img.width, img.height).filter((l) => l.width >= 12 && l.height >= 12).reduce((s, l) => s + pnetFlops(l.width, l.height), 0);
    flops += r.funnel.pnetNms * rnetCrop + r.funnel.rnetNms * onetCrop;
  }
  const best = Math.max(...layers.map((l) => l.gflops));
  const perImage = flops / images.length;
  return { layers, mflop_per_image: perImage / 1e6, best_gflops: best, floor_ms: perImage / best / 1e6 };
}

const KINDS: [string, RegExp][] = [
  ['conv', /Conv2D|MatMul/],
  ['pool', /Pool/],
  ['resample', /Resize|CropAndResize/],
];

/** Kernel ms per stage and kind, and each stage's wall ms, averaged over the images. */
async function profileCascade(nets: MtcnnNets, images: ImageValue[]) {
  const stages = ['pnet', 'rnet', 'onet'] as const;
  const sum = Object.fromEntries(stages.map((s) => [s, { wall: 0, conv: 0, pool: 0, resample: 0, other: 0 }]));
  for (const img of images) {
    let ms = { pnet: 0, rnet: 0, onet: 0 };
    const info = await tf.profile(async () => {
      ms = (await detectFaces(nets, img)).ms;
    });
    let stage = 0;
    // kernels only (tf.profile also lists each op around its kernel, named `<op>__op`)
    for (const k of info.kernels.filter((x) => !x.name.endsWith('__op'))) {
      if (k.name === 'CropAndResize') stage++;
      const kind = KINDS.find(([, re]) => re.test(k.name))?.[0] ?? 'other';
      (sum[stages[Math.min(stage, 2)]] as Record<string, number>)[kind] += Number(k.kernelTimeMs) || 0;
    }
    for (const s of stages) sum[s].wall += ms[s];
  }
  return Object.fromEntries(stages.map((s) => {
    const m = Object.fromEntries(Object.entries(sum[s]).map(([k, v]) => [k, v / images.length])) as typeof sum.pnet;
    return [s, { ...m, js_and_dispatch: Math.max(0, m.wall - m.conv - m.pool - m.resample - m.other) }];
  }));
}

export async function benchSpeed(args: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args,
    options: {
      images: { type: 'string', default: '200' },
      workers: { type: 'string', default: '2' },
      profile: { type: 'string', default: '30' },
      blocks: { type: 'string', default: '4' },
      out: { type: 'string', default: path.join(REPO, 'bench/results/speed.json') },
    },
  });
  const lfwDir = path.resolve(REPO, '../shared/datasets/lfw-dev/images');
  if (!existsSync(lfwDir)) throw new Error(`${lfwDir}: lfw-dev not found (../shared/datasets)`);
  // a disk cache would turn the end-to-end run into cache reads
  delete process.env.FACEFLOW_NODE_CACHE;
  const workers = Number(values.workers);
  const files = spreadImages(lfwImages(lfwDir), Number(values.images));
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`${files.length} lfw-dev images; ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? ''}); load average ${load()}`);

  await initBackend('wasm');
  const machineBefore = await machineSpeed();
  const nets = await loadMtcnn(createNodeIO());
  const decoded = files.map(readImage);
  const mtcnn = await compareMtcnn(nets, files, decoded, Math.max(1, Number(values.blocks)));
  const batching = await timeBatching(nets, decoded.slice(0, 48));
  const ceiling = await convCeiling(nets, decoded.slice(0, 40));
  const profileCount = Math.min(Number(values.profile), decoded.length);
  const profile = profileCount > 0 ? await profileCascade(nets, decoded.slice(0, profileCount)) : undefined;

  const pipeline = await readPreset(E2E_PRESET);
  const plan = compileOrExplain(pipeline, E2E_PRESET, registry);
  const items = await fileRunItems(files.map((file) => ({ file, name: path.relative(lfwDir, file) })));
  const ours = await embedItems(pipeline, plan, items, { backend: 'wasm', workers, registry, onItems: progressBar('ours') });
  const steady = await steadyRate(pipeline, plan, items, workers);
  const faceapi = await faceApiBaseline(files, workers, progressBar('face-api'));
  const machineAfter = await machineSpeed();

  const oursIps = files.length / ours.run.seconds;
  const perNode = Object.fromEntries(Object.entries(ours.run.timings).map(([id, t]) => [id, t.runs ? t.ms / t.runs : 0]));
  const e2e = {
    workers, images: files.length,
    ours: { seconds: ours.run.seconds, images_per_second: oursIps, steady_images_per_second: steady, failed_detections: ours.items.filter((i) => i.failedDetection).length, node_ms_per_image: perNode },
    faceapi: { seconds: faceapi.seconds, images_per_second: faceapi.images_per_second, steady_images_per_second: faceapi.steady_images_per_second, failed_detections: faceapi.failed_detections },
    ratio_vs_faceapi: oursIps / faceapi.images_per_second,
    steady_ratio_vs_faceapi: steady / faceapi.steady_images_per_second,
  };

  console.log(`before: ${describeSpeed(machineBefore)}\nafter:  ${describeSpeed(machineAfter)}\nload average at the end ${load()}`);
  console.log(`\nMTCNN, one thread, ${files.length} images 250x250 (median ms per image)`);
  console.log('| block | images | ours ms | ours, 4 per call | facenet-pytorch ms | ratio | ratio, 4 per call |\n|---|---|---|---|---|---|---|');
  mtcnn.blocks.forEach((b, i) => console.log(`| ${i + 1} | ${b.images} | ${b.ours_median_ms.toFixed(1)} | ${b.ours_batched_median_ms.toFixed(1)} | ${b.peer_median_ms?.toFixed(1) ?? '-'} | ${b.ratio?.toFixed(2) ?? '-'} | ${b.batched_ratio?.toFixed(2) ?? '-'} |`));
  if ('skipped' in mtcnn.peer) console.log(`facenet-pytorch skipped: ${mtcnn.peer.skipped}`);
  else console.log(`MTCNN: ours ${mtcnn.ratio_vs_peer!.toFixed(2)}x facenet-pytorch's speed one image per call, ${mtcnn.batched_ratio_vs_peer!.toFixed(2)}x with 4 per call (medians of the blocks' ratios; torch ${mtcnn.peer.torch})`);
  console.log(`images with a face: ours ${mtcnn.ours_found.toFixed(3)}${mtcnn.blocks[0]?.peer_found !== undefined ? `, facenet-pytorch ${median(mtcnn.blocks.map((b) => b.peer_found!)).toFixed(3)} (median over blocks)` : ''}`);
  const st = mtcnn.stage_median_ms;
  console.log(`stage medians (ours): P-Net ${st.pnet.toFixed(1)} ms, R-Net ${st.rnet.toFixed(1)} ms, O-Net ${st.onet.toFixed(1)} ms`);
  console.log('\nMTCNN convolutions, one thread (fused conv + bias + PReLU, median ms)');
  console.log('| layer | ms | GFLOP/s |\n|---|---|---|');
  for (const l of ceiling.layers) console.log(`| ${l.layer} | ${l.ms.toFixed(2)} | ${l.gflops.toFixed(1)} |`);
  console.log(`conv arithmetic per image: ${ceiling.mflop_per_image.toFixed(0)} MFLOP; at the best rate above (${ceiling.best_gflops.toFixed(1)} GFLOP/s) ${ceiling.floor_ms.toFixed(1)} ms`);
  console.log('\ncross-image batching, one thread (median ms)');
  console.log(`| MTCNN images per call | ${Object.keys(batching.mtcnn_ms_per_image).join(' | ')} |\n|---|${'---|'.repeat(Object.keys(batching.mtcnn_ms_per_image).length)}`);
  console.log(`| ms per image | ${Object.values(batching.mtcnn_ms_per_image).map((v) => v.toFixed(2)).join(' | ')} |`);
  console.log(`| MobileFaceNet faces per call | ${Object.keys(batching.mobilefacenet_ms_per_face).join(' | ')} |\n|---|${'---|'.repeat(Object.keys(batching.mobilefacenet_ms_per_face).length)}`);
  console.log(`| ms per face | ${Object.values(batching.mobilefacenet_ms_per_face).map((v) => v.toFixed(2)).join(' | ')} |`);
  if (profile) {
    console.log(`\nprofile over ${profileCount} images, ms per image (tf.profile adds its own overhead)`);
    console.log('| stage | wall | conv+dense | pool | resample | other kernels | JS + dispatch |\n|---|---|---|---|---|---|---|');
    for (const [s, p] of Object.entries(profile)) console.log(`| ${s} | ${[p.wall, p.conv, p.pool, p.resample, p.other, p.js_and_dispatch].map((v) => v.toFixed(2)).join(' | ')} |`);
  }
  console.log(`\nend to end (decode, MTCNN, align, MobileFaceNet + flip), ${workers} workers each, ${files.length} images`);
  console.log('| pipeline | seconds | images/s | failed det. | x face-api | images/s once warm | x face-api once warm |\n|---|---|---|---|---|---|---|');
  console.log(`| ours (${path.basename(E2E_PRESET)}) | ${ours.run.seconds.toFixed(1)} | ${oursIps.toFixed(1)} | ${e2e.ours.failed_detections} | ${e2e.ratio_vs_faceapi.toFixed(2)} | ${steady.toFixed(1)} | ${e2e.steady_ratio_vs_faceapi.toFixed(2)} |`);
  console.log(`| face-api 1.7.15 | ${faceapi.seconds.toFixed(1)} | ${faceapi.images_per_second.toFixed(1)} | ${faceapi.failed_detections} | 1.00 | ${faceapi.steady_images_per_second.toFixed(1)} | 1.00 |`);
  console.log(`our per-node ms per image (summed over workers): ${Object.entries(perNode).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);

  const result = {
    date: new Date().toISOString(), cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, load_average_end: os.loadavg(),
    machine: { before: machineBefore, after: machineAfter }, mtcnn, conv_ceiling: ceiling, batching, profile, end_to_end: e2e,
  };
  mkdirSync(path.dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), values.out!)}`);
  return result;
}

function torchVersion(): string {
  return spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
}
