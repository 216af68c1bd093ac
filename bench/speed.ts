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
import {
  detectFaces, detectFacesBatch, loadMtcnn, pyramidLevels, readMtcnnLayers, SimdNet, TfNet,
  type FaceDetection, type MtcnnNets,
} from '../src/models/mtcnn/index.js';
import { type CnnLayer, SimdCnn } from '../src/wasm/cnn.js';
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
 * `npm run bench -- speed [--images 200] [--blocks 4] [--workers 2] [--profile 30] [--skip-e2e] [--out file]`:
 * issue 15's speed figures, each as a ratio against a peer measured in the same run, on the same
 * lfw-dev images (250x250, spread evenly over the set):
 *  - MTCNN, one thread each: our cascade (in this process, on its default engine: generated SIMD
 *    kernels on wasm) against our cascade on tfjs ops (TfNet, from the same layers) and
 *    facenet-pytorch's MTCNN (../shared/peers/facenet-pytorch-mtcnn, PyTorch CPU, T=1), median ms
 *    per image of the detector alone (images decoded beforehand, one warm-up image). The images
 *    are split into `--blocks` blocks timed in turn, each engine then the peer on the same block,
 *    and each ratio is the median of the blocks' ratios: on a loaded machine each block's medians
 *    are taken under about the same load. The peer is skipped with a message where
 *    `/usr/bin/python3 -c "import torch"` fails (Debian's python3-torch is not installed).
 *  - Each conv and dense layer alone on both engines (GFLOP/s), and the time an image's conv and
 *    dense arithmetic takes at those rates.
 *  - End to end (decode, MTCNN, align, MobileFaceNet with flip: presets/baseline-mtcnn-facenet.json)
 *    against face-api 1.7.15 (SSD + 68 landmarks + dlib ResNet), both on `--workers` worker
 *    threads, images/s from before the workers start to the last result (`--skip-e2e` leaves it out).
 *  - The profile of the first `--profile` images: per stage, the nets' time, tfjs' resampling and
 *    other kernels, and the rest (JavaScript, copies).
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

/** One engine's cascade on each image (one warm-up image first, as time_dir.py does): ms, stage ms, the faces found. */
async function timeCascade(nets: MtcnnNets, images: ImageValue[]) {
  await detectFaces(nets, images[0]);
  const ms: number[] = [];
  const stage = { pnet: [] as number[], rnet: [] as number[], onet: [] as number[] };
  const faces: FaceDetection[][] = [];
  for (const img of images) {
    const t0 = performance.now();
    const r = await detectFaces(nets, img);
    ms.push(performance.now() - t0);
    for (const k of NETS) stage[k].push(r.ms[k]);
    faces.push(r.faces);
  }
  return { ms, stage, faces };
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

/**
 * Ours (the default engine), ours on tfjs ops and the peer in turn on each block of the images;
 * each ratio is the median of the blocks' ratios.
 */
async function compareMtcnn(nets: MtcnnNets, tfjsNets: MtcnnNets, files: string[], images: ImageValue[], blocks: number) {
  const size = Math.ceil(files.length / blocks);
  const ms: number[] = [];
  const stage = { pnet: [] as number[], rnet: [] as number[], onet: [] as number[] };
  let found = 0;
  let identical = 0;
  const rows: {
    images: number; ours_median_ms: number; ours_batched_median_ms: number; tfjs_ops_median_ms: number; engine_ratio: number;
    peer_median_ms?: number; peer_found?: number; ratio?: number; batched_ratio?: number;
  }[] = [];
  let skipped: string | undefined;
  for (let at = 0; at < files.length; at += size) {
    const block = images.slice(at, at + size);
    const ours = await timeCascade(nets, block);
    ms.push(...ours.ms);
    for (const k of NETS) stage[k].push(...ours.stage[k]);
    found += ours.faces.filter((f) => f.length).length;
    const batched = await timeOursBatched(nets, block);
    const tfjs = await timeCascade(tfjsNets, block);
    identical += tfjs.faces.filter((f, i) => JSON.stringify(f) === JSON.stringify(ours.faces[i])).length;
    const peer = skipped ? undefined : timePeer(files.slice(at, at + size));
    if (peer && 'skipped' in peer) skipped = peer.skipped;
    const row = {
      images: ours.ms.length, ours_median_ms: median(ours.ms), ours_batched_median_ms: median(batched),
      tfjs_ops_median_ms: median(tfjs.ms), engine_ratio: median(tfjs.ms) / median(ours.ms),
    };
    rows.push(peer && 'median_ms' in peer
      ? { ...row, peer_median_ms: peer.median_ms, peer_found: peer.found, ratio: peer.median_ms / row.ours_median_ms, batched_ratio: peer.median_ms / row.ours_batched_median_ms }
      : row);
    console.log(`block ${rows.length}: ours ${row.ours_median_ms.toFixed(1)} ms (4 per call ${row.ours_batched_median_ms.toFixed(1)}), tfjs ops ${row.tfjs_ops_median_ms.toFixed(1)} ms${peer && 'median_ms' in peer ? `, facenet-pytorch ${peer.median_ms.toFixed(1)} ms` : ''} (load ${os.loadavg()[0].toFixed(1)})`);
  }
  const ratios = rows.flatMap((r) => (r.ratio ? [r.ratio] : []));
  const batchedRatios = rows.flatMap((r) => (r.batched_ratio ? [r.batched_ratio] : []));
  return {
    engine: nets.pnet instanceof SimdNet ? 'SIMD' : 'tfjs-ops', images: ms.length, ours_median_ms: median(ms), ours_found: found / ms.length,
    stage_median_ms: { pnet: median(stage.pnet), rnet: median(stage.rnet), onet: median(stage.onet) },
    tfjs_ops: { median_of_block_medians_ms: median(rows.map((r) => r.tfjs_ops_median_ms)), same_detections_fraction: identical / ms.length },
    peer: skipped ? { skipped } : { median_of_block_medians_ms: median(rows.map((r) => r.peer_median_ms!)), torch: torchVersion() },
    blocks: rows, ratio_vs_tfjs_ops: median(rows.map((r) => r.engine_ratio)),
    ratio_vs_peer: ratios.length ? median(ratios) : undefined,
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

type NetName = keyof MtcnnNets;
const NETS: NetName[] = ['pnet', 'rnet', 'onet'];
const NET_LABEL: Record<NetName, string> = { pnet: 'P-Net', rnet: 'R-Net', onet: 'O-Net' };

/** Multiply-adds x 2 of each layer of a net on [n, h, w, 3] (0 for a pool), from the SIMD engine's shapes. */
function layerFlops(layers: CnnLayer[], cnn: SimdCnn, n: number, h: number, w: number): number[] {
  const shapes = cnn.shapes(n, h, w);
  return layers.map((l, i) => {
    if (l.op === 'pool') return 0;
    const perOutput = l.op === 'conv' ? l.shape[0] * l.shape[1] * l.shape[2] : l.shape[0];
    return 2 * shapes[i + 1].reduce((a, b) => a * b, 1) * perOutput;
  });
}

/** Median ms of each call over `reps` rounds after 3 warm-up rounds, the calls taken in turn in each round (so under about the same load). */
async function medianMs(calls: (() => unknown)[], reps = 20): Promise<number[]> {
  const ms = calls.map((): number[] => []);
  for (let r = 0; r < reps + 3; r++) {
    for (const [k, call] of calls.entries()) {
      const t0 = performance.now();
      await call();
      if (r >= 3) ms[k].push(performance.now() - t0);
    }
  }
  return ms.map(median);
}

/**
 * Each conv and dense layer of the three nets alone, on both engines, at the shapes it runs at for
 * these images (P-Net: the first pyramid level; R-Net and O-Net: the median crop counts):
 * tfjs ops (a TfNet of that layer: fused conv or matMul + bias + PReLU, read back) and the
 * generated SIMD kernel (a SimdCnn of that layer, `run`), ms and GFLOP/s. Then the conv and dense
 * arithmetic of an average image (its whole pyramid, its own crop counts), and what it takes at
 * each layer's own rate on either engine: the time the nets would take with nothing else.
 */
async function layerRates(layers: Record<NetName, CnnLayer[]>, nets: MtcnnNets, images: ImageValue[]) {
  // R-Net crops the candidates left after P-Net's NMS, O-Net those after R-Net's
  const crops: { rnet: number; onet: number }[] = [];
  for (const img of images) {
    const { funnel } = await detectFaces(nets, img);
    crops.push({ rnet: funnel.pnetNms, onet: funnel.rnetNms });
  }
  const first = pyramidLevels(images[0].width, images[0].height)[0];
  const inputs: Record<NetName, [number, number, number]> = {
    pnet: [1, first.height, first.width],
    rnet: [Math.max(1, Math.round(median(crops.map((c) => c.rnet)))), 24, 24],
    onet: [Math.max(1, Math.round(median(crops.map((c) => c.onet)))), 48, 48],
  };
  const cnns = Object.fromEntries(await Promise.all(NETS.map(async (k) => [k, await SimdCnn.compile(layers[k], 3)] as const))) as Record<NetName, SimdCnn>;
  const rows = [];
  // GFLOP/s of each engine, by net and layer index
  const rates = { simd: {} as Record<string, number>, tfjs: {} as Record<string, number> };
  for (const net of NETS) {
    const shapes = cnns[net].shapes(...inputs[net]);
    const flops = layerFlops(layers[net], cnns[net], ...inputs[net]);
    let convs = 0;
    for (const [i, layer] of layers[net].entries()) {
      if (layer.op === 'pool') continue;
      const [n, h, w, c] = shapes[i];
      const x = tf.randomUniform([n, h, w, c], 0, 1) as tf.Tensor4D;
      const data = x.dataSync() as Float32Array;
      const ops = new TfNet([layer]);
      const simd = await SimdCnn.compile([layer], c);
      const [tfjsMs, simdMs] = await medianMs([
        async () => {
          const y = ops.forward(x);
          await y.data();
          y.dispose();
        },
        () => simd.run(data, n, h, w),
      ]);
      ops.dispose();
      x.dispose();
      const [kh, kw, cin, cout] = layer.op === 'conv' ? layer.shape : [1, 1, layer.shape[0], layer.shape[1]];
      const name = `${NET_LABEL[net]} ${layer.op === 'conv' ? `conv${++convs} ${kh}x${kw}` : 'dense'} ${cin}->${cout}${layer.alpha ? '' : ' (no PReLU)'}`;
      rates.tfjs[net + i] = flops[i] / tfjsMs / 1e6;
      rates.simd[net + i] = flops[i] / simdMs / 1e6;
      rows.push({
        layer: name, input: `${n} x ${h}x${w}x${c}`, mflop: flops[i] / 1e6,
        tfjs_ms: tfjsMs, tfjs_gflops: rates.tfjs[net + i], simd_ms: simdMs, simd_gflops: rates.simd[net + i],
      });
    }
  }
  // per image: every layer's arithmetic at that layer's rate, P-Net over the image's whole pyramid
  const sum = { mflop: 0, simd_ms: 0, tfjs_ms: 0 };
  images.forEach((img, k) => {
    const runs: [NetName, number, number, number][] = [
      ...pyramidLevels(img.width, img.height).filter((l) => l.width >= 12 && l.height >= 12).map((l): [NetName, number, number, number] => ['pnet', 1, l.height, l.width]),
      ['rnet', crops[k].rnet, 24, 24],
      ['onet', crops[k].onet, 48, 48],
    ];
    for (const [net, n, h, w] of runs) {
      if (!n) continue;
      layerFlops(layers[net], cnns[net], n, h, w).forEach((f, i) => {
        if (!f) return;
        sum.mflop += f / 1e6;
        sum.simd_ms += f / rates.simd[net + i] / 1e6;
        sum.tfjs_ms += f / rates.tfjs[net + i] / 1e6;
      });
    }
  });
  const perImage = Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / images.length])) as typeof sum;
  return {
    layers: rows, crops_median: { rnet: inputs.rnet[0], onet: inputs.onet[0] },
    per_image: { mflop: perImage.mflop, at_simd_rates_ms: perImage.simd_ms, at_tfjs_rates_ms: perImage.tfjs_ms },
  };
}

const RESAMPLE = /Resize|CropAndResize/;
/** The nets' own kernels on the tfjs-ops engine (none run on the SIMD engine, whose time is SimdNet.elapsedMs). */
const NET_KERNELS = /Conv2D|MatMul|Pool|Prelu/;

/**
 * Per stage, ms per image: its wall time (the detector's own), the nets (the SIMD kernels'
 * SimdNet.elapsedMs; on the tfjs-ops engine their conv, matMul and pool kernels), resampling
 * (tfjs' resize and crop kernels, tf.profile), the other tfjs kernels, and the rest: JavaScript
 * (map decoding, NMS, crop geometry), copies between tensors and the kernels' memory, dispatch.
 * A tfjs kernel's stage: P-Net until the first 24x24 crop, R-Net until the first 48x48 crop.
 */
async function profileCascade(nets: MtcnnNets, images: ImageValue[]) {
  const zero = () => ({ wall: 0, nets: 0, resample: 0, other_kernels: 0 });
  const sum = { pnet: zero(), rnet: zero(), onet: zero() };
  const simdMs = (k: NetName) => (nets[k] instanceof SimdNet ? nets[k].elapsedMs : 0);
  for (const img of images) {
    let ms = { pnet: 0, rnet: 0, onet: 0 };
    const before = NETS.map(simdMs);
    const info = await tf.profile(async () => {
      ms = (await detectFaces(nets, img)).ms;
    });
    NETS.forEach((k, i) => (sum[k].nets += simdMs(k) - before[i]));
    let stage = 0;
    // kernels only (tf.profile also lists each op around its kernel, named `<op>__op`)
    for (const k of info.kernels.filter((x) => !x.name.endsWith('__op'))) {
      if (k.name === 'CropAndResize') stage = Math.max(stage, k.outputShapes[0][1] === 24 ? 1 : 2);
      const kind = RESAMPLE.test(k.name) ? 'resample' : NET_KERNELS.test(k.name) ? 'nets' : 'other_kernels';
      sum[NETS[stage]][kind] += Number(k.kernelTimeMs) || 0;
    }
    for (const s of NETS) sum[s].wall += ms[s];
  }
  return Object.fromEntries(NETS.map((s) => {
    const m = Object.fromEntries(Object.entries(sum[s]).map(([k, v]) => [k, v / images.length])) as ReturnType<typeof zero>;
    return [s, { ...m, rest: Math.max(0, m.wall - m.nets - m.resample - m.other_kernels) }];
  })) as Record<NetName, ReturnType<typeof zero> & { rest: number }>;
}

export async function benchSpeed(args: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args,
    options: {
      images: { type: 'string', default: '200' },
      workers: { type: 'string', default: '2' },
      profile: { type: 'string', default: '30' },
      blocks: { type: 'string', default: '4' },
      'skip-e2e': { type: 'boolean', default: false },
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
  const layers = await readMtcnnLayers(createNodeIO());
  const tfjsNets: MtcnnNets = { pnet: new TfNet(layers.pnet), rnet: new TfNet(layers.rnet), onet: new TfNet(layers.onet) };
  const decoded = files.map(readImage);
  const mtcnn = await compareMtcnn(nets, tfjsNets, files, decoded, Math.max(1, Number(values.blocks)));
  for (const k of NETS) tfjsNets[k].dispose();
  const batching = await timeBatching(nets, decoded.slice(0, 48));
  const rates = await layerRates(layers, nets, decoded.slice(0, 40));
  const profileCount = Math.min(Number(values.profile), decoded.length);
  const profile = profileCount > 0 ? await profileCascade(nets, decoded.slice(0, profileCount)) : undefined;
  const e2e = values['skip-e2e'] ? undefined : await endToEnd(files, lfwDir, workers);
  const machineAfter = await machineSpeed();

  console.log(`before: ${describeSpeed(machineBefore)}\nafter:  ${describeSpeed(machineAfter)}\nload average at the end ${load()}`);
  console.log(`\nMTCNN, one thread, ${files.length} images 250x250 (median ms per image); ours: the default engine (${mtcnn.engine}), and our cascade on tfjs ops`);
  console.log('| block | images | ours ms | ours, 4 per call | ours on tfjs ops ms | x tfjs ops | facenet-pytorch ms | ratio | ratio, 4 per call |\n|---|---|---|---|---|---|---|---|---|');
  mtcnn.blocks.forEach((b, i) => console.log(`| ${i + 1} | ${b.images} | ${b.ours_median_ms.toFixed(1)} | ${b.ours_batched_median_ms.toFixed(1)} | ${b.tfjs_ops_median_ms.toFixed(1)} | ${b.engine_ratio.toFixed(2)} | ${b.peer_median_ms?.toFixed(1) ?? '-'} | ${b.ratio?.toFixed(2) ?? '-'} | ${b.batched_ratio?.toFixed(2) ?? '-'} |`));
  console.log(`${mtcnn.engine} engine ${mtcnn.ratio_vs_tfjs_ops.toFixed(2)}x the tfjs-ops engine's speed (median of the blocks' ratios); the same detections on ${(100 * mtcnn.tfjs_ops.same_detections_fraction).toFixed(1)}% of the images`);
  if ('skipped' in mtcnn.peer) console.log(`facenet-pytorch skipped: ${mtcnn.peer.skipped}`);
  else console.log(`MTCNN: ours ${mtcnn.ratio_vs_peer!.toFixed(2)}x facenet-pytorch's speed one image per call, ${mtcnn.batched_ratio_vs_peer!.toFixed(2)}x with 4 per call (medians of the blocks' ratios; torch ${mtcnn.peer.torch})`);
  console.log(`images with a face: ours ${mtcnn.ours_found.toFixed(3)}${mtcnn.blocks[0]?.peer_found !== undefined ? `, facenet-pytorch ${median(mtcnn.blocks.map((b) => b.peer_found!)).toFixed(3)} (median over blocks)` : ''}`);
  const st = mtcnn.stage_median_ms;
  console.log(`stage medians (ours): P-Net ${st.pnet.toFixed(1)} ms, R-Net ${st.rnet.toFixed(1)} ms, O-Net ${st.onet.toFixed(1)} ms`);
  console.log(`\nMTCNN's conv and dense layers alone, one thread (median ms; R-Net on ${rates.crops_median.rnet} crops, O-Net on ${rates.crops_median.onet})`);
  console.log('| layer | input | MFLOP | tfjs ops ms | tfjs ops GFLOP/s | SIMD kernel ms | SIMD kernel GFLOP/s |\n|---|---|---|---|---|---|---|');
  for (const l of rates.layers) console.log(`| ${l.layer} | ${l.input} | ${l.mflop.toFixed(1)} | ${l.tfjs_ms.toFixed(2)} | ${l.tfjs_gflops.toFixed(1)} | ${l.simd_ms.toFixed(2)} | ${l.simd_gflops.toFixed(1)} |`);
  const pi = rates.per_image;
  console.log(`conv + dense arithmetic per image: ${pi.mflop.toFixed(0)} MFLOP; at each layer's rate above ${pi.at_simd_rates_ms.toFixed(1)} ms on the SIMD kernels, ${pi.at_tfjs_rates_ms.toFixed(1)} ms on tfjs ops`);
  console.log('\ncross-image batching, one thread (median ms)');
  console.log(`| MTCNN images per call | ${Object.keys(batching.mtcnn_ms_per_image).join(' | ')} |\n|---|${'---|'.repeat(Object.keys(batching.mtcnn_ms_per_image).length)}`);
  console.log(`| ms per image | ${Object.values(batching.mtcnn_ms_per_image).map((v) => v.toFixed(2)).join(' | ')} |`);
  console.log(`| MobileFaceNet faces per call | ${Object.keys(batching.mobilefacenet_ms_per_face).join(' | ')} |\n|---|${'---|'.repeat(Object.keys(batching.mobilefacenet_ms_per_face).length)}`);
  console.log(`| ms per face | ${Object.values(batching.mobilefacenet_ms_per_face).map((v) => v.toFixed(2)).join(' | ')} |`);
  if (profile) {
    console.log(`\nprofile over ${profileCount} images, ms per image (tf.profile adds its own overhead)`);
    console.log('| stage | wall | nets | resample | other tfjs kernels | rest (JS, copies) |\n|---|---|---|---|---|---|');
    for (const [s, p] of Object.entries(profile)) console.log(`| ${s} | ${[p.wall, p.nets, p.resample, p.other_kernels, p.rest].map((v) => v.toFixed(2)).join(' | ')} |`);
  }
  if (e2e) printEndToEnd(e2e);
  else console.log('\nend to end skipped (--skip-e2e)');

  const result = {
    date: new Date().toISOString(), cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, load_average_end: os.loadavg(),
    machine: { before: machineBefore, after: machineAfter }, mtcnn, layer_rates: rates, batching, profile, end_to_end: e2e,
  };
  mkdirSync(path.dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), values.out!)}`);
  return result;
}

/** Ours against face-api, both on `workers` worker threads: images/s over the whole run and once warm. */
async function endToEnd(files: string[], lfwDir: string, workers: number) {
  const pipeline = await readPreset(E2E_PRESET);
  const plan = compileOrExplain(pipeline, E2E_PRESET, registry);
  const items = await fileRunItems(files.map((file) => ({ file, name: path.relative(lfwDir, file) })));
  const ours = await embedItems(pipeline, plan, items, { backend: 'wasm', workers, registry, onItems: progressBar('ours') });
  const steady = await steadyRate(pipeline, plan, items, workers);
  const faceapi = await faceApiBaseline(files, workers, progressBar('face-api'));
  const oursIps = files.length / ours.run.seconds;
  return {
    workers, images: files.length,
    ours: {
      seconds: ours.run.seconds, images_per_second: oursIps, steady_images_per_second: steady, failed_detections: ours.items.filter((i) => i.failedDetection).length,
      node_ms_per_image: Object.fromEntries(Object.entries(ours.run.timings).map(([id, t]) => [id, t.runs ? t.ms / t.runs : 0])),
    },
    faceapi: { seconds: faceapi.seconds, images_per_second: faceapi.images_per_second, steady_images_per_second: faceapi.steady_images_per_second, failed_detections: faceapi.failed_detections },
    ratio_vs_faceapi: oursIps / faceapi.images_per_second,
    steady_ratio_vs_faceapi: steady / faceapi.steady_images_per_second,
  };
}

function printEndToEnd(e2e: Awaited<ReturnType<typeof endToEnd>>): void {
  const { ours, faceapi } = e2e;
  console.log(`\nend to end (decode, MTCNN, align, MobileFaceNet + flip), ${e2e.workers} workers each, ${e2e.images} images`);
  console.log('| pipeline | seconds | images/s | failed det. | x face-api | images/s once warm | x face-api once warm |\n|---|---|---|---|---|---|---|');
  console.log(`| ours (${path.basename(E2E_PRESET)}) | ${ours.seconds.toFixed(1)} | ${ours.images_per_second.toFixed(1)} | ${ours.failed_detections} | ${e2e.ratio_vs_faceapi.toFixed(2)} | ${ours.steady_images_per_second.toFixed(1)} | ${e2e.steady_ratio_vs_faceapi.toFixed(2)} |`);
  console.log(`| face-api 1.7.15 | ${faceapi.seconds.toFixed(1)} | ${faceapi.images_per_second.toFixed(1)} | ${faceapi.failed_detections} | 1.00 | ${faceapi.steady_images_per_second.toFixed(1)} | 1.00 |`);
  console.log(`our per-node ms per image (summed over workers): ${Object.entries(ours.node_ms_per_image).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
}

function torchVersion(): string {
  return spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
}
