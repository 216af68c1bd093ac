// Issue 12 in the browser: corrupt, odd and bomb images through the lab's decoder in Chromium.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, startDevServer } from './harness.mjs';

/** The Node fuzz generator's cases (test/fuzz/images.ts needs node:zlib, so they are written to a folder first). */
function writeCorpus(count, seed) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceflow-image-fuzz-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/fuzz/write-image-corpus.ts', dir, String(count), String(seed)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`write-image-corpus failed: ${r.stderr}`);
  return { dir, cases: JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) };
}

export const reliabilityTests = [
  {
    name: 'image fuzz in the browser: seeds, bombs and 150 corrupted images through the lab decoder decode or fail with a one-line user error naming the file; no crash, none over 2 s, heap bounded',
    async run({ context }) {
      const { dir, cases } = writeCorpus(150, 7);
      const dev = await startDevServer();
      const tab = await context.newPage();
      let crashed = false;
      tab.on('crash', () => (crashed = true));
      try {
        await tab.goto(`${dev.url}test/browser/pages/image-fuzz.html`);
        await tab.waitForFunction(() => window.fuzzReady === true);
        const heap0 = await tab.evaluate(() => window.heapMB());
        let peakHeap = heap0 ?? 0;
        const bad = [];
        const counts = { decoded: 0, refused: 0, slowest: 0 };
        for (const c of cases) {
          const b64 = fs.readFileSync(path.join(dir, c.file)).toString('base64');
          const r = await tab.evaluate(([b, n]) => window.decodeCase(b, n), [b64, c.name]);
          counts.slowest = Math.max(counts.slowest, r.ms);
          if (r.ok) {
            counts.decoded++;
            if (!r.sizeOk) bad.push(`${c.name}: decoded data does not match ${r.width}x${r.height}`);
            if (c.expect === 'invalid') bad.push(`${c.name}: an invalid image was accepted`);
          } else {
            counts.refused++;
            if (!r.userError) bad.push(`${c.name}: ${r.errorName}: ${r.message} (not the project's user error)`);
            else if (!r.message.startsWith(`${c.name}: `) || r.message.includes('\n')) bad.push(`${c.name}: message not one line naming the file: ${r.message}`);
            if (c.expect === 'valid') bad.push(`${c.name}: a valid image was refused: ${r.message}`);
          }
          if (r.ms > 2000) bad.push(`${c.name}: ${r.ms.toFixed(0)} ms`);
          peakHeap = Math.max(peakHeap, (await tab.evaluate(() => window.heapMB())) ?? 0);
        }
        console.log(`       ${cases.length} cases: ${counts.decoded} decoded, ${counts.refused} refused, slowest ${counts.slowest.toFixed(0)} ms, JS heap ${heap0?.toFixed(0)} -> peak ${peakHeap.toFixed(0)} MB`);
        assert(!crashed, 'the tab crashed');
        assert(bad.length === 0, `${bad.length} bad case(s):\n         ${bad.slice(0, 10).join('\n         ')}`);
        assert(counts.refused > 40 && counts.decoded > 10, `expected both outcomes: ${JSON.stringify(counts)}`);
        assert(peakHeap - (heap0 ?? 0) < 512, `JS heap grew by ${(peakHeap - heap0).toFixed(0)} MB`);
      } finally {
        await tab.close();
        await dev.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
