import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { registry } from '../nodes/index.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readPreset, compileOrExplain } from '../src/runtime/preset.js';
import { progressBar } from '../src/cli/progress.js';
import { readPairsDataset } from '../src/eval/datasets-nodejs.js';
import { verificationMetrics } from '../src/eval/metrics.js';
import { evalSummary, evaluatePairs } from '../src/eval/run-eval.js';
import { pairScore } from '../src/eval/similarity.js';
import { initBackend, type BackendName } from '../src/runtime/backend.js';
import { faceApiBaseline } from './faceapi-baseline.js';
import { describeSpeed, measuredBetween } from './machine.js';

/**
 * `npm run bench -- eval [--preset p.json ...] [--set lfw-dev] [--pairs-per-fold N] [--workers 2] [--backend wasm] [--baseline face-api|none]`:
 * the whole eval pipeline (decode, detect, align, embed; pairs scored after) on a dataset in
 * ../shared/datasets, one row per preset: accuracy, AUC, EER, TAR@FAR and images/s. Prints a
 * table and writes bench/results/eval.json. With --pairs-per-fold, only the first N matched
 * and N mismatched pairs of each fold are used (throughput runs; accuracy then is indicative).
 *
 * With --baseline face-api (the default), @vladmandic/face-api (bench/faceapi-baseline.ts) runs
 * on the same images, with as many workers, on wasm (whatever --backend says), between the same
 * machine-speed measurements, and each preset's images/s is also given as a ratio to face-api's
 * and as that ratio times face-api's rate on the machine the speed goal was set on (FACEAPI_AT_GOAL).
 */

/** face-api's images/s on the machine where the issue set the goal (>= 25 images/s, 2 workers, wasm, LFW). */
const FACEAPI_AT_GOAL = 8.4;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASETS = path.resolve(REPO, '../shared/datasets');

/** The first n matched and n mismatched lines of each fold, as a pairs.txt text. */
export function subsetPairs(text: string, n: number): string {
  const lines = text.trim().split(/\r?\n/);
  const [folds, per] = lines[0].trim().split(/\s+/).map(Number);
  const k = per === undefined ? folds : per;
  const f = per === undefined ? 1 : folds;
  const m = Math.min(n, k);
  const out = [`${f}\t${m}`];
  for (let i = 0; i < f; i++) {
    const base = 1 + i * 2 * k;
    out.push(...lines.slice(base, base + m), ...lines.slice(base + k, base + k + m));
  }
  return `${out.join('\n')}\n`;
}

