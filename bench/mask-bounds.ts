import { readFile, stat } from 'node:fs/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { registry } from '../nodes/index.js';
import { readPreset } from '../src/runtime/preset.js';
import { progressBar } from '../src/cli/progress.js';
import { nodejsRun } from '../src/runtime/nodejs-host.js';
import { runPipeline, throwIfRunFailed } from '../src/runtime/run.js';
import type { RunItem } from '../src/graph/node-definition.js';
import type { Pipeline } from '../src/graph/schema.js';
import type { FeatureMapValue } from '../src/graph/values.js';
import { fileRunItems, readIdentityFolder, readPairsDataset } from '../src/eval/datasets-nodejs.js';
import { aucFromRoc, kFoldAccuracy, rocCurve } from '../src/eval/metrics.js';
import { dot, l2NormalizeRows } from '../src/eval/similarity.js';
import { createNodeIO } from '../src/io/nodejs-io.js';
import { loadMobileFaceNetTail, type MobileFaceNetTail } from '../src/models/gate/mobilefacenet-tail.js';
import { initBackend } from '../src/runtime/backend.js';
import { withOcclusion } from '../src/train/prepare.js';

/**
 * `npm run bench -- mask-bounds [--split out/lfw-split] [--workers 2]`: how much could anything
 * placed where the gate and the fusion sit gain on masked pairs, with MobileFaceNet frozen?
 * Two families of hand-set or closed-form corrections, each scored on the test sets themselves
 * (so the best row of each is an optimistic bound, not a result):
 *  - spatial re-weighting of the 7x7 tap, the same on both images of a pair (what a gate could at
 *    best learn if it knew where masks are): the lower rows scaled down or dropped;
 *  - nuisance-subspace projection of the embedding (what a fusion module could at best learn from
 *    the embedding alone): the top-k principal directions of (masked - clean) unit embeddings of
 *    the training split's images, projected out of every embedding.
 * Data: the identity split of `faceflow split` (train folder + test pairs), the
 * second image of each test pair masked as `faceflow eval --occlude-second any-mask --occlude-seed 1`
 * does, and mfr2-dev. No flip, like the robustness table. Writes bench/results/mask-bounds.json.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASETS = path.resolve(REPO, '../shared/datasets');
const ROWS = 7;

/** Row weights of the 7x7 tap (top = eyes, bottom = chin), applied to both images of every pair. */
const SPATIAL: { name: string; rows: number[] }[] = [
  { name: 'tap as is (the backbone)', rows: [1, 1, 1, 1, 1, 1, 1] },
  { name: 'rows 5-6 x0.5', rows: [1, 1, 1, 1, 1, 0.5, 0.5] },
  { name: 'rows 4-6 x0.5', rows: [1, 1, 1, 1, 0.5, 0.5, 0.5] },
  { name: 'rows 4-6 x0.3', rows: [1, 1, 1, 1, 0.3, 0.3, 0.3] },
  { name: 'rows 5-6 dropped', rows: [1, 1, 1, 1, 1, 0, 0] },
  { name: 'rows 4-6 dropped', rows: [1, 1, 1, 1, 0, 0, 0] },
];
const NAP_K = [1, 2, 4, 8, 12, 16, 24];

/** One unit embedding per image and spatial weighting ([weighting][image]; an empty array for an image with no face). */
async function embedWeighted(pipeline: Pipeline, items: RunItem[], workers: number, tail: MobileFaceNetTail, label: string): Promise<Float32Array[][]> {
  const run = throwIfRunFailed(await runPipeline(pipeline, items, nodejsRun({ backend: 'wasm', workers, registry, onItems: progressBar(label) })));
  const out: Float32Array[][] = SPATIAL.map(() => items.map(() => new Float32Array(0)));
  const weights = SPATIAL.map((s) => tf.tensor4d(s.rows, [1, ROWS, 1, 1]));
  for (const r of run.items) {
    const f = r.outputs.embed?.features as FeatureMapValue | null | undefined;
    if (!f) continue;
    const [, h, w, c] = f.shape;
    const raw = tf.tidy(() => {
      const x = tf.tensor4d(f.data.subarray(0, h * w * c), [1, h, w, c]);
      return tail.run(tf.concat(weights.map((wt) => tf.mul(x, wt) as tf.Tensor4D)));
    });
    const data = l2NormalizeRows((await raw.data()) as Float32Array, raw.shape[1]);
    raw.dispose();
    SPATIAL.forEach((_, k) => { out[k][r.index] = data.subarray(k * raw.shape[1], (k + 1) * raw.shape[1]); });
  }
  weights.forEach((t) => t.dispose());
  return out;
}

