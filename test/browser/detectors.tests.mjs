// Two detectors (MTCNN, SSD + 68 landmarks) in the lab, and calibrated match scores.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert } from './harness.mjs';
import { freshLab, importPreset, nextRun, node, runs, shot, statuses } from './lab.tests.mjs';

const preset = (id) => JSON.parse(fs.readFileSync(`presets/${id}.json`, 'utf8'));
/** The calibration file shipped beside the presets (fitted on lfw-dev's 3,000 pairs with MTCNN -> MobileFaceNet). */
const CALIBRATION = 'presets/calibration/mtcnn-facenet-lfw-dev.json';

/** The lab as the tests before left it, or a fresh one when these run alone (the runner's filter). */
export async function openLab(page, url) {
  if (!page.url().startsWith(url)) await freshLab(page, url);
}

/** Import a preset document and wait for its run; the run's status and message. */
export async function importAndRun(page, name, doc) {
  const before = await runs(page);
  await importPreset(page, name, JSON.stringify(doc));
  // importing the graph that is already loaded (as a test before may have left it) starts no run: then run it by hand
  const started = await page.waitForFunction((n) => {
    const el = document.querySelector('[data-testid=run-result]');
    return el && (Number(el.dataset.runs) > n || el.dataset.status === 'running');
  }, before, { timeout: 5_000, polling: 100 }).then(() => true, () => false);
  if (!started) await page.locator('[data-testid=run]').click();
  const status = await nextRun(page, before, 180_000);
  await page.locator('[data-testid=tab-nodes]').click();
  return `${status} ${status === 'done' ? '' : await page.locator('[data-testid=run-message]').innerText().catch(() => '')}`.trim();
}

/** A port handle: side 'in' (target) or 'out' (source). */
const port = (page, id, side, name) => page.locator(`.react-flow__node[data-id="${id}"] .react-flow__handle.${side === 'out' ? 'source' : 'target'}[data-handleid="${name}"]`);

