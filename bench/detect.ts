import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registry } from '../nodes/index.js';
import { fileURLToPath } from 'node:url';
import type { Box, ImageValue } from '../src/graph/values.js';
import { createNodeIO, decodeImageNode } from '../src/io/nodejs-io.js';
import { detectFaces, iou, loadMtcnn, type FaceDetection, type MtcnnNets } from '../src/models/mtcnn/index.js';
import { detectSsdFaces, loadLandmarks68, loadSsdMobileNet } from '../src/models/ssd/index.js';
import { loadPipeline } from '../src/graph/load.js';
import { initBackend, type BackendName } from '../src/runtime/backend.js';
import { WorkerPool } from '../src/runtime/pool.js';
import { describeSpeed, measuredBetween } from './machine.js';

/**
 * `npm run bench -- detect [--backend wasm] [--lfw N] [--reps R] [--workers 1,2] [--centre N] [--out file]
 *   [--detectors mtcnn,ssd] [--compare-only]`:
 * MTCNN speed (ms per image at 250x250 from lfw-dev and at 640x480, one thread; throughput with
 * N worker threads) and quality (detect-dlib recall and precision at IoU >= 0.5, lfw-dev
 * centre-face rate over the first N images, all by default; 0 skips), printed as a table and
 * written as JSON. Then the detector comparison: each of --detectors (mtcnn, ssd = SSD MobileNet v1
 * + 68 landmarks) on detect-dlib (recall, precision at IoU >= 0.5), lfw-dev (images whose centre
 * lies in a found face, first --centre images) and ms per image (median over the same 250x250 and
 * 640x480 images, landmarks included); --compare-only skips the MTCNN stage timings and throughput.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATASETS = path.resolve(REPO, '../shared/datasets');
const FACE_API_DEMO = path.join(REPO, 'node_modules/@vladmandic/face-api/demo');

export interface LabelledImage {
  file: string;
  boxes: Box[];
}

/** dlib imglab XML: `<image file=...>` with `<box top left width height>` children. */
export function parseDlibXml(xml: string): LabelledImage[] {
  const images: LabelledImage[] = [];
  for (const m of xml.matchAll(/<image\s+file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
    const boxes: Box[] = [];
    for (const b of m[2].matchAll(/<box\s+([^>]*?)\/?>/g)) {
      const attr = (k: string) => Number(new RegExp(`\\b${k}='(-?\\d+(?:\\.\\d+)?)'`).exec(b[1])?.[1] ?? NaN);
      const [top, left, width, height] = [attr('top'), attr('left'), attr('width'), attr('height')];
      if ([top, left, width, height].some(Number.isNaN)) throw new Error(`bad box in ${m[1]}: ${b[0]}`);
      boxes.push([left, top, left + width, top + height]);
    }
    images.push({ file: m[1], boxes });
  }
  return images;
}

/** Greedy matching, highest score first: a detection is a true positive if it takes an unmatched truth box at IoU >= minIou. */
export function matchDetections(truth: Box[], detections: { box: Box; score: number }[], minIou = 0.5): { tp: number; fp: number; fn: number } {
  const taken = new Uint8Array(truth.length);
  let tp = 0;
  let fp = 0;
  for (const d of [...detections].sort((a, b) => b.score - a.score)) {
    let best = -1;
    let bestIou = minIou;
    truth.forEach((t, i) => {
      const o = iou(d.box, t);
      if (!taken[i] && o >= bestIou) {
        best = i;
        bestIou = o;
      }
    });
    if (best >= 0) {
      taken[best] = 1;
      tp++;
    } else fp++;
  }
  return { tp, fp, fn: truth.length - tp };
}

export type Detector = (img: ImageValue) => Promise<FaceDetection[]>;


export function readImage(file: string): ImageValue {
  return decodeImageNode(new Uint8Array(readFileSync(file)), file);
}

/** [n, 112, 112, 3] float: the centre 112x112 of the first `n` 250x250 lfw-dev images (the face), real input for timing an embedding network. */
export function centreFaceCrops(images: ImageValue[], n: number): tf.Tensor4D {
  return tf.tidy(() => tf.stack(images.slice(0, n).map((img) => tf.slice(tf.tensor3d(img.data, [img.height, img.width, img.channels], 'float32'), [69, 69, 0], [112, 112, 3]))) as tf.Tensor4D);
}

/** Recall and precision over detect-dlib's testing.xml + training.xml. */
export async function evalDetectDlib(detect: Detector, dir = path.join(DATASETS, 'detect-dlib')) {
  let tp = 0, fp = 0, fn = 0, faces = 0;
  for (const xml of ['testing.xml', 'training.xml']) {
    for (const item of parseDlibXml(readFileSync(path.join(dir, xml), 'latin1'))) {
      const found = await detect(readImage(path.join(dir, item.file)));
      const m = matchDetections(item.boxes, found);
      tp += m.tp; fp += m.fp; fn += m.fn; faces += item.boxes.length;
    }
  }
  return { faces, tp, fp, fn, recall: tp / (tp + fn), precision: tp + fp ? tp / (tp + fp) : 1 };
}

/** lfw-dev image paths in a stable order (sorted by person, then file). */
export function lfwImages(dir = path.join(DATASETS, 'lfw-dev/images')): string[] {
  return readdirSync(dir).sort().flatMap((p) => readdirSync(path.join(dir, p)).sort().map((f) => path.join(dir, p, f)));
}

/** Share of images with a detection whose box contains the image centre. */
export async function lfwCentreRate(detect: Detector, files: string[]) {
  let hits = 0;
  const misses: string[] = [];
  for (const f of files) {
    const img = readImage(f);
    const cx = img.width / 2, cy = img.height / 2;
    const found = await detect(img);
    if (found.some((d) => d.box[0] <= cx && cx <= d.box[2] && d.box[1] <= cy && cy <= d.box[3])) hits++;
    else misses.push(path.basename(f));
  }
  return { images: files.length, hits, rate: hits / files.length, misses };
}

/** Centre crop to the target aspect ratio, then area-average resample to width x height. */
export function resizeArea(img: ImageValue, width: number, height: number): ImageValue {
  const s = Math.min(img.width / width, img.height / height);
  const ox = (img.width - width * s) / 2;
  const oy = (img.height - height * s) / 2;
  const c = img.channels;
  const out = new Uint8Array(width * height * c);
  const acc = new Float64Array(c);
  for (let y = 0; y < height; y++) {
    const y0 = oy + y * s, y1 = y0 + s;
    for (let x = 0; x < width; x++) {
      const x0 = ox + x * s, x1 = x0 + s;
      acc.fill(0);
      let wsum = 0;
      for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
        const wy = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
          const w = wy * (Math.min(x1, sx + 1) - Math.max(x0, sx));
          const j = (Math.min(sy, img.height - 1) * img.width + Math.min(sx, img.width - 1)) * c;
          for (let k = 0; k < c; k++) acc[k] += w * img.data[j + k];
          wsum += w;
        }
      }
      for (let k = 0; k < c; k++) out[(y * width + x) * c + k] = Math.round(acc[k] / wsum);
    }
  }
  return { width, height, channels: c, data: out, source: img.source };
}

