// A dataset run in the lab's Experiments view over real lfw-dev pairs, with a chosen number of
// workers: shared by the dataset-pool browser test and `npm run bench -- lab-dataset`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LFW_DEV = process.env.LFW_DEV ?? path.resolve('../shared/datasets/lfw-dev');

/**
 * A folder `<dir>/lfw-pairs/<identity>/<image>` and its pairs.txt (one fold): the first `perKind`
 * matched and `perKind` mismatched pairs of lfw-dev's first fold that share no image with a pair
 * taken before, so the folder holds 4 x perKind images. Undefined when lfw-dev is absent.
 */
export function lfwPairsFolder(perKind) {
  const lines = fs.existsSync(path.join(LFW_DEV, 'pairs.txt')) ? fs.readFileSync(path.join(LFW_DEV, 'pairs.txt'), 'utf8').trim().split('\n').slice(1) : undefined;
  if (!lines) return undefined;
  const file = (name, n) => `${name}/${name}_${String(n).padStart(4, '0')}.jpg`;
  const used = new Set();
  const take = (want) => {
    const out = [];
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length !== want || out.length === perKind) continue;
      const images = f.length === 3 ? [file(f[0], f[1]), file(f[0], f[2])] : [file(f[0], f[1]), file(f[2], f[3])];
      if (images[0] === images[1] || images.some((i) => used.has(i))) continue;
      images.forEach((i) => used.add(i));
      out.push(line.trim());
    }
    if (out.length < perKind) throw new Error(`lfw-dev has only ${out.length} usable ${want === 3 ? 'matched' : 'mismatched'} pairs`);
    return out;
  };
  const pairs = [...take(3), ...take(4)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceflow-lfw-pairs-'));
  const root = path.join(dir, 'lfw-pairs');
  for (const image of used) {
    fs.mkdirSync(path.join(root, path.dirname(image)), { recursive: true });
    fs.copyFileSync(path.join(LFW_DEV, 'images', image), path.join(root, image));
  }
  const pairsFile = path.join(dir, 'pairs.txt');
  fs.writeFileSync(pairsFile, `1\t${perKind}\n${pairs.join('\n')}\n`);
  return { dir, root, pairsFile, images: used.size, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Open Experiments (if closed) and pick the folder and its pairs.txt. */
export async function pickDataset(page, folder) {
  const panel = page.locator('[data-testid=experiments]');
  if (!(await panel.count())) await page.locator('[data-testid=open-experiments]').click();
  await panel.locator('[data-testid=dataset-dir]').setInputFiles(folder.root);
  await panel.locator(`[data-testid=dataset-summary][data-images="${folder.images}"]`).waitFor();
  await panel.locator('[data-testid=dataset-pairs]').setInputFiles(folder.pairsFile);
  return panel;
}

/**
 * Run the picked dataset with `workers` ('auto' or a number) and wait for it to be recorded:
 * `faceflowDebug.lastDatasetRun()` (per-pair scores, the worker's seconds as workerSeconds) with the
 * wall seconds from the click to the record.
 */
export async function runPickedDataset(page, workers, timeout = 900_000) {
  const panel = page.locator('[data-testid=experiments]');
  await panel.locator('[data-testid=dataset-workers]').selectOption(String(workers));
  const rows = await panel.locator('[data-testid=run-row]').count();
  const t0 = performance.now();
  await panel.locator('[data-testid=dataset-run]').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=run-row]').length > n, rows, { polling: 100, timeout });
  const seconds = (performance.now() - t0) / 1000;
  const run = await page.evaluate(() => window.faceflowDebug.lastDatasetRun());
  return { ...run, seconds, workerSeconds: run.seconds };
}

/**
 * Largest difference between two runs' per-pair scores (a pair unscored in both, e.g. no face
 * found, counts as equal; in one only, as Infinity); throws when they scored different pairs.
 */
export function maxScoreDiff(a, b) {
  if (a.pairs.length !== b.pairs.length || a.pairs.some((p, i) => p.a !== b.pairs[i].a || p.b !== b.pairs[i].b)) throw new Error('the two runs scored different pairs');
  const diff = (x, y) => (Number.isFinite(x) && Number.isFinite(y) ? Math.abs(x - y) : Object.is(x, y) ? 0 : Infinity);
  return Math.max(0, ...a.pairs.map((p, i) => diff(p.score, b.pairs[i].score)));
}