export async function benchEval(args: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args,
    options: {
      preset: { type: 'string', multiple: true },
      set: { type: 'string', default: 'lfw-dev' },
      'pairs-per-fold': { type: 'string' },
      workers: { type: 'string', default: '2' },
      backend: { type: 'string', default: 'wasm' },
      baseline: { type: 'string', default: 'face-api' },
      out: { type: 'string', default: path.join(REPO, 'bench/results/eval.json') },
    },
  });
  if (values.baseline !== 'face-api' && values.baseline !== 'none') throw new Error(`--baseline must be face-api or none, got ${values.baseline}`);
  const presets = values.preset?.length ? values.preset : [path.join(REPO, 'presets/baseline-mtcnn-facenet.json')];
  const dir = path.join(DATASETS, values.set!);
  let pairsFile = path.join(dir, 'pairs.txt');
  if (values['pairs-per-fold']) {
    const tmp = path.join(os.tmpdir(), `faceflow-bench-${values.set}-${values['pairs-per-fold']}.txt`);
    writeFileSync(tmp, subsetPairs(readFileSync(pairsFile, 'utf8'), Number(values['pairs-per-fold'])));
    pairsFile = tmp;
  }
  // Machine speed on this thread, before and after (the workers run the evals meanwhile).
  await initBackend('wasm');
  const { result: { rows, faceapi }, machine } = await measuredBetween(async () => {
    const out = [];
    for (const file of presets) {
      const pipeline = await readPreset(file);
      const plan = compileOrExplain(pipeline, file, registry);
      const r = await evaluatePairs(pipeline, plan, {
        pairsFile, imagesDir: path.join(dir, 'images'), backend: values.backend as BackendName, workers: Number(values.workers), registry,
        onItems: progressBar(path.basename(file)),
      });
      const { per_fold: _pf, histogram: _h, ...summary } = evalSummary(r);
      out.push({ preset: path.relative(REPO, file), set: values.set, ...summary });
    }
    return { rows: out, faceapi: values.baseline === 'face-api' ? await runFaceApi(pairsFile, path.join(dir, 'images'), Number(values.workers)) : undefined };
  });
  const { factor } = machine;
  const pct = (x: number) => (100 * x).toFixed(2);
  console.log(`before: ${describeSpeed(machine.before)}\nafter:  ${describeSpeed(machine.after)}`);
  console.log(`eval on ${values.set} (${os.availableParallelism()} cores, ${values.workers} workers, ${values.backend}; ${os.cpus()[0]?.model ?? ''})`);
  type Row = Pick<(typeof rows)[number], 'preset' | 'model' | 'pairs' | 'images' | 'accuracy' | 'auc' | 'eer' | 'tar_at_far' | 'failed_detections' | 'images_per_second'>;
  const line = (r: Row) => `| ${r.preset} | ${r.model} | ${r.pairs} | ${r.images} | ${pct(r.accuracy.mean)} +- ${pct(r.accuracy.std)} | ${r.auc.toFixed(4)} | ${pct(r.eer)} | ${pct(r.tar_at_far['0.01'])} | ${pct(r.tar_at_far['0.001'])} | ${r.failed_detections} | ${r.images_per_second.toFixed(1)} | ${(r.images_per_second * factor).toFixed(1)} |`;
  const rated = rows.map((r) => {
    if (!faceapi) return r;
    const ratio = r.images_per_second / faceapi.images_per_second;
    return { ...r, ratio_vs_faceapi: ratio, implied_images_per_second_at_goal_machine: ratio * FACEAPI_AT_GOAL };
  });
  console.log(`| preset | model | pairs | images | accuracy % | AUC | EER % | TAR@1e-2 % | TAR@1e-3 % | failed det. | images/s | normalised images/s |${faceapi ? ' x face-api | at goal machine |' : ''}`);
  console.log(`|---|---|---|---|---|---|---|---|---|---|---|---|${faceapi ? '---|---|' : ''}`);
  for (const r of rated) {
    console.log('ratio_vs_faceapi' in r ? `${line(r)} ${r.ratio_vs_faceapi.toFixed(2)} | ${r.implied_images_per_second_at_goal_machine.toFixed(1)} |` : line(r));
  }
  if (faceapi) console.log(`${line(faceapi)} 1.00 | ${FACEAPI_AT_GOAL} |`);
  mkdirSync(path.dirname(values.out!), { recursive: true });
  const note = 'factor > 1: slower than the machine of ../shared/runtime.md; normalised images/s = images/s x factor';
  const result = { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, date: new Date().toISOString(), machine: { ...machine, note }, rows: rated, ...(faceapi && { faceapi }) };
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), values.out!)}`);
  return result;
}

/** face-api on every image of the pairs file (those the presets ran on), and its verification metrics on those pairs. */
async function runFaceApi(pairsFile: string, imagesDir: string, workers: number) {
  const dataset = await readPairsDataset(pairsFile, imagesDir, (p) => readFile(p, 'utf8'));
  const { descriptors, ...run } = await faceApiBaseline(dataset.images.map((i) => i.file), workers, progressBar('face-api'));
  // Scored like our rows (cosine, evalSummary's default); a pair with a missed face gets the
  // lowest score, -1, as run-eval.ts does (face-api has no fallback crop).
  const scores = dataset.index.map(([a, b]) => {
    const da = descriptors[a];
    const db = descriptors[b];
    return da && db ? pairScore(da, db, 'cosine') : -1;
  });
  const m = verificationMetrics(scores, dataset.pairs.map((p) => p.same), dataset.pairs.map((p) => p.fold));
  return {
    preset: 'face-api 1.7.15 (baseline)', model: 'ssd_mobilenetv1 + landmark68 + dlib-resnet', pairs: m.pairs,
    accuracy: { mean: m.accuracy.mean, std: m.accuracy.std }, auc: m.auc, eer: m.eer, tar_at_far: { '0.01': m.tarAtFar['0.01'], '0.001': m.tarAtFar['0.001'] },
    metric: 'cosine', ...run,
  };
}

export default benchEval;