/**
 * Per-image times over `reps` passes (after a warm-up pass over the first images), with stage
 * times and funnel means. `medianOfBest` (each image's fastest pass, median over images) is
 * the figure least disturbed by other processes on a shared machine.
 */
export async function timeDetection(nets: MtcnnNets, images: ImageValue[], reps: number) {
  for (const img of images.slice(0, 3)) await detectFaces(nets, img);
  const ms: number[] = [];
  const best = images.map(() => Infinity);
  const stage = { pnet: 0, rnet: 0, onet: 0 };
  const funnel = { pnet: 0, pnetNms: 0, rnet: 0, rnetNms: 0, onet: 0 };
  for (let r = 0; r < reps; r++) {
    for (const [i, img] of images.entries()) {
      const t0 = performance.now();
      const res = await detectFaces(nets, img);
      const dt = performance.now() - t0;
      ms.push(dt);
      best[i] = Math.min(best[i], dt);
      for (const k of Object.keys(stage) as (keyof typeof stage)[]) stage[k] += res.ms[k] / (reps * images.length);
      for (const k of Object.keys(funnel) as (keyof typeof funnel)[]) funnel[k] += res.funnel[k] / (reps * images.length);
    }
  }
  const q = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(p * v.length))];
  return { images: images.length, runs: ms.length, median: q(ms, 0.5), p90: q(ms, 0.9), medianOfBest: q(best, 0.5), meanStageMs: stage, meanFunnel: funnel };
}

