import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readPreset, compileOrExplain } from '../src/cli/preset';
import { progressBar } from '../src/cli/progress';
import { evalSummary, evaluatePairs } from '../src/eval/run-eval';
import { initBackend, type BackendName } from '../src/runtime/backend';
import { describeSpeed, measuredBetween } from './machine';

/**
 * `npm run bench -- eval [--preset p.json ...] [--set lfw-dev] [--pairs-per-fold N] [--workers 2] [--backend wasm]`:
 * the whole eval pipeline (decode, detect, align, embed; pairs scored after) on a dataset in
 * ../shared/datasets, one row per preset: accuracy, AUC, EER, TAR@FAR and images/s. Prints a
 * table and writes bench/results/eval.json. With --pairs-per-fold, only the first N matched
 * and N mismatched pairs of each fold are used (throughput runs; accuracy then is indicative).
 */

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
      out: { type: 'string', default: path.join(REPO, 'bench/results/eval.json') },
    },
  });
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
  const { result: rows, machine } = await measuredBetween(async () => {
    const out = [];
    for (const file of presets) {
      const pipeline = await readPreset(file);
      const plan = compileOrExplain(pipeline, file);
      const r = await evaluatePairs(pipeline, plan, {
        pairsFile, imagesDir: path.join(dir, 'images'), backend: values.backend as BackendName, workers: Number(values.workers),
        onItems: progressBar(path.basename(file)),
      });
      const { per_fold: _pf, histogram: _h, ...summary } = evalSummary(r);
      out.push({ preset: path.relative(REPO, file), set: values.set, ...summary });
    }
    return out;
  });
  const { factor } = machine;
  const pct = (x: number) => (100 * x).toFixed(2);
  console.log(`before: ${describeSpeed(machine.before)}\nafter:  ${describeSpeed(machine.after)}`);
  console.log(`eval on ${values.set} (${os.availableParallelism()} cores, ${values.workers} workers, ${values.backend}; ${os.cpus()[0]?.model ?? ''})`);
  console.log('| preset | model | pairs | images | accuracy % | AUC | EER % | TAR@1e-2 % | TAR@1e-3 % | failed det. | images/s | normalised images/s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.preset} | ${r.model} | ${r.pairs} | ${r.images} | ${pct(r.accuracy.mean)} +- ${pct(r.accuracy.std)} | ${r.auc.toFixed(4)} | ${pct(r.eer)} | ${pct(r.tar_at_far['0.01'])} | ${pct(r.tar_at_far['0.001'])} | ${r.failed_detections} | ${r.images_per_second.toFixed(1)} | ${(r.images_per_second * factor).toFixed(1)} |`);
  }
  mkdirSync(path.dirname(values.out!), { recursive: true });
  const note = 'factor > 1: slower than the machine of ../shared/runtime.md; normalised images/s = images/s x factor';
  const result = { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, date: new Date().toISOString(), machine: { ...machine, note }, rows };
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), values.out!)}`);
  return result;
}

export default benchEval;