/** Eigenvectors of a symmetric matrix (cyclic Jacobi), by decreasing eigenvalue. */
function symmetricEigen(a: Float64Array, n: number): { values: number[]; vectors: Float64Array[] } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = m[p * n + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < n; k++) { // rotate columns p, q
        const mkp = m[k * n + p], mkq = m[k * n + q];
        m[k * n + p] = c * mkp - s * mkq;
        m[k * n + q] = s * mkp + c * mkq;
      }
      for (let k = 0; k < n; k++) { // rotate rows p, q
        const mpk = m[p * n + k], mqk = m[q * n + k];
        m[p * n + k] = c * mpk - s * mqk;
        m[q * n + k] = s * mpk + c * mqk;
      }
      for (let k = 0; k < n; k++) {
        const vkp = v[k * n + p], vkq = v[k * n + q];
        v[k * n + p] = c * vkp - s * vkq;
        v[k * n + q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => m[j * n + j] - m[i * n + i]);
  return { values: order.map((i) => m[i * n + i]), vectors: order.map((i) => Float64Array.from({ length: n }, (_, k) => v[k * n + i])) };
}

/** e - sum_i (e . u_i) u_i, renormalised. */
function project(e: Float32Array, basis: Float64Array[]): Float32Array {
  if (!e.length) return e;
  const out = Float32Array.from(e);
  for (const u of basis) {
    const d = dot(e, u);
    for (let i = 0; i < out.length; i++) out[i] -= d * u[i];
  }
  return l2NormalizeRows(out, out.length);
}

interface PairSet { a: number[]; b: number[]; same: boolean[]; fold: number[] }

function score(set: PairSet, first: Float32Array[], second: Float32Array[]) {
  const s = set.a.map((a, k) => (first[a].length && second[set.b[k]].length ? dot(first[a], second[set.b[k]]) : -1));
  const acc = kFoldAccuracy(s, set.same, set.fold);
  return { accuracy: acc.mean, std: acc.std, auc: aucFromRoc(rocCurve(s, set.same)) };
}

