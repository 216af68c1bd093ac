// `npm run bench -- lab-dataset [--pairs 35] [--rounds 2] [--configs today,coi-1x2,pool-2x1,new] [--out bench/results/lab-dataset.json]`:
// the lab's dataset run (Experiments, presets/baseline-mtcnn-facenet.json) on the same lfw-dev pairs
// in headless Chromium, under today's configuration and the new ones, in the same run: one page
// per configuration (the lab loaded, the baseline graph run), then rounds of one dataset run per
// page in alternating order, each on a new copy of the files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp, launchBrowser, previewApp } from '../test/browser/harness.mjs';
import { freshLab } from '../test/browser/lab.tests.mjs';
import { importAndRun } from '../test/browser/detectors.tests.mjs';
import { LFW_DEV, lfwPairsFolder, maxScoreDiff, pickDataset, runPickedDataset } from '../test/browser/lab-dataset.mjs';

/**
 * The configurations: `isolated` picks the server (COOP/COEP or FACEFLOW_NO_COI=1), `workers` the
 * Experiments view's Workers choice. "today" is the lab before the pool: not isolated (so
 * single-threaded wasm), the compute worker alone.
 */
const CONFIGS = [
  { name: 'today: not isolated, 1 worker (1 wasm thread)', key: 'today', isolated: false, workers: 1 },
  { name: 'isolated, 1 worker (threaded wasm, 2 threads set)', key: 'coi-1x2', isolated: true, workers: 1 },
  { name: 'not isolated, pool of 2 workers x 1 thread', key: 'pool-2x1', isolated: false, workers: 2 },
  { name: 'new: isolated, pool (auto)', key: 'new', isolated: true, workers: 'auto' },
];

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load1 = () => os.loadavg()[0];
/** All cores' busy and total jiffies (Linux /proc/stat): the machine's busy share over a run, ours and everyone else's. */
const cpuTimes = () => {
  if (!fs.existsSync('/proc/stat')) return undefined;
  const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] ?? 0), total };
};
const busyShare = (a, b) => (a && b ? (b.busy - a.busy) / (b.total - a.total) : undefined);