/** Throughput of the one-node detector pipeline over `files` with `workers` worker_threads: wall ms per image. */
export async function workerThroughput(files: string[], workers: number, backend: BackendName): Promise<number> {
  const loaded = loadPipeline({
    schema: 'faceflow/pipeline', version: 2, name: 'detect',
    nodes: [{ id: 'input', type: 'image-input' }, { id: 'mtcnn', type: 'mtcnn' }],
    edges: [{ from: { node: 'input', port: 'image' }, to: { node: 'mtcnn', port: 'image' } }],
  });
  if (!loaded.ok) throw new Error(loaded.error);
  const items = (list: string[], tag: string) => list.map((f) => ({ id: `${tag}:${f}`, name: path.basename(f), path: f }));
  const pool = await WorkerPool.start(workers, { backend, registry });
  try {
    await pool.runItems(loaded.pipeline, items(files.slice(0, 8 * workers), 'warm'));
    const t0 = performance.now();
    const { results } = await pool.runItems(loaded.pipeline, items(files, 'run'));
    const failed = results.find((r) => r.error);
    if (failed) throw new Error(`${failed.name}: ${failed.error!.message}`);
    return (performance.now() - t0) / files.length;
  } finally {
    await pool.close();
  }
}

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
}

export function mtcnnDetector(nets: MtcnnNets): Detector {
  return async (img) => (await detectFaces(nets, img)).faces;
}

/** SSD MobileNet v1 with the 68-point landmark net (5 points derived), face-api's default options. */
export async function ssdDetector(): Promise<Detector> {
  const io = createNodeIO();
  const nets = { ssd: await loadSsdMobileNet(io), landmarks: await loadLandmarks68(io) };
  return async (img) => (await detectSsdFaces(nets, img)).faces;
}

/** Median and p90 ms per image of any detector over `reps` passes (after a warm-up over the first 3 images). */
export async function timeDetector(detect: Detector, images: ImageValue[], reps: number) {
  for (const img of images.slice(0, 3)) await detect(img);
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) for (const img of images) {
    const t0 = performance.now();
    await detect(img);
    ms.push(performance.now() - t0);
  }
  const q = (p: number) => [...ms].sort((a, b) => a - b)[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  return { images: images.length, runs: ms.length, median: q(0.5), p90: q(0.9) };
}

/** detect-dlib quality, lfw-dev centre faces and speed of each detector, on the same images in the same run. */
export async function compareDetectors(names: string[], small: ImageValue[], vga: ImageValue[], lfw: string[], centreCount: number, reps: number, hasData: boolean) {
  const out: Record<string, unknown> = {};
  const rows: Record<string, Record<string, string | number>> = {};
  for (const name of names) {
    const detect = name === 'mtcnn' ? mtcnnDetector(await loadMtcnn(createNodeIO())) : name === 'ssd' ? await ssdDetector() : undefined;
    if (!detect) throw new Error(`--detectors: unknown detector ${name} (mtcnn, ssd)`);
    const dlib = hasData ? await evalDetectDlib(detect) : undefined;
    if (dlib) console.log(`${name} detect-dlib: recall ${dlib.recall.toFixed(3)} precision ${dlib.precision.toFixed(3)} (${dlib.tp} of ${dlib.faces} faces, ${dlib.fp} false)`);
    const centre = hasData && centreCount > 0 ? await lfwCentreRate(detect, lfw.slice(0, centreCount)) : undefined;
    if (centre) console.log(`${name} lfw-dev centre face: ${centre.hits}/${centre.images}`);
    const { result: [t250, t640], machine } = await measuredBetween(async () => [await timeDetector(detect, small, reps), await timeDetector(detect, vga, reps)] as const);
    out[name] = { ms250: t250, ms640x480: t640, machineFactor: machine.factor, detectDlib: dlib, lfwCentre: centre && { images: centre.images, hits: centre.hits, rate: centre.rate, misses: centre.misses.slice(0, 20) } };
    rows[name] = {
      'detect-dlib recall': dlib ? dlib.recall.toFixed(3) : '-',
      'precision': dlib ? dlib.precision.toFixed(3) : '-',
      'TP / FP / faces': dlib ? `${dlib.tp} / ${dlib.fp} / ${dlib.faces}` : '-',
      'lfw-dev centre face': centre ? `${centre.hits}/${centre.images}` : '-',
      'ms 250x250 (median)': t250.median.toFixed(1),
      'ms 640x480 (median)': t640.median.toFixed(1),
      'machine factor': machine.factor.toFixed(2),
    };
    console.log(name, JSON.stringify(rows[name]));
  }
  console.log('Detector comparison (same images, same run; ms include landmarks)');
  console.table(rows);
  return out;
}