export async function benchMaskBounds(args: string[]): Promise<unknown> {
  const { values } = parseArgs({ args, options: { split: { type: 'string', default: path.join(REPO, 'out/lfw-split') }, workers: { type: 'string', default: '2' } } });
  const split = values.split!;
  const lfwImages = path.join(DATASETS, 'lfw-dev/images');
  const mfrDir = path.join(DATASETS, 'mfr2-dev');
  const workers = Number(values.workers);
  for (const need of [path.join(split, 'pairs-test.txt'), path.join(split, 'train'), mfrDir]) {
    await stat(need).catch(() => {
      throw new Error(`${need} is missing: make the split with \`npx faceflow split ../shared/datasets/lfw-dev/pairs.txt --images ../shared/datasets/lfw-dev/images --out out/lfw-split --train 1,2 --test 3,4,5\` (needs ../shared/datasets)`);
    });
  }
  await initBackend('wasm');
  const tail = await loadMobileFaceNetTail(createNodeIO());
  const base = await readPreset(path.join(REPO, 'presets/baseline-mtcnn-facenet.json'));
  const clean: Pipeline = { ...base, nodes: base.nodes.map((n) => (n.id === 'embed' ? { ...n, params: { ...n.params, flip: false, tap: true } } : n)) };
  const masked = (seed: number) => withOcclusion(clean, { kind: 'any-mask', probability: 1, seed });

  const pairSet = (d: Awaited<ReturnType<typeof readPairsDataset>>): PairSet => ({
    a: d.index.map(([a]) => a), b: d.index.map(([, b]) => b), same: d.pairs.map((p) => p.same), fold: d.pairs.map((p) => p.fold),
  });
  const lfw = await readPairsDataset(path.join(split, 'pairs-test.txt'), lfwImages, (f) => readFile(f, 'utf8'));
  const mfr = await readPairsDataset(path.join(mfrDir, 'pairs.txt'), path.join(mfrDir, 'images'), (f) => readFile(f, 'utf8'));
  const train = await fileRunItems(await readIdentityFolder(path.join(split, 'train')));
  const lfwItems = await fileRunItems(lfw.images);

  // Only the unweighted embeddings of the training images are needed (for the NAP basis).
  const trainClean = (await embedWeighted(clean, train, workers, tail, 'train clean'))[0];
  const trainMasked = [];
  for (const seed of [1, 2, 3]) trainMasked.push((await embedWeighted(masked(seed), train, workers, tail, `train masked #${seed}`))[0]);
  const lfwClean = await embedWeighted(clean, lfwItems, workers, tail, 'lfw test clean');
  const lfwMasked = await embedWeighted(masked(1), lfwItems, workers, tail, 'lfw test masked');
  const mfrClean = await embedWeighted(clean, await fileRunItems(mfr.images), workers, tail, 'mfr2-dev');

  const lfwSet = pairSet(lfw);
  const mfrSet = pairSet(mfr);
  const evalAll = (lc: Float32Array[], lm: Float32Array[], mc: Float32Array[]) => ({
    clean_lfw: score(lfwSet, lc, lc), masked_lfw: score(lfwSet, lc, lm), mfr2: score(mfrSet, mc, mc),
  });
  const rows: { family: string; name: string; clean_lfw: ReturnType<typeof score>; masked_lfw: ReturnType<typeof score>; mfr2: ReturnType<typeof score> }[] = [];
  SPATIAL.forEach((s, k) => rows.push({ family: 'spatial', name: s.name, ...evalAll(lfwClean[k], lfwMasked[k], mfrClean[k]) }));

  // Nuisance directions: covariance of (masked - clean) over the training images and their 3 occluded passes.
  const dim = trainClean.find((e) => e.length)!.length;
  const cov = new Float64Array(dim * dim);
  let n = 0;
  for (const m of trainMasked) {
    m.forEach((e, i) => {
      if (!e.length || !trainClean[i].length) return;
      const d = e.map((x, j) => x - trainClean[i][j]);
      for (let p = 0; p < dim; p++) for (let q = 0; q < dim; q++) cov[p * dim + q] += d[p] * d[q];
      n++;
    });
  }
  const { values: eig, vectors } = symmetricEigen(cov.map((x) => x / n), dim);
  const total = eig.reduce((s, x) => s + x, 0);
  for (const k of NAP_K) {
    const basis = vectors.slice(0, k);
    const p = (list: Float32Array[]) => list.map((e) => project(e, basis));
    rows.push({ family: 'projection', name: `top ${k} mask directions out (${(100 * eig.slice(0, k).reduce((s, x) => s + x, 0) / total).toFixed(0)}% of the mask shift)`, ...evalAll(p(lfwClean[0]), p(lfwMasked[0]), p(mfrClean[0])) });
  }

  const ref = rows[0];
  const cell = (r: ReturnType<typeof score>, b: ReturnType<typeof score>) => `${(100 * r.accuracy).toFixed(2)} (${r.accuracy >= b.accuracy ? '+' : ''}${(100 * (r.accuracy - b.accuracy)).toFixed(2)}) / ${r.auc.toFixed(4)}`;
  console.log(`mask bounds: ${train.length} training images, ${n} masked-clean differences; ${lfwSet.a.length} LFW test pairs in ${new Set(lfwSet.fold).size} folds, ${mfrSet.a.length} mfr2-dev pairs`);
  console.log('| correction | clean LFW acc % (Δ) / AUC | masked LFW | mfr2-dev |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${cell(r.clean_lfw, ref.clean_lfw)} | ${cell(r.masked_lfw, ref.masked_lfw)} | ${cell(r.mfr2, ref.mfr2)} |`);
  const out = path.join(REPO, 'bench/results/mask-bounds.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const result = { date: new Date().toISOString(), train_images: train.length, differences: n, rows };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), out)}`);
  return result;
}