/** What the node's "save <port>" link downloads, parsed. */
export async function savedOutput(page, nodeId, portName) {
  await node(page, nodeId).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=save-output][data-port="${portName}"]`).first().click()]);
  return JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
}

export const cosine = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0) / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));

export const detectorTests = [
  {
    name: 'detectors: the baseline graph runs with MTCNN and, its detector node swapped for SSD, the same backbone embeds the same face; the detection view compares both on one photo',
    async run({ page, url }) {
      await openLab(page, url);
      const mtcnnRun = await importAndRun(page, 'baseline-mtcnn-facenet.json', preset('baseline-mtcnn-facenet'));
      assert(mtcnnRun === 'done', `MTCNN graph: ${mtcnnRun}`);
      const viaMtcnn = await savedOutput(page, 'embed', 'embeddings');

      // The swap, as a user does it: delete the MTCNN node, add SSD from the search, wire image in and detections out.
      await node(page, 'mtcnn').click();
      await page.keyboard.press('Delete');
      await page.locator('.react-flow__node[data-id="mtcnn"]').waitFor({ state: 'detached' });
      const pane = await page.locator('.react-flow__pane').boundingBox();
      await page.mouse.click(pane.x + 80, pane.y + 60);
      await page.keyboard.press('/');
      await page.locator('[data-testid=quick-add-input]').fill('ssd');
      await page.locator('[data-testid=quick-add-item][data-node-type="ssd"]').waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.react-flow__node[data-id="ssd"]').waitFor();
      await page.keyboard.press('f');
      await page.waitForTimeout(400);
      await port(page, 'input', 'out', 'image').dragTo(port(page, 'ssd', 'in', 'image'), { steps: 12 });
      const before = await runs(page);
      await port(page, 'ssd', 'out', 'detections').dragTo(port(page, 'align', 'in', 'detections'), { steps: 12 });
      const ssdRun = await nextRun(page, before, 180_000);
      assert(ssdRun === 'done', `SSD graph: ${ssdRun}`);
      const st = await statuses(page);
      assert(!('mtcnn' in st) && ['ssd', 'align', 'embed'].every((id) => st[id] === 'done'), `after the swap: ${JSON.stringify(st)}`);
      assert(st.input === 'cached', `only what lies below the swapped node re-runs: input ${st.input}`);
      const viaSsd = await savedOutput(page, 'embed', 'embeddings');
      // The lab's one-image run embeds every face: each face MTCNN led to has its best match among SSD's faces, one to one.
      assert(viaSsd.dim === viaMtcnn.dim && viaSsd.count >= 1 && viaMtcnn.count >= 1, `embeddings: ${viaMtcnn.count}x${viaMtcnn.dim} then ${viaSsd.count}x${viaSsd.dim}`);
      const rows = (e) => Array.from({ length: e.count }, (_, i) => e.data.slice(i * e.dim, (i + 1) * e.dim));
      const best = rows(viaMtcnn).map((m) => rows(viaSsd).map((x) => cosine(m, x))).map((cs) => ({ at: cs.indexOf(Math.max(...cs)), cos: Math.max(...cs) }));
      console.log(`       ${viaMtcnn.count} faces after MTCNN, ${viaSsd.count} after SSD; each MTCNN face's best SSD match: cosine ${best.map((b) => b.cos.toFixed(3)).join(', ')}`);
      // the same person at MobileFaceNet's LFW threshold (0.405) with margin: the two detectors' points lie within 0.21 IOD
      assert(best.every((b) => b.cos > 0.7) && new Set(best.map((b) => b.at)).size === best.length, `the same faces through either detector should embed alike, one to one: ${JSON.stringify(best)}`);

      // The SSD node's view offers the other detector on the same photo, then shows both side by side.
      await node(page, 'ssd').click();
      const compare = page.locator('[data-testid=output-view] [data-testid=detector-compare]');
      await compare.waitFor();
      const r = await runs(page);
      await compare.locator('[data-testid=add-detector-twin][data-type="mtcnn"]').click();
      const both = await nextRun(page, r, 180_000);
      assert(both === 'done', `with both detectors: ${both}`);
      await node(page, 'ssd').click();
      const sides = compare.locator('[data-testid=detector-side]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=output-view] [data-testid=detector-side]').length === 2, null, { polling: 100, timeout: 20_000 });
      const facts = await sides.evaluateAll((els) => els.map((e) => ({ node: e.dataset.node, faces: Number(e.dataset.faces), ms: Number(e.dataset.ms) })));
      assert(facts.map((f) => f.node).join() === 'ssd,mtcnn', `sides: ${JSON.stringify(facts)}`);
      assert(facts.every((f) => f.faces >= 1 && f.ms > 0), `each side shows its faces and time: ${JSON.stringify(facts)}`);
      const summary = compare.locator('[data-testid=detector-summary]');
      const matched = Number(await summary.getAttribute('data-both'));
      assert(matched >= 1 && matched <= Math.min(facts[0].faces, facts[1].faces), `faces found by both: ${matched} of ${facts[0].faces} / ${facts[1].faces}`);
      // both canvases carry their detector's box colour
      const coloured = await compare.locator('[data-testid=detector-side-canvas]').evaluateAll((cs) => cs.map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const want = [[247, 140, 79], [79, 156, 247]][cs.indexOf(c)];
        let hits = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - want[0]) < 10 && Math.abs(d[i + 1] - want[1]) < 10 && Math.abs(d[i + 2] - want[2]) < 10) hits++;
        return hits;
      }));
      assert(coloured.every((n) => n > 30), `boxes drawn on both sides: ${coloured}`);
      console.log(`       side by side: ${facts.map((f) => `${f.node} ${f.faces} faces ${f.ms.toFixed(0)} ms`).join(' | ')}; ${matched} found by both`);
      await compare.scrollIntoViewIfNeeded();
      await shot(page, 'detector-compare');
    },
  },
  {
    name: 'calibration: the calibration file loads in the app and the identified photo is annotated with P(same person); a malformed file is refused in one line',
    async run({ page, url }) {
      await openLab(page, url);
      const cal = JSON.parse(fs.readFileSync(CALIBRATION, 'utf8'));
      const base = preset('baseline-mtcnn-facenet');
      const doc = {
        ...base,
        name: 'Identify, calibrated',
        nodes: [
          ...base.nodes,
          { id: 'enroll', type: 'enroll', params: {}, position: { x: 1040, y: 0 } },
          { id: 'identify', type: 'identify', params: { skipEnrolled: false }, position: { x: 1300, y: 0 } },
          { id: 'cal', type: 'calibration', params: { file: `/${CALIBRATION}`, method: 'platt' }, position: { x: 1560, y: 0 } },
        ],
        edges: [
          ...base.edges,
          { from: { node: 'embed', port: 'embeddings' }, to: { node: 'enroll', port: 'embeddings' } },
          { from: { node: 'embed', port: 'embeddings' }, to: { node: 'identify', port: 'embeddings' } },
          { from: { node: 'enroll', port: 'gallery' }, to: { node: 'identify', port: 'gallery' } },
          { from: { node: 'identify', port: 'matches' }, to: { node: 'cal', port: 'scores' } },
        ],
      };
      const run = await importAndRun(page, 'identify-calibrated.json', doc);
      assert(run === 'done', `calibrated identify: ${run}`);
      await node(page, 'cal').click();
      const view = page.locator('[data-testid=output-view] [data-testid=calibration-view]');
      const row = view.locator('[data-testid=calibrated-row]').first();
      await row.waitFor();
      const score = Number(await row.getAttribute('data-score'));
      const p = Number(await row.getAttribute('data-probability'));
      const want = 1 / (1 + Math.exp(-(cal.platt.a * score + cal.platt.b)));
      assert(Math.abs(p - want) < 1e-9, `P(same) ${p} at score ${score}; the file's Platt map gives ${want}`);
      const caption = await view.locator('[data-testid=calibration-caption]').innerText();
      assert(caption.endsWith(`P ${(p * 100).toFixed(1)}%`), `annotated output caption: ${caption}`);
      const drawn = await view.locator('[data-testid=calibration-annotated]').evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let hits = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 93) < 10 && Math.abs(d[i + 1] - 227) < 10 && Math.abs(d[i + 2] - 154) < 10) hits++;
        return hits;
      });
      assert(drawn > 200, `the face's box and its P(same) label drawn on the photo (${drawn} label-coloured pixels)`);
      await shot(page, 'calibration-annotated');

      // Another JSON (the SSD's weights manifest, served by the app) as the calibration file: the node fails with one line naming the file.
      const other = '/pkg/@vladmandic/face-api/model/ssd_mobilenetv1_model-weights_manifest.json';
      const r = await runs(page);
      const field = page.locator('[data-testid=param-file]');
      await field.fill(other);
      await field.press('Enter');
      const bad = await nextRun(page, r);
      assert(bad === 'error', `a malformed calibration file should fail the run: ${bad}`);
      await node(page, 'cal').click();
      const message = await page.locator('[data-testid=output-view] [data-testid=output-error] .mono').innerText();
      assert(message.endsWith(`"cal": ${other}: not a calibration file (expected "schema": "faceflow/calibration"; make one with faceflow calibrate)`) && !message.includes('\n'), `one line naming the file: ${JSON.stringify(message)}`);
      // the good file again: back to a result
      const r2 = await runs(page);
      await field.fill(`/${CALIBRATION}`);
      await field.press('Enter');
      assert((await nextRun(page, r2)) === 'done', 'the good file again');
    },
  },
  {
    name: 'calibration: a dataset run in Experiments draws its reliability diagram with the ECE of the raw score and of Platt and isotonic scored k-fold',
    async run({ page, url }) {
      await openLab(page, url);
      const lfw = path.resolve('../shared/datasets/lfw-dev/images');
      if (!fs.existsSync(lfw)) return console.log('       skipped: ../shared/datasets/lfw-dev is not there');
      // 12 lfw-dev people with two photos each: 24 images, 276 pairs by folder (12 of the same person)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceflow-rel-'));
      const root = path.join(dir, 'lfw-12x2');
      const people = fs.readdirSync(lfw).sort().filter((d) => fs.readdirSync(path.join(lfw, d)).length >= 2).slice(0, 12);
      for (const who of people) {
        fs.mkdirSync(path.join(root, who), { recursive: true });
        for (const f of fs.readdirSync(path.join(lfw, who)).sort().slice(0, 2)) fs.copyFileSync(path.join(lfw, who, f), path.join(root, who, f));
      }
      assert((await importAndRun(page, 'baseline-mtcnn-facenet.json', preset('baseline-mtcnn-facenet'))) === 'done', 'baseline graph');
      await page.locator('[data-testid=open-experiments]').click();
      const panel = page.locator('[data-testid=experiments]');
      await panel.locator('[data-testid=dataset-dir]').setInputFiles(root);
      await panel.locator('[data-testid=dataset-summary][data-images="24"]').waitFor();
      const charts = panel.locator('[data-testid=reliability-chart]');
      const before = await charts.count();
      await panel.locator('[data-testid=dataset-run]').click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=reliability-chart]').length > n, before, { polling: 250, timeout: 300_000 });
      const chart = charts.last();
      await chart.scrollIntoViewIfNeeded();
      const ece = await chart.evaluate((e) => ({ raw: Number(e.dataset.eceRaw), platt: Number(e.dataset.ecePlatt), isotonic: Number(e.dataset.eceIsotonic) }));
      console.log(`       ECE on 276 lfw-dev pairs (10-fold): raw ${ece.raw.toFixed(3)}, Platt ${ece.platt.toFixed(3)}, isotonic ${ece.isotonic.toFixed(3)}`);
      assert(Object.values(ece).every((v) => v >= 0 && v <= 1), `ECEs in [0, 1]: ${JSON.stringify(ece)}`);
      // a cosine read as a probability is far off (mismatched faces score 0-0.4 yet are never the same person); the fits are not
      assert(ece.raw > 0.05 && ece.isotonic < ece.raw / 2 && ece.platt < ece.raw / 2, `calibrated ECE well below the raw score's: ${JSON.stringify(ece)}`);
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=reliability-chart]')].at(-1).querySelectorAll('.recharts-line-curve').length === 3, null, { polling: 100, timeout: 10_000 });
      assert((await chart.locator('[data-testid=ece]').innerText()).includes(`isotonic ${ece.isotonic.toFixed(3)}`), 'the ECE is written above the diagram');
      await shot(page, 'experiments-reliability');
      await page.locator('[data-testid=close-big-view]').click();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  },
];
