import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { registry } from '../nodes/index.js';
import { readPreset } from '../src/runtime/preset.js';
import { nodejsRun } from '../src/runtime/nodejs-host.js';
import { runPipeline, throwIfRunFailed } from '../src/runtime/run.js';
import { fileRunItems, readPairsDataset } from '../src/eval/datasets-nodejs.js';

/**
 * `npm run bench -- cost [--presets a.json,b.json,...] [--images 120] [--reps 2]`: inference cost per
 * face of each preset relative to the first (the baseline), in the same run, on the same images
 * (half lfw-dev, half mfr2-dev: unmasked and masked faces), one worker, wasm, no disk cache.
 * Presets alternate over the repetitions so a change of machine speed hits all of them alike;
 * the median of the repetitions is reported. Writes bench/results/cost.json.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASETS = path.resolve(REPO, '../shared/datasets');

export async function benchCost(args: string[]): Promise<unknown> {
  const { values } = parseArgs({ args, options: {
    presets: { type: 'string', default: 'presets/baseline-mtcnn-facenet.json,presets/robust-masked.json,presets/robust-masked-twin.json,presets/paper-attention-transformer.json' },
    images: { type: 'string', default: '120' }, reps: { type: 'string', default: '2' },
  } });
  delete process.env.FACEFLOW_NODE_CACHE;
  const n = Number(values.images);
  const sets = await Promise.all(['lfw-dev', 'mfr2-dev'].map((s) =>
    readPairsDataset(path.join(DATASETS, s, 'pairs.txt'), path.join(DATASETS, s, 'images'), (p) => readFile(p, 'utf8'))));
  const images = [...sets[0].images.slice(0, Math.ceil(n / 2)), ...sets[1].images.slice(0, Math.floor(n / 2))];
  const items = await fileRunItems(images);
  const files = values.presets!.split(',');
  const runs = new Map<string, { msPerImage: number[]; nodeMs: Record<string, number> }>();
  for (let rep = 0; rep < Number(values.reps); rep++) {
    for (const file of rep % 2 ? [...files].reverse() : files) {
      const p = await readPreset(path.resolve(REPO, file));
      const r = throwIfRunFailed(await runPipeline(p, items, nodejsRun({ backend: 'wasm', workers: 1, registry })));
      const entry = runs.get(file) ?? { msPerImage: [], nodeMs: {} };
      entry.msPerImage.push((r.seconds * 1000) / items.length);
      for (const [id, t] of Object.entries(r.timings)) entry.nodeMs[id] = t.runs ? t.ms / t.runs : 0;
      runs.set(file, entry);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1];
  const base = median(runs.get(files[0])!.msPerImage);
  const rows = files.map((f) => {
    const r = runs.get(f)!;
    return { preset: f, ms_per_image: median(r.msPerImage), ratio: median(r.msPerImage) / base, reps: r.msPerImage, node_ms: r.nodeMs };
  });
  console.log(`inference cost per image (one face each; ${items.length} images: lfw-dev and mfr2-dev; wasm, 1 worker; median of ${values.reps} runs)`);
  console.log('| preset | ms per image | x baseline | slowest nodes (ms per run) |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    const top = Object.entries(r.node_ms).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([id, ms]) => `${id} ${ms.toFixed(1)}`).join(', ');
    console.log(`| ${r.preset} | ${r.ms_per_image.toFixed(1)} | ${r.ratio.toFixed(2)} | ${top} |`);
  }
  mkdirSync(path.join(REPO, 'bench/results'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench/results/cost.json'), `${JSON.stringify({ images: items.length, rows }, null, 2)}\n`);
  return rows;
}