export async function benchLabDataset(args) {
  const { values } = parseArgs({
    args,
    options: {
      pairs: { type: 'string', default: '35' },
      rounds: { type: 'string', default: '4' },
      // a comma list of configuration keys (today, coi-1x2, pool-2x1, new); today is always run
      configs: { type: 'string', default: CONFIGS.map((c) => c.key).join(',') },
      out: { type: 'string', default: 'bench/results/lab-dataset.json' },
    },
  });
  const configs = CONFIGS.filter((c) => c.key === 'today' || values.configs.split(',').includes(c.key));
  const perKind = Number(values.pairs);
  const rounds = Number(values.rounds);
  if (!fs.existsSync(path.join(LFW_DEV, 'pairs.txt'))) {
    console.log('lab-dataset: skipped, ../shared/datasets/lfw-dev is not there (set LFW_DEV to its folder)');
    return undefined;
  }
  console.log(`lab-dataset: ${4 * perKind} lfw-dev images (${perKind} matched + ${perKind} mismatched pairs of fold 1), ${configs.map((c) => c.key).join(', ')}, ${rounds} round(s); load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const outDir = await buildApp();
  // vite.config.ts is read by each preview: the header choice is the environment's at that moment
  process.env.FACEFLOW_NO_COI = '1';
  const plain = await previewApp(outDir);
  delete process.env.FACEFLOW_NO_COI;
  const isolated = await previewApp(outDir);
  const { context, userDataDir } = await launchBrowser();
  const preset = JSON.parse(fs.readFileSync('presets/baseline-mtcnn-facenet.json', 'utf8'));
  const runs = [];
  let images = 0;
  try {
    // one page per configuration, kept open: the lab loaded, the baseline graph run on its photo
    const pages = new Map();
    for (const config of configs) {
      const page = pages.size ? await context.newPage() : context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(120_000);
      await freshLab(page, config.isolated ? isolated.url : plain.url);
      const coi = await page.evaluate(() => globalThis.crossOriginIsolated);
      if (coi !== config.isolated) throw new Error(`${config.key}: crossOriginIsolated is ${coi}`);
      const status = await importAndRun(page, 'baseline-mtcnn-facenet.json', preset);
      if (status !== 'done') throw new Error(`${config.key}: the baseline graph: ${status}`);
      pages.set(config.key, page);
    }
    // Rounds of one dataset run per configuration, in alternating order, so the configurations are
    // timed minutes apart at most (the load here changes from minute to minute). Round 1 is each
    // page's first dataset run (a pool's item workers start with it); later rounds find them started.
    // Every run reads a new copy of the files, so nothing comes from a cache.
    for (let r = 0; r < rounds; r++) {
      for (const config of r % 2 ? [...configs].reverse() : configs) {
        const page = pages.get(config.key);
        await page.bringToFront();
        const copy = lfwPairsFolder(perKind);
        images = copy.images;
        try {
          await pickDataset(page, copy);
          const loadBefore = load1();
          const cpuBefore = cpuTimes();
          const run = await runPickedDataset(page, config.workers);
          const cpuBusy = busyShare(cpuBefore, cpuTimes());
          const pool = await page.evaluate(() => window.faceflowDebug.datasetPool());
          const row = {
            round: r + 1, config: config.key, isolated: config.isolated, workers: run.workers, seconds: run.seconds, worker_seconds: run.workerSeconds,
            images_per_s: copy.images / run.seconds, status: run.status, failed: run.errors.length, accuracy: run.accuracy, auc: run.auc,
            load_before: loadBefore, load_after: load1(), cpu_busy_share: cpuBusy, pool_members_so_far: pool, pairs: run.pairs,
          };
          console.log(`round ${row.round} ${config.name}: ${row.seconds.toFixed(1)} s (${row.images_per_s.toFixed(2)} images/s), ${row.workers} worker(s)${pool.length ? ` (items so far ${pool.map((m) => `${m.worker} ${m.itemsRun}, ${m.threads} thread(s)`).join('; ')})` : ''}, accuracy ${row.accuracy}, load ${loadBefore.toFixed(1)} -> ${row.load_after.toFixed(1)}, cores busy ${cpuBusy === undefined ? '?' : `${(cpuBusy * 100).toFixed(0)}%`}`);
          if (run.status !== 'done') throw new Error(`${config.key}: the dataset run ended ${run.status}`);
          runs.push(row);
        } finally {
          copy.remove();
        }
      }
    }
  } finally {
    await context.close();
    await Promise.all([plain.close(), isolated.close()]);
    fs.rmSync(userDataDir, { recursive: true, force: true });
    fs.rmSync(outDir, { recursive: true, force: true });
  }

  // same results: every run's per-pair scores against today's first run
  const reference = runs.find((x) => x.config === 'today');
  const ratioIn = (x) => runs.find((t) => t.config === 'today' && t.round === x.round).seconds / x.seconds;
  const summary = configs.flatMap((c) => [['first', (x) => x.round === 1], ['later', (x) => x.round > 1]].map(([which, inRounds]) => {
    const mine = runs.filter((x) => x.config === c.key && inRounds(x));
    if (!mine.length) return undefined;
    return {
      config: c.name,
      key: c.key,
      run: which,
      workers: mine[0].workers,
      seconds_median: median(mine.map((x) => x.seconds)),
      images_per_s: images / median(mine.map((x) => x.seconds)),
      // per round: today's seconds / this configuration's, in the same round
      ratio_vs_today: median(mine.map(ratioIn)),
      max_score_diff_vs_today: Math.max(...mine.map((x) => maxScoreDiff(reference, x))),
      accuracy: [...new Set(mine.map((x) => x.accuracy))],
      cores_busy: mine.map((x) => x.cpu_busy_share),
    };
  }).filter(Boolean));
  console.table(Object.fromEntries(summary.map((s) => [`${s.config}, ${s.run === 'first' ? 'first run' : 'later runs'}`, { 'seconds (median)': +s.seconds_median.toFixed(1), 'images/s': +s.images_per_s.toFixed(2), 'ratio vs today': +s.ratio_vs_today.toFixed(2), accuracy: s.accuracy.join(' / '), 'max |score diff|': s.max_score_diff_vs_today }])));
  const result = {
    bench: 'lab-dataset',
    date: new Date().toISOString(),
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    images,
    pairs: perKind * 2,
    preset: 'presets/baseline-mtcnn-facenet.json',
    rounds,
    load_average_start: runs[0]?.load_before,
    load_average_end: os.loadavg(),
    summary,
    runs: runs.map(({ pairs, ...rest }) => ({ ...rest, scored_pairs: pairs.filter((p) => Number.isFinite(p.score)).length })),
    configs: configs.map(({ key, name, isolated, workers }) => ({ key, name, isolated, workers })),
  };
  fs.mkdirSync(path.dirname(values.out), { recursive: true });
  fs.writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${values.out}`);
  return result;
}
