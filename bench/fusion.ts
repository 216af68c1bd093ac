/**
 * `npm run bench -- fusion [backend] [--weights <dir>]`: per-face overhead of the robustness
 * branch on one backend (default wasm): each fusion module as its node runs it (the plain-loop
 * inference of src/models/fusion/fast.ts, with the trained weights from presets/weights/ when
 * present), one face per call and a batch of 64, with the tfjs version that training runs for
 * comparison; then the context vector, the occlusion classifier and gate + MobileFaceNet tail.
 * Goal: < 1 ms per face for each fusion module on wasm. Writes bench/results/fusion.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { templatePoints } from '../nodes/align/templates.js';
import { DEFAULT_OCC_CONFIG, initOcclusionClassifier } from '../src/context/occlusion-classifier.js';
import { getOcclusionClassifier, occlusionScores } from '../src/context/occlusion-runtime.js';
import { CONTEXT_DIM, CONTEXT_NAMES, contextVector } from '../src/context/vector.js';
import { createNodeIO } from '../src/io/nodejs-io.js';
import { FUSION_KINDS, runFusion } from '../src/models/fusion/index.js';
import { fuseValues, getFusion } from '../src/models/fusion/runtime.js';
import { applyGate } from '../src/models/gate/gate.js';
import { loadMobileFaceNetTail } from '../src/models/gate/mobilefacenet-tail.js';
import { getGate } from '../src/models/gate/runtime.js';
import { initBackend, type BackendName } from '../src/runtime/backend.js';
import { Rng } from '../src/util/rng.js';

/** The machine is shared: the best of several timing runs. */
const minOf = (k: number, f: () => number) => Math.min(...Array.from({ length: k }, f));

function timeIt(reps: number, f: () => void): number {
  for (let i = 0; i < 5; i++) f();
  return minOf(5, () => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    return (performance.now() - t0) / reps;
  });
}

async function timeAsync(reps: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await f();
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await f();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best;
}

export async function benchFusion(args: string[]) {
  const wi = args.indexOf('--weights');
  const weightsDir = path.resolve(wi >= 0 ? args[wi + 1] : 'presets/weights');
  const backendArg = args.find((a, i) => !a.startsWith('--') && (i === 0 || args[i - 1] !== '--weights'));
  const choice = await initBackend((backendArg ?? 'wasm') as BackendName);
  const io = createNodeIO();
  const D = 192;
  const rng = new Rng(1);
  const file = (name: string) => {
    const f = path.join(weightsDir, `${name}.json`);
    return existsSync(f) ? f : '';
  };
  const rows: { module: string; weights: string; batch: number; ms_per_face: number; tfjs_ms_per_face: number; goal_met: boolean }[] = [];
  for (const kind of FUSION_KINDS) {
    const f = await getFusion(io, kind, file(kind), D, CONTEXT_DIM, 1);
    for (const n of [1, 64]) {
      const emb = { dim: D, count: n, data: rng.normalArray(n * D, 0.07), model: 'bench', fallback: new Array(n).fill(false) };
      const ctx = { dim: CONTEXT_DIM, count: n, data: rng.normalArray(n * CONTEXT_DIM, 0.5), names: CONTEXT_NAMES };
      const reps = n === 1 ? 200 : 10;
      const ms = timeIt(reps, () => fuseValues(f, emb, ctx));
      const e = tf.tensor2d(emb.data, [n, D]);
      const c = tf.tensor2d(ctx.data, [n, CONTEXT_DIM]);
      const tfMs = timeIt(Math.max(2, reps / 4), () => tf.tidy(() => {
        const r = runFusion(f.cfg, f.weights, e, c);
        r.fused.dataSync();
        r.weights.dataSync();
      }));
      tf.dispose([e, c]);
      rows.push({ module: kind, weights: f.origin === file(kind) && f.origin ? path.relative(process.cwd(), f.origin) : f.origin, batch: n, ms_per_face: +(ms / n).toFixed(4), tfjs_ms_per_face: +(tfMs / n).toFixed(4), goal_met: ms / n < 1 });
    }
  }
  console.log(`fusion overhead on ${choice.name} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}), embedding ${D}-D, context ${CONTEXT_DIM}-D; goal < 1 ms per face`);
  console.table(rows);

  // The rest of the robustness branch, one face per call.
  const crop = Uint8Array.from(rng.normalArray(112 * 112 * 3, 40), (v) => Math.max(0, Math.min(255, 128 + v)));
  const lm = templatePoints('arcface-112', 112);
  const occFile = file('occlusion');
  const classifier = occFile ? await getOcclusionClassifier(io, occFile) : { cfg: DEFAULT_OCC_CONFIG, weights: initOcclusionClassifier(DEFAULT_OCC_CONFIG, rng), origin: 'untrained' };
  const tail = await loadMobileFaceNetTail(io);
  const gate = await getGate(io, file('gate'), 512);
  const fmap = tf.tensor4d(rng.normalArray(7 * 7 * 512, 1), [1, 7, 7, 512]);
  const other = {
    'context vector (photometry + pose)': +timeIt(50, () => contextVector({ crop: { data: crop, width: 112, height: 112, channels: 3 }, detection: { box: [0, 0, 100, 100], score: 0.99, landmarks: lm } })).toFixed(3),
    'occlusion classifier': +(await timeAsync(20, () => occlusionScores(classifier, crop, 112, 1))).toFixed(3),
    'gate + MobileFaceNet tail': +timeIt(20, () => tf.tidy(() => tail.run(applyGate(gate.cfg, gate.weights, fmap).features).dataSync())).toFixed(3),
  };
  fmap.dispose();
  console.table(other);
  const out = path.resolve('bench/results/fusion.json');
  await mkdir(path.dirname(out), { recursive: true });
  const result = { bench: 'fusion', backend: choice.name, cores: os.cpus().length, load_average: os.loadavg()[0], goal_ms_per_face: 1, fusion: rows, other_ms_per_face: other, date: new Date().toISOString() };
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
  return result;
}
