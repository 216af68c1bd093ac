import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskLabelAccuracy } from '../src/eval/occlusion-labels.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/**
 * `npm run bench -- mask-labels [preset] [labels.txt] [images] [workers]`: the context node's
 * occlusion classifier against real mask labels (default: the robust-gate-transformer preset on
 * mfr2-dev). Prints a table; writes bench/results/mask-labels.json.
 */
export async function benchMaskLabels(args: string[]) {
  const [preset = 'presets/robust-gate-transformer.json', labels = '../shared/datasets/mfr2-dev/labels.txt', images = '../shared/datasets/mfr2-dev/images', workers = '2'] = args;
  const r = await maskLabelAccuracy(path.resolve(REPO, preset), path.resolve(REPO, labels), path.resolve(REPO, images), Number(workers));
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.table({
    'all faces': { n: r.scored, accuracy: pct(r.mask.accuracy), 'masked recall': pct(r.mask.tpr), 'unmasked recall': pct(r.mask.tnr) },
    ...Object.fromEntries(Object.entries(r.per_type).map(([type, t]) => [type, { n: t.n, 'called masked': pct(t.predictedMasked / Math.max(1, t.n)) }])),
  });
  console.log(`eyes flagged on ${pct(r.eyes_flagged)} of the faces (no sunglasses in the labels); ${r.missing_images} labelled image(s) missing; ${r.seconds.toFixed(1)} s`);
  mkdirSync(path.join(REPO, 'bench/results'), { recursive: true });
  writeFileSync(path.join(REPO, 'bench/results/mask-labels.json'), `${JSON.stringify(r, null, 2)}\n`);
  return r;
}