export async function benchDetect(args: string[] = []): Promise<Record<string, unknown>> {
  const backend = arg(args, 'backend', 'wasm') as BackendName;
  const lfwCount = Number(arg(args, 'lfw', '200'));
  const reps = Number(arg(args, 'reps', '3'));
  const centreCount = Number(arg(args, 'centre', 'Infinity'));
  const workerCounts = arg(args, 'workers', '1,2').split(',').filter(Boolean).map(Number).filter((n) => n > 0);
  const out = path.resolve(arg(args, 'out', path.join(REPO, 'bench/results/detect.json')));
  const choice = await initBackend(backend);
  const nets = await loadMtcnn(createNodeIO());
  const detect = mtcnnDetector(nets);
  const hasData = existsSync(DATASETS);
  if (!hasData) console.warn(`${DATASETS} not found: timing on the face-api demo photos only, no quality figures`);

  const demo = [1, 2, 3, 4, 5, 6].map((i) => readImage(path.join(FACE_API_DEMO, `sample${i}.jpg`)));
  const lfw = hasData ? lfwImages() : [];
  const small = hasData ? lfw.slice(0, lfwCount).map(readImage) : demo.map((im) => resizeArea(im, 250, 250));
  const dlibPhotos = hasData
    ? readdirSync(path.join(DATASETS, 'detect-dlib')).filter((f) => f.endsWith('.jpg')).sort().map((f) => readImage(path.join(DATASETS, 'detect-dlib', f)))
    : [];
  const vga = [...demo, ...dlibPhotos].map((im) => resizeArea(im, 640, 480));

  const detectorNames = arg(args, 'detectors', 'mtcnn,ssd').split(',').filter(Boolean);
  if (args.includes('--compare-only')) {
    const comparison = await compareDetectors(detectorNames, small, vga, lfw, centreCount, reps, hasData);
    const result = { backend: choice.name, threads: 1, images: { small: small.length, vga: vga.length, centre: Math.min(centreCount, lfw.length) }, comparison };
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2));
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
    return result;
  }
  const { result: [t250, t640], machine } = await measuredBetween(async () => [await timeDetection(nets, small, reps), await timeDetection(nets, vga, reps)] as const);
  const { factor } = machine;
  const workers: Record<string, number> = {};
  if (hasData) for (const n of workerCounts) workers[n] = await workerThroughput(lfw.slice(0, lfwCount), n, backend);
  const dlib = hasData ? await evalDetectDlib(detect) : undefined;
  const centre = hasData && centreCount > 0 ? await lfwCentreRate(detect, lfw.slice(0, centreCount)) : undefined;
  const result = {
    backend: choice.name,
    threads: 1,
    machineSpeed: { ...machine, note: 'factor > 1: slower than the machine of ../shared/runtime.md; *_normalised = time / factor' },
    ms250: { ...t250, medianNormalised: t250.median / factor, source: hasData ? `lfw-dev, first ${small.length} images` : 'face-api demo photos resized' },
    ms640x480: { ...t640, medianNormalised: t640.median / factor, source: 'face-api demo photos and detect-dlib photos, centre-cropped to 4:3 and area-resized' },
    workerMsPerImage250: hasData && workerCounts.length ? { ...workers, source: `lfw-dev, first ${lfwCount} images, image-input + mtcnn pipeline` } : undefined,
    detectDlib: dlib,
    lfwCentre: centre && { images: centre.images, hits: centre.hits, rate: centre.rate, misses: centre.misses.slice(0, 20) },
    comparison: undefined as Record<string, unknown> | undefined,
  };
  const f = (v: number) => v.toFixed(1);
  console.log(`MTCNN detect, backend ${choice.name} (${choice.reason}), 1 thread`);
  console.log(`before: ${describeSpeed(machine.before)}\nafter:  ${describeSpeed(machine.after)}`);
  const row = (t: typeof t250) => ({
    'median ms': f(t.median), 'normalised median ms': f(t.median / factor), 'p90 ms': f(t.p90), 'median of best': f(t.medianOfBest), 'P-Net ms': f(t.meanStageMs.pnet), 'R-Net ms': f(t.meanStageMs.rnet), 'O-Net ms': f(t.meanStageMs.onet),
    'R-Net crops': f(t.meanFunnel.pnetNms), 'O-Net crops': f(t.meanFunnel.rnetNms), images: t.images, runs: t.runs,
  });
  console.table({ '250x250': row(t250), '640x480': row(t640) });
  for (const [n, ms] of Object.entries(workers)) console.log(`${n} worker(s): ${f(ms)} ms per 250x250 image (throughput, pipeline with file decoding)`);
  if (dlib) console.log(`detect-dlib: recall ${dlib.recall.toFixed(3)} precision ${dlib.precision.toFixed(3)} (${dlib.tp} of ${dlib.faces} faces, ${dlib.fp} false)`);
  if (centre) console.log(`lfw-dev centre face: ${centre.hits}/${centre.images} = ${(100 * centre.rate).toFixed(2)}%`);
  if (detectorNames.length) result.comparison = await compareDetectors(detectorNames, small, vga, lfw, centreCount, reps, hasData);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
  return result;
}

export default benchDetect;
