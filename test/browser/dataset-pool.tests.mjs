// Dataset runs over the lab's pool of item workers (src/ui/run/item-pool.ts): the same scores as the
// compute worker alone, and a cancel that stops every worker.
import fs from 'node:fs';
import path from 'node:path';
import { assert } from './harness.mjs';
import { importAndRun, openLab } from './detectors.tests.mjs';
import { LFW_DEV, lfwPairsFolder, maxScoreDiff, pickDataset, runPickedDataset } from './lab-dataset.mjs';

const preset = (id) => JSON.parse(fs.readFileSync(`presets/${id}.json`, 'utf8'));
const poolStats = (page) => page.evaluate(() => window.faceflowDebug.datasetPool());

export const datasetPoolTests = [
  {
    name: 'dataset pool: 2 workers give the one worker\'s per-pair scores on real lfw-dev pairs, a bad image fails alone naming its file, cancel stops every worker',
    async run({ page, url }) {
      await openLab(page, url);
      if (!fs.existsSync(path.join(LFW_DEV, 'pairs.txt'))) return console.log('       skipped: ../shared/datasets/lfw-dev is not there');
      assert((await importAndRun(page, 'baseline-mtcnn-facenet.json', preset('baseline-mtcnn-facenet'))) === 'done', 'baseline graph');
      // 16 lfw-dev images of 8 pairs and one file that is not a JPEG, copied afresh for each run
      // (new files: nothing comes from a cache); the first pooled run starts the item worker
      const copies = [];
      const run = async (workers) => {
        const folder = lfwPairsFolder(4);
        copies.push(folder);
        fs.mkdirSync(path.join(folder.root, 'Broken_File'));
        fs.writeFileSync(path.join(folder.root, 'Broken_File', 'Broken_File_0001.jpg'), 'not a jpeg');
        folder.images++;
        await pickDataset(page, folder);
        return runPickedDataset(page, workers, 300_000);
      };
      try {
        const first = await run(2);
        const pooled = await run(2);
        const one = await run(1);
        const stats = await poolStats(page);
        const diff = Math.max(maxScoreDiff(one, first), maxScoreDiff(one, pooled));
        console.log(`       17 images: 1 worker ${one.seconds.toFixed(1)} s; 2 workers ${first.seconds.toFixed(1)} s (item worker starting), then ${pooled.seconds.toFixed(1)} s; items per member ${stats.map((s) => `${s.worker} ${s.itemsRun}`).join(', ')}; scores differ by at most ${diff.toExponential(1)}`);
        assert(one.workers === 1 && first.workers === 2 && pooled.workers === 2, `workers used: ${one.workers}, ${first.workers}, ${pooled.workers}`);
        assert([one, first, pooled].every((r) => r.status === 'done' && r.pairs.length === 8), 'every run done, 8 pairs');
        assert(diff <= 1e-5, `per-pair scores differ by ${diff}`);
        assert(one.pairs.filter((p) => Number.isFinite(p.score)).length >= 6, `most pairs scored: ${JSON.stringify(one.pairs)}`);
        assert(stats.length === 2 && stats.every((s) => s.itemsRun > 0), `both members ran items: ${JSON.stringify(stats)}`);
        for (const r of [one, first, pooled]) {
          assert(r.errors.length === 1 && /^Broken_File\/Broken_File_0001\.jpg: /.test(r.errors[0]) && !r.errors[0].includes('\n'), `one error line naming the bad file: ${JSON.stringify(r.errors)}`);
        }
      } finally {
        copies.forEach((c) => c.remove());
      }

      // Cancel: a new copy (new files, so nothing comes from the workers' caches) stopped after two images.
      const again = lfwPairsFolder(6);
      try {
        const panel = await pickDataset(page, again);
        const rows = await panel.locator('[data-testid=run-row]').count();
        const before = (await poolStats(page)).reduce((n, s) => n + s.itemsRun, 0);
        await panel.locator('[data-testid=dataset-workers]').selectOption('2');
        await panel.locator('[data-testid=dataset-run]').click();
        await page.waitForFunction(() => Number(document.querySelector('[data-testid=dataset-progress]')?.dataset.done) >= 2, null, { polling: 50, timeout: 120_000 });
        await panel.locator('[data-testid=dataset-cancel]').click();
        await page.locator('[data-testid=toast-info]', { hasText: 'cancelled' }).waitFor();
        const atCancel = await poolStats(page);
        await page.waitForTimeout(1500);
        const later = await poolStats(page);
        const ran = later.reduce((n, s) => n + s.itemsRun, 0) - before;
        console.log(`       cancelled after ${ran} of ${again.images} images`);
        assert(later.every((s) => !s.busy) && JSON.stringify(later) === JSON.stringify(atCancel), `every worker stopped: ${JSON.stringify(atCancel)} then ${JSON.stringify(later)}`);
        assert(ran >= 2 && ran < again.images, `the run stopped part-way (${ran} of ${again.images})`);
        assert((await panel.locator('[data-testid=run-row]').count()) === rows, 'a cancelled run is not recorded');
      } finally {
        again.remove();
      }
      await page.locator('[data-testid=close-big-view]').click();
    },
  },
];
