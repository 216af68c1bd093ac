import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { ARTIFACTS, assert, startDevServer } from './harness.mjs';

export const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
export const nodes = (page) => page.locator('[data-testid=node]');
export const node = (page, id) => page.locator(`.react-flow__node[data-id="${id}"] [data-testid=node]`);
const handle = (page, id, side, port) => page.locator(`.react-flow__node[data-id="${id}"] .react-flow__handle.${side === 'out' ? 'source' : 'target'}[data-handleid="${port}"]`);
/** The number of finished runs, once nothing is scheduled or running (so the next run is the one an action causes). */
export async function runs(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid=run-result]');
    return el && el.dataset.pending === 'false' && el.dataset.status !== 'running';
  }, null, { polling: 100 });
  return page.locator('[data-testid=run-result]').getAttribute('data-runs').then(Number);
}
const mod = process.platform === 'darwin' ? 'Meta' : 'Control';

/** Wait until a run finishes after `before` runs, and return its status. */
export async function nextRun(page, before, timeout = 60_000) {
  await page.waitForFunction((n) => {
    const el = document.querySelector('[data-testid=run-result]');
    return el && Number(el.dataset.runs) > n && el.dataset.status !== 'running' && el.dataset.pending === 'false';
  }, before, { timeout, polling: 100 });
  return page.locator('[data-testid=run-result]').getAttribute('data-status');
}

/** The run panel's message (why a run failed), or '' when there is none; never waits. */
async function runMessage(page) {
  const el = page.locator('[data-testid=run-message]');
  return (await el.count()) ? el.innerText() : '';
}

export async function statuses(page) {
  return page.$$eval('[data-testid=node]', (els) => Object.fromEntries(els.map((e) => [e.dataset.nodeId, e.dataset.status])));
}

/** A fresh lab: clear storage from a non-app page of the same origin (the app autosaves when it is left), then load. */
export async function freshLab(page, url) {
  await page.goto(`${url}pkg/@vladmandic/face-api/package.json`);
  await page.evaluate(() => localStorage.clear());
  await page.goto(url);
  await nextRun(page, 0, 90_000);
}

async function drag(page, from, to) {
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}

/** An empty spot on the canvas (top-left area, away from the fitted nodes). */
async function emptyCanvasPoint(page) {
  const box = await page.locator('.react-flow__pane').boundingBox();
  return { x: box.x + 80, y: box.y + 60 };
}

async function addFromSearch(page, query, type) {
  const p = await emptyCanvasPoint(page);
  await page.mouse.click(p.x, p.y);
  await page.keyboard.press('/');
  await page.locator('[data-testid=quick-add-input]').fill(query);
  await page.locator(`[data-testid=quick-add-item][data-node-type="${type}"]`).waitFor();
  await page.keyboard.press('Enter');
  await page.locator(`.react-flow__node[data-id="${type}"]`).waitFor();
  await page.keyboard.press('f'); // fit view, so every port is on screen
  await page.waitForTimeout(400);
}

export async function importPreset(page, name, json) {
  await page.locator('[data-testid=tab-presets]').click();
  await page.locator('[data-testid=import-file]').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(json) });
}

/** What a test page under test/browser/pages/ leaves in window[key], served by a dev server of its own. */
async function devPageResult(context, page, key) {
  const dev = await startDevServer();
  const tab = await context.newPage();
  try {
    await tab.goto(`${dev.url}test/browser/pages/${page}`);
    return await tab.evaluate((k) => window[k], key);
  } finally {
    await tab.close();
    await dev.close();
  }
}

async function saveOutput(page, nodeId, port) {
  await node(page, nodeId).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=save-output][data-port="${port}"]`).click()]);
  return JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
}

const EMBED_GRAPH = {
  schema: 'faceflow/pipeline', version: 2, name: 'Embed centre crop', description: 'image -> centre crop -> MobileFaceNet -> trained attention gate',
  nodes: [
    { id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
    { id: 'align', type: 'align', params: { mode: 'center' }, position: { x: 300, y: 0 } },
    { id: 'embed', type: 'mobilefacenet', params: { tap: true }, position: { x: 600, y: 0 } },
    { id: 'gate', type: 'attention-gate', params: { weights: 'weights/gate.json' }, position: { x: 900, y: 0 } },
  ],
  edges: [
    { from: { node: 'input', port: 'image' }, to: { node: 'align', port: 'image' } },
    { from: { node: 'align', port: 'faces' }, to: { node: 'embed', port: 'faces' } },
    { from: { node: 'embed', port: 'features' }, to: { node: 'gate', port: 'features' } },
    { from: { node: 'embed', port: 'embeddings' }, to: { node: 'gate', port: 'embeddings' } },
  ],
};


const ATTENTION_GRAPH = {
  schema: 'faceflow/pipeline', version: 2, name: 'Attention and fusion (untrained)', description: 'MTCNN -> align -> MobileFaceNet (tap) -> attention gate; context -> attention and transformer fusion',
  nodes: [
    { id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
    { id: 'mtcnn', type: 'mtcnn', params: {}, position: { x: 260, y: 0 } },
    { id: 'align', type: 'align', params: { select: 'all' }, position: { x: 520, y: 0 } },
    { id: 'embed', type: 'mobilefacenet', params: { tap: true }, position: { x: 780, y: 0 } },
    { id: 'gate', type: 'attention-gate', params: { weights: '' }, position: { x: 1040, y: 0 } },
    { id: 'context', type: 'context', params: {}, position: { x: 780, y: 300 } },
    { id: 'fuse_attn', type: 'fusion-attention', params: {}, position: { x: 1300, y: 0 } },
    { id: 'fuse_tf', type: 'fusion-transformer', params: {}, position: { x: 1300, y: 300 } },
  ],
  edges: [
    { from: { node: 'input', port: 'image' }, to: { node: 'mtcnn', port: 'image' } },
    { from: { node: 'input', port: 'image' }, to: { node: 'align', port: 'image' } },
    { from: { node: 'mtcnn', port: 'detections' }, to: { node: 'align', port: 'detections' } },
    { from: { node: 'align', port: 'faces' }, to: { node: 'embed', port: 'faces' } },
    { from: { node: 'embed', port: 'features' }, to: { node: 'gate', port: 'features' } },
    { from: { node: 'embed', port: 'embeddings' }, to: { node: 'gate', port: 'embeddings' } },
    { from: { node: 'align', port: 'faces' }, to: { node: 'context', port: 'faces' } },
    { from: { node: 'mtcnn', port: 'detections' }, to: { node: 'context', port: 'detections' } },
    { from: { node: 'gate', port: 'embeddings' }, to: { node: 'fuse_attn', port: 'embeddings' } },
    { from: { node: 'context', port: 'context' }, to: { node: 'fuse_attn', port: 'context' } },
    { from: { node: 'embed', port: 'embeddings' }, to: { node: 'fuse_tf', port: 'embeddings' } },
    { from: { node: 'context', port: 'context' }, to: { node: 'fuse_tf', port: 'context' } },
  ],
};

const embedNodes = [
  { id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
  { id: 'align', type: 'align', params: { mode: 'center' }, position: { x: 260, y: 0 } },
  { id: 'embed', type: 'mobilefacenet', params: { tap: false }, position: { x: 520, y: 0 } },
];
const embedEdges = [
  { from: { node: 'input', port: 'image' }, to: { node: 'align', port: 'image' } },
  { from: { node: 'align', port: 'faces' }, to: { node: 'embed', port: 'faces' } },
];
const ENROLL_GRAPH = {
  schema: 'faceflow/pipeline', version: 2, name: 'Enroll', description: '',
  nodes: [...embedNodes, { id: 'enroll', type: 'enroll', params: {}, position: { x: 780, y: 0 } }],
  edges: [...embedEdges, { from: { node: 'embed', port: 'embeddings' }, to: { node: 'enroll', port: 'embeddings' } }],
};
const IDENTIFY_GRAPH = {
  schema: 'faceflow/pipeline', version: 2, name: 'Identify', description: '',
  nodes: [...embedNodes, { id: 'identify', type: 'identify', params: { skipEnrolled: false }, position: { x: 780, y: 0 } }],
  edges: [...embedEdges, { from: { node: 'embed', port: 'embeddings' }, to: { node: 'identify', port: 'embeddings' } }],
};

/** The attention graph's first five nodes (one face per image): MTCNN -> align (central face) -> MobileFaceNet (tap) -> attention gate. */
const GATE_TRAIN_GRAPH = {
  schema: 'faceflow/pipeline', version: 2, name: 'Gate to train', description: 'MTCNN -> align (central face) -> MobileFaceNet (tap) -> attention gate',
  nodes: ATTENTION_GRAPH.nodes.slice(0, 5).map((n) => (n.id === 'align' ? { ...n, params: { select: 'central' } } : n)),
  edges: ATTENTION_GRAPH.edges.slice(0, 6),
};

/** MTCNN -> align (central face) -> occlusion sensitivity on MobileFaceNet (default patch 16, stride 8: 13 x 13 positions). */
const SENSITIVITY_GRAPH = {
  schema: 'faceflow/pipeline', version: 2, name: 'Occlusion sensitivity', description: 'MTCNN -> align (central face) -> occlusion sensitivity (MobileFaceNet)',
  nodes: [
    { id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } },
    { id: 'mtcnn', type: 'mtcnn', params: {}, position: { x: 260, y: 0 } },
    { id: 'align', type: 'align', params: { select: 'central' }, position: { x: 520, y: 0 } },
    { id: 'sens', type: 'occlusion-sensitivity', params: {}, position: { x: 780, y: 0 } },
  ],
  edges: [
    { from: { node: 'input', port: 'image' }, to: { node: 'mtcnn', port: 'image' } },
    { from: { node: 'input', port: 'image' }, to: { node: 'align', port: 'image' } },
    { from: { node: 'mtcnn', port: 'detections' }, to: { node: 'align', port: 'detections' } },
    { from: { node: 'align', port: 'faces' }, to: { node: 'sens', port: 'faces' } },
  ],
};

/** "stored", "deleted" or "absent": the saved-weights record `name` in the lab's IndexedDB. */
function storedWeights(page, name) {
  return page.evaluate((n) => new Promise((resolve, reject) => {
    const open = indexedDB.open('faceflow-lab');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction('weights').objectStore('weights').get(n);
      get.onerror = () => reject(get.error);
      get.onsuccess = () => {
        open.result.close();
        resolve(!get.result ? 'absent' : get.result.bin && !get.result.deleted ? 'stored' : 'deleted');
      };
    };
  }), name);
}

/** A training folder <root>/<identity>/<image> of `perId` images of the first `count` lfw-dev identities that have that many; undefined when lfw-dev is absent. */
function lfwTrainingFolder(count, perId) {
  const lfw = path.resolve('../shared/datasets/lfw-dev/images');
  if (!fs.existsSync(lfw)) return undefined;
  const images = (d) => fs.readdirSync(path.join(lfw, d)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  const ids = fs.readdirSync(lfw).sort().filter((d) => fs.statSync(path.join(lfw, d)).isDirectory() && images(d).length >= perId).slice(0, count);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceflow-train-'));
  for (const id of ids) {
    fs.mkdirSync(path.join(dir, 'lfw-train', id), { recursive: true });
    for (const f of images(id).slice(0, perId)) fs.copyFileSync(path.join(lfw, id, f), path.join(dir, 'lfw-train', id, f));
  }
  fs.mkdirSync(path.join(dir, 'one-person', ids[0]), { recursive: true });
  for (const f of images(ids[0]).slice(0, perId)) fs.copyFileSync(path.join(lfw, ids[0], f), path.join(dir, 'one-person', ids[0], f));
  return { dir, root: path.join(dir, 'lfw-train'), tiny: path.join(dir, 'one-person'), ids };
}

export const tests = [
  {
    name: "app lands on the paper's preset, already run on a sample photo: detections, aligned faces, attention heatmaps",
    async run({ page, url }) {
      const t0 = Date.now();
      await freshLab(page, url);
      // COOP/COEP (vite.config.ts): SharedArrayBuffer, so tfjs-wasm runs threaded (docs/speed.md)
      const isolated = await page.evaluate(() => globalThis.crossOriginIsolated);
      console.log(`       landing run done ${Date.now() - t0} ms after navigation (cross-origin isolated: ${isolated})`);
      assert(isolated || process.env.FACEFLOW_NO_COI === '1', 'the lab should be cross-origin isolated (COOP/COEP headers) so tfjs-wasm can use threads');
      const st = await statuses(page);
      for (const id of ['input', 'clahe', 'mtcnn', 'align', 'embed', 'context', 'fusion']) assert(id in st, `the paper preset should have a "${id}" node: ${JSON.stringify(st)}`);
      assert(Object.values(st).every((s) => s === 'done'), `every node should be done: ${JSON.stringify(st)}`);
      const backend = await page.locator('[data-testid=backend-in-use]').getAttribute('data-backend');
      assert(['wasm', 'webgl', 'webgpu', 'cpu'].includes(backend), `backend shown: ${backend}`);
      await node(page, 'mtcnn').click();
      const faces = parseInt(await page.locator('[data-testid=output-view] [data-testid=detections-count]').innerText(), 10);
      assert(faces >= 1, `no detections on the landing photo (${faces})`);
      const size = await page.locator('[data-testid=output-view] canvas').first().evaluate((c) => [c.width, c.height]);
      assert(size[0] > 100 && size[1] > 100, `side view image too small: ${size}`);
      await shot(page, 'landing');
      await node(page, 'align').click();
      await page.locator('[data-testid=output-view] [data-testid=faces-output]').waitFor();
      // The attention gate sits inside the fine-tuned MobileFaceNet: its 14x14 map is the embed node's attention output.
      await node(page, 'embed').click();
      const heatmaps = page.locator('[data-testid=output-view] [data-testid=attention-view] [data-testid=attention-row]');
      await heatmaps.first().waitFor();
      assert((await heatmaps.count()) >= 1, 'no attention heatmap on the landing run');
      const shape = await page.locator('[data-testid=output-view] [data-testid=attention-view]').first().getAttribute('data-shape');
      assert(/^\d+x14x14$/.test(shape ?? ''), `the gate map should be 14x14 per face: ${shape}`);
      await shot(page, 'landing-attention');
      // The editing tests below work on the small CLAHE preset.
      await page.locator('[data-testid=tab-presets]').click();
      const r = await runs(page);
      await page.locator('[data-testid=bundled-preset][data-id="clahe"]').click();
      assert((await nextRun(page, r)) === 'done', 'the CLAHE preset did not run');
      await page.locator('[data-testid=tab-nodes]').click();
    },
  },
  {
    name: 'search adds a node; undo and redo cover it',
    async run({ page }) {
      const before = await nodes(page).count();
      await addFromSearch(page, 'gray', 'grayscale');
      await page.locator('.react-flow__node[data-id="grayscale"]').waitFor();
      assert((await nodes(page).count()) === before + 1, 'node not added');
      await shot(page, 'node-added');
      await page.keyboard.press(`${mod}+z`);
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=node]').length === n, before, { polling: 100 });
      await page.keyboard.press(`Shift+${mod}+z`);
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=node]').length === n, before + 1, { polling: 100 });
      const redone = await page.locator('[data-testid=undo]').isEnabled();
      assert(redone, 'undo should be available again after redo');
    },
  },
  {
    name: 'dragging between two ports connects them and re-runs',
    async run({ page }) {
      const edges = await page.locator('.react-flow__edge').count();
      const r = await runs(page);
      await drag(page, handle(page, 'clahe', 'out', 'image'), handle(page, 'grayscale', 'in', 'image'));
      await page.waitForFunction((n) => document.querySelectorAll('.react-flow__edge').length === n, edges + 1, { polling: 100 });
      assert((await nextRun(page, r)) === 'done', 'run after connecting did not finish');
      const st = await statuses(page);
      assert(st.grayscale === 'done' && st.input === 'cached' && st.clahe === 'cached', `statuses after connect: ${JSON.stringify(st)}`);
      await shot(page, 'connected');
    },
  },
  {
    name: 'an invalid connection is refused with a reason',
    async run({ page }) {
      await addFromSearch(page, 'mobilefacenet', 'mobilefacenet');
      await page.locator('.react-flow__node[data-id="mobilefacenet"]').waitFor();
      const edges = await page.locator('.react-flow__edge').count();
      await drag(page, handle(page, 'grayscale', 'out', 'image'), handle(page, 'mobilefacenet', 'in', 'faces'));
      const toast = page.locator('[data-testid=toast-error]').last();
      await toast.waitFor();
      const text = await toast.innerText();
      assert(/cannot connect Image to Faces/.test(text), `reason not shown: ${text}`);
      assert((await page.locator('.react-flow__edge').count()) === edges, 'edge was added despite the type mismatch');
      await shot(page, 'connection-refused');
      await drag(page, handle(page, 'grayscale', 'out', 'image'), handle(page, 'clahe', 'in', 'image'));
      await page.locator('[data-testid=toast-error]', { hasText: 'would create a cycle' }).waitFor();
      await page.keyboard.press(`${mod}+z`); // remove the mobilefacenet node again
      await page.waitForFunction(() => !document.querySelector('.react-flow__node[data-id="mobilefacenet"]'), null, { polling: 100 });
    },
  },
  {
    name: 'a wire dropped on empty canvas offers only fitting nodes and connects the pick',
    async run({ page }) {
      const edges = await page.locator('.react-flow__edge').count();
      const from = await handle(page, 'grayscale', 'out', 'image').boundingBox();
      const pane = await page.locator('.react-flow__pane').boundingBox();
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await page.mouse.down();
      await page.mouse.move(pane.x + pane.width - 260, pane.y + 40, { steps: 12 });
      await page.mouse.up();
      await page.locator('[data-testid=quick-add-input]').waitFor();
      const offered = await page.$$eval('[data-testid=quick-add-item]', (els) => els.map((e) => e.dataset.nodeType));
      assert(offered.includes('clahe') && !offered.includes('image-input') && !offered.includes('mobilefacenet'), `offered: ${offered}`);
      await shot(page, 'wire-search');
      await page.locator('[data-testid=quick-add-input]').fill('clahe');
      await page.keyboard.press('Enter');
      await page.locator('.react-flow__node[data-id="clahe2"]').waitFor();
      assert((await page.locator('.react-flow__edge').count()) === edges + 1, 'the picked node was not connected to the wire');
      // Copy/paste it, then undo both steps.
      await node(page, 'clahe2').click();
      await page.keyboard.press(`${mod}+c`);
      await page.keyboard.press(`${mod}+v`);
      await page.locator('.react-flow__node[data-id="clahe3"]').waitFor();
      await page.keyboard.press(`${mod}+z`);
      await page.keyboard.press(`${mod}+z`);
      await page.waitForFunction(() => !document.querySelector('.react-flow__node[data-id="clahe2"]'), null, { polling: 100 });
      assert((await page.locator('.react-flow__edge').count()) === edges, 'undo did not remove the wire-added node and its edge');
    },
  },
  {
    name: 'editing a param re-runs only the nodes downstream of it',
    async run({ page }) {
      await node(page, 'clahe').click();
      const field = page.locator('[data-testid=param-clipLimit]');
      await field.waitFor();
      const r = await runs(page);
      await field.fill('3.5');
      await field.press('Enter');
      assert((await nextRun(page, r)) === 'done', 'run after the edit did not finish');
      const st = await statuses(page);
      assert(st.input === 'cached', `upstream input should be cached, was ${st.input}`);
      assert(st.clahe === 'done' && st.grayscale === 'done', `edited node and downstream should re-run: ${JSON.stringify(st)}`);
      await shot(page, 'inspector');
      const r2 = await runs(page);
      await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
      await page.keyboard.press(`${mod}+z`);
      await nextRun(page, r2);
      assert((await page.locator('[data-testid=node-status]').first().count()) === 1, 'statuses missing');
      await node(page, 'clahe').click();
      assert((await field.inputValue()) === '2', `undo should restore clipLimit 2, got ${await field.inputValue()}`);
    },
  },
  {
    name: 'save as, export and import a preset; a bad file changes nothing',
    async run({ page }) {
      await page.locator('[data-testid=tab-presets]').click();
      await page.locator('[data-testid=save-as-name]').fill('My pipeline');
      await page.locator('[data-testid=save-as]').click();
      await page.locator('[data-testid=user-preset][data-name="My pipeline"]').waitFor();
      await page.locator('[data-testid=rename]').first().click();
      await page.locator('[data-testid=rename-input]').fill('Renamed pipeline');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid=user-preset][data-name="Renamed pipeline"]').waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export]').click()]);
      const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
      assert(exported.schema === 'faceflow/pipeline' && exported.nodes.length === 3 && exported.edges.length === 2, 'exported JSON does not match the graph');
      await shot(page, 'presets');

      const before = await nodes(page).count();
      await importPreset(page, 'broken.json', '{"schema":"faceflow/pipeline","version":2,"name":"x","nodes":[{"id":"a","type":"no-such-node"}]}');
      const err = await page.locator('[data-testid=import-error]').innerText();
      assert(/unknown node type "no-such-node"/.test(err), `bad import message: ${err}`);
      await importPreset(page, 'truncated.json', '{"schema":"faceflow/pip');
      // The box still shows the previous error until the file is read: wait for the new text.
      await page.locator('[data-testid=import-error]', { hasText: 'not valid JSON' }).waitFor({ timeout: 5000 })
        .catch(async () => assert(false, `truncated file message: ${await page.locator('[data-testid=import-error]').innerText()}`));
      assert((await nodes(page).count()) === before, 'a bad import changed the graph');

      const v1 = { schema: 'faceflow/pipeline', version: 1, name: 'Old gray', nodes: [{ id: 'src', type: 'image-input' }, { id: 'g', type: 'grayscale', position: { x: 300, y: 0 } }], edges: ['src.image -> g.image'] };
      const r = await runs(page);
      await importPreset(page, 'old.json', JSON.stringify(v1));
      await page.locator('[data-testid=doc-name]', { hasText: 'Old gray' }).waitFor();
      assert((await nextRun(page, r)) === 'done', 'imported (migrated) preset did not run');
      assert((await nodes(page).count()) === 2 && (await page.locator('.react-flow__edge').count()) === 1, 'imported graph shape');
      await page.locator('[data-testid=user-preset][data-name="Renamed pipeline"] .preset-name').click();
      await page.locator('[data-testid=doc-name]', { hasText: 'Renamed pipeline' }).waitFor();
    },
  },
  {
    name: 'a reload keeps the work',
    async run({ page }) {
      await page.locator('[data-testid=tab-nodes]').click();
      const count = await nodes(page).count();
      const name = await page.locator('[data-testid=doc-name]').innerText();
      await page.waitForTimeout(500);
      await page.reload();
      await nextRun(page, 0, 90_000);
      assert((await nodes(page).count()) === count, 'node count changed across reload');
      assert((await page.locator('[data-testid=doc-name]').innerText()) === name, 'pipeline name changed across reload');
      await page.locator('[data-testid=tab-presets]').click();
      await page.locator('[data-testid=user-preset][data-name="Renamed pipeline"]').waitFor();
      await page.locator('[data-testid=tab-nodes]').click();
    },
  },
  {
    name: 'the MTCNN preset finds faces on a sample photo and draws the boxes',
    async run({ page }) {
      await page.locator('[data-testid=tab-presets]').click();
      const r = await runs(page);
      await page.locator('[data-testid=bundled-preset][data-id="mtcnn"]').click();
      const status = await nextRun(page, r, 120_000);
      assert(status === 'done', `MTCNN run: ${status} ${await runMessage(page)}`);
      await node(page, 'onet').click();
      const count = await page.locator('[data-testid=output-view] [data-testid=detections-count]').innerText();
      const faces = parseInt(count, 10);
      assert(faces >= 1, `no faces found: ${count}`);
      const drawn = await page.locator('[data-testid=output-view] [data-testid=detections-output]').evaluate((c) => {
        // The box colour (#f78c4f) must appear on the canvas.
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let hits = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 247) < 8 && Math.abs(d[i + 1] - 140) < 10 && Math.abs(d[i + 2] - 79) < 10) hits++;
        return hits;
      });
      assert(drawn > 50, `boxes not drawn (${drawn} box-coloured pixels)`);
      await page.keyboard.press('f');
      await page.waitForTimeout(400);
      await shot(page, 'mtcnn');
      await page.locator('[data-testid=tab-nodes]').click();
    },
  },
  {
    name: 'the cascade viewer shows the pyramid, P-Net heatmaps per level, the funnel, and live thresholds',
    async run({ page }) {
      await node(page, 'pnet').click();
      await page.locator('[data-testid=output-view] [data-testid=pnet-composite]').waitFor();
      await page.locator('[data-testid=output-view] [data-testid=open-cascade]').click();
      const viewer = page.locator('[data-testid=cascade-viewer]');
      await viewer.waitFor();
      const levels = await viewer.locator('[data-testid=pyramid-levels] figure').count();
      const heat = await viewer.locator('[data-testid=heatmap-level]').count();
      assert(levels >= 3 && heat === levels, `pyramid levels ${levels}, heatmaps ${heat}`);
      // Windows above the P-Net threshold are drawn in the map's hot colours somewhere.
      const hot = await viewer.locator('[data-testid=heatmap-canvas]').evaluateAll((cs) => cs.map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > 230 && d[i + 1] > 110 && d[i + 2] < 120) n++;
        return n;
      }));
      assert(hot.some((n) => n > 0), `no hot windows drawn in any heatmap: ${hot}`);
      const funnel = async () => viewer.locator('[data-testid=funnel-row]').evaluateAll((els) => els.map((e) => [e.dataset.label, Number(e.dataset.count)]));
      const f1 = await funnel();
      const counts = f1.map(([, n]) => n);
      assert(f1.length === 6 && f1[0][0] === 'Windows scanned' && counts[0] > 1000, `funnel rows: ${JSON.stringify(f1)}`);
      assert(counts.every((n, i) => i === 0 || n <= counts[i - 1]) && counts[5] >= 1, `the funnel must narrow to the faces: ${counts}`);
      assert((await viewer.locator('[data-testid=stage-card]').count()) === 5, 'one card per stage after the pyramid');
      // Raise the R-Net threshold: only R-Net and what follows re-run, and fewer candidates pass it.
      const r = await runs(page);
      await viewer.locator('[data-testid=threshold-rnet]').fill('0.99');
      assert((await nextRun(page, r)) === 'done', 'run after the threshold change');
      const st = await statuses(page);
      assert(st.pyramid === 'cached' && st.pnet === 'cached' && st.nms_pnet === 'cached' && st.rnet === 'done' && st.onet === 'done', `statuses: ${JSON.stringify(st)}`);
      const f2 = (await funnel()).map(([, n]) => n);
      assert(f2[3] < counts[3] && f2[2] === counts[2], `R-Net at 0.99 should keep fewer: before ${counts}, after ${f2}`);
      const r2 = await runs(page);
      await viewer.locator('[data-testid=threshold-rnet]').fill('0.7');
      await nextRun(page, r2);
      assert(JSON.stringify((await funnel()).map(([, n]) => n)) === JSON.stringify(counts), 'restoring the threshold restores the funnel');
      await viewer.locator('.big-view-body').evaluate((el) => { el.scrollTop = 0; });
      await page.waitForTimeout(300);
      await shot(page, 'cascade-viewer');
      await viewer.locator('[data-testid=stage-card]').first().scrollIntoViewIfNeeded();
      await shot(page, 'cascade-stages');
      await viewer.locator('[data-testid=close-big-view]').click();
      await viewer.waitFor({ state: 'detached' });
      await shot(page, 'cascade-side');
    },
  },
  {
    name: 'a result exports as PNG with the pipeline embedded; dropping the PNG restores the pipeline',
    async run({ page }) {
      await node(page, 'onet').click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=output-view] [data-testid=export-png]').click()]);
      const png = fs.readFileSync(await download.path());
      const decoded = PNG.sync.read(png);
      assert(decoded.width > 100 && decoded.height > 100, `exported picture ${decoded.width}x${decoded.height}`);
      const at = png.indexOf('iTXt');
      assert(at > 0, 'no iTXt chunk');
      const len = png.readUInt32BE(at - 4);
      const body = png.subarray(at + 4, at + 4 + len);
      const key = 'faceflow-pipeline';
      assert(body.subarray(0, key.length).toString('latin1') === key, 'iTXt keyword');
      const json = JSON.parse(body.subarray(key.length + 5).toString('utf8'));
      assert(json.name === 'MTCNN face detector' && json.nodes.length === 7 && json.edges.length === 8, `embedded pipeline: ${json.name} ${json.nodes?.length}`);
      fs.writeFileSync(path.join(ARTIFACTS, 'result-with-pipeline.png'), png);
      // The pipeline itself as a picture, with the same metadata.
      const [canvasDl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-canvas-png]').click()]);
      const graphPng = fs.readFileSync(await canvasDl.path());
      assert(PNG.sync.read(graphPng).width > 600, 'graph picture too small');
      assert(graphPng.includes('"name":"MTCNN face detector"'), 'graph PNG carries the pipeline');
      fs.writeFileSync(path.join(ARTIFACTS, 'pipeline-export.png'), graphPng);

      // A PNG without a pipeline is refused with a message by the import button.
      await page.locator('[data-testid=tab-presets]').click();
      await page.locator('[data-testid=import-file]').setInputFiles({ name: 'plain.png', mimeType: 'image/png', buffer: await page.screenshot() });
      assert(/carries no FaceFlow pipeline/.test(await page.locator('[data-testid=import-error]').innerText()), 'plain PNG message');

      // Load something else, then drop the exported PNG on the lab.
      const r = await runs(page);
      await page.locator('[data-testid=bundled-preset][data-id="clahe"]').click();
      await page.locator('[data-testid=doc-name]', { hasText: 'CLAHE' }).waitFor();
      await nextRun(page, r);
      const r2 = await runs(page);
      await page.evaluate(async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'result.png', { type: 'image/png' }));
        const target = document.querySelector('.react-flow__pane');
        target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, png.toString('base64'));
      await page.locator('[data-testid=doc-name]', { hasText: 'MTCNN face detector' }).waitFor();
      assert((await nodes(page).count()) === 7, 'restored node count');
      assert((await nextRun(page, r2, 120_000)) === 'done', 'the restored pipeline runs');
      await page.locator('[data-testid=tab-nodes]').click();
      await shot(page, 'png-restored');
    },
  },
  {
    name: 'the UI keeps painting (a frame within 100 ms) during a run',
    async run({ page }) {
      await page.evaluate(() => {
        window.__frames = { gaps: [], on: true, long: [] };
        new PerformanceObserver((l) => window.__frames.long.push(...l.getEntries().map((e) => Math.round(e.duration)))).observe({ type: 'longtask' });
        let last = performance.now();
        const loop = (t) => {
          window.__frames.gaps.push(t - last);
          last = t;
          if (window.__frames.on) requestAnimationFrame(loop);
        };
        requestAnimationFrame(loop);
      });
      const r = await runs(page);
      const t0 = Date.now();
      await page.locator('[data-testid=sample]').nth(3).click();
      assert((await nextRun(page, r)) === 'done', 'run on a new sample failed');
      const ms = Date.now() - t0;
      const gaps = await page.evaluate(() => {
        window.__frames.on = false;
        console.log(`long tasks: ${window.__frames.long.join(', ')}`);
        return window.__frames.gaps.slice(1);
      });
      const worst = Math.max(...gaps);
      console.log(`       run took ${ms} ms; ${gaps.length} frames, worst gap ${worst.toFixed(0)} ms`);
      assert(ms > 300, `the run was too short (${ms} ms) to measure responsiveness`);
      assert(worst < 100, `a frame took ${worst.toFixed(0)} ms`);
    },
  },
  {
    name: 'a corrupt image gives a clear error on the input node; a good file then runs',
    async run({ page }) {
      const r = await runs(page);
      const junk = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);
      await page.locator('[data-testid=image-file]').setInputFiles({ name: 'broken.jpg', mimeType: 'image/jpeg', buffer: junk });
      assert((await nextRun(page, r)) === 'error', 'a corrupt file should fail the run');
      const msg = await page.locator('.react-flow__node[data-id="input"] [data-testid=node-message]').innerText();
      assert(/broken\.jpg: node "input": corrupt or unreadable JPEG/.test(msg), `message on the node: ${msg}`);
      assert((await node(page, 'input').getAttribute('data-status')) === 'error', 'input node should show the error state');
      await shot(page, 'corrupt-image');
      const r2 = await runs(page);
      const good = fs.readFileSync('node_modules/@vladmandic/face-api/demo/sample2.jpg');
      await page.locator('[data-testid=image-file]').setInputFiles({ name: 'dropped.jpg', mimeType: 'image/jpeg', buffer: good });
      assert((await nextRun(page, r2)) === 'done', 'a good file after the bad one should run');
    },
  },
  {
    name: 'a run can be cancelled',
    async run({ page }) {
      const r = await runs(page);
      await page.locator('[data-testid=sample]').nth(4).click();
      await page.locator('[data-testid=cancel]').click();
      const status = await nextRun(page, r);
      assert(status === 'cancelled', `status after cancel: ${status}`);
      const st = await statuses(page);
      assert(Object.values(st).some((x) => x === 'idle'), `nodes after the cancelled node should be idle: ${JSON.stringify(st)}`);
      const r2 = await runs(page);
      await page.locator('[data-testid=run]').click();
      assert((await nextRun(page, r2)) === 'done', 'run after cancel');
    },
  },
  {
    name: 'webgpu gives the same embeddings as wasm, and a lost GPU falls back to wasm',
    async run({ page }) {
      const r = await runs(page);
      await importPreset(page, 'embed.json', JSON.stringify(EMBED_GRAPH));
      const wasmStatus = await nextRun(page, r, 120_000);
      assert(wasmStatus === 'done', `wasm run: ${wasmStatus} ${await runMessage(page)}`);
      const wasm = { embed: await saveOutput(page, 'embed', 'embeddings'), gate: await saveOutput(page, 'gate', 'embeddings') };
      const r2 = await runs(page);
      await page.locator('[data-testid=backend-select]').selectOption('webgpu');
      const status = await nextRun(page, r2, 240_000);
      const backend = await page.locator('[data-testid=backend-in-use]').getAttribute('data-backend');
      assert(backend === 'webgpu', `backend in use: ${backend} (${await page.locator('[data-testid=backend-in-use]').getAttribute('title')})`);
      assert(status === 'done', `webgpu run: ${status} ${await runMessage(page)}`);
      const st = await statuses(page);
      assert(st.embed === 'done' && st.gate === 'done', `the embedding and gate nodes should be recomputed on webgpu: ${JSON.stringify(st)}`);
      const gpu = { embed: await saveOutput(page, 'embed', 'embeddings'), gate: await saveOutput(page, 'gate', 'embeddings') };
      await shot(page, 'webgpu');
      const numbers = (v) => JSON.stringify(v).match(/-?\d+(\.\d+)?(e-?\d+)?/g).map(Number);
      for (const node of ['embed', 'gate']) {
        const a = numbers(wasm[node]);
        const b = numbers(gpu[node]);
        assert(a.length === b.length && a.length >= 128, `${node}: embedding sizes differ: ${a.length} vs ${b.length}`);
        const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
        console.log(`       ${node}: ${a.length} numbers, max |wasm - webgpu| = ${diff.toExponential(2)}`);
        assert(diff < 1e-3, `${node}: webgpu differs from wasm by ${diff}`);
      }
      // The GPU goes away (device destroyed, as on a driver reset): the next run falls back to wasm, says so, and is right.
      assert(await page.evaluate(() => window.faceflowDebug.loseGpu()), 'could not destroy the WebGPU device');
      const r3 = await runs(page);
      await page.locator('[data-testid=rerun-all]').click();
      assert((await nextRun(page, r3, 120_000)) === 'done', `run after the GPU loss: ${await runMessage(page)}`);
      await page.locator('[data-testid=backend-in-use][data-backend="wasm"]').waitFor();
      const lostToast = await page.locator('[data-testid=toast-error]', { hasText: 'GPU lost' }).last().innerText();
      assert(/WebGPU device was lost.*fell back to wasm/.test(lostToast), `fallback message: ${lostToast}`);
      const after = numbers(await saveOutput(page, 'gate', 'embeddings'));
      const drift = Math.max(...after.map((v, i) => Math.abs(v - numbers(wasm.gate)[i])));
      console.log(`       after the GPU loss: ${lostToast.replace(/\s+/g, ' ')}; gate max |diff| vs wasm ${drift.toExponential(2)}`);
      assert(drift < 1e-5, `the run after the fallback differs from wasm by ${drift}`);
      const r4 = await runs(page);
      await page.locator('[data-testid=backend-select]').selectOption('wasm');
      await nextRun(page, r4, 120_000);
    },
  },
  {
    name: 'P-Net on webgpu matches a float64 reference (relative error < 1e-4)',
    async run({ context }) {
      const r = await devPageResult(context, 'pnet-webgpu.html', 'pnetCheck');
      console.log(`       ${JSON.stringify(r)}`);
      assert(!r.error, `P-Net check failed: ${r.error}`);
      assert(r.backend === 'webgpu', `ran on ${r.backend}, not webgpu (${r.reason})`);
      assert(r.shapeOk, 'P-Net map shape differs from the reference');
      assert(r.logit < 1e-4 && r.regression < 1e-4, `relative error: logits ${r.logit}, regression ${r.regression}`);
      assert(r.logitSpread > 0.5, 'the reference map is flat: the comparison would prove little');
      assert(r.leaked === 0, `${r.leaked} tensors left behind`);
    },
  },
  {
    name: 'the training loop gives the same loss curve on webgpu as on wasm',
    async run({ context }) {
      const r = await devPageResult(context, 'train-webgpu.html', 'trainCheck');
      assert(!r.error, `training check failed: ${r.error}`);
      console.log(`       transformer fusion, 3 epochs: wasm ${r.wasm.ms.toFixed(0)} ms, webgpu ${r.webgpu.ms.toFixed(0)} ms; max relative loss difference ${r.maxRelDiff.toExponential(2)}`);
      assert(r.webgpu.backend === 'webgpu' && r.wasm.backend === 'wasm', `backends: ${r.wasm.backend}, ${r.webgpu.backend}`);
      assert(r.wasm.losses.length === 6 && r.wasm.losses.every(Number.isFinite), `wasm losses: ${r.wasm.losses}`);
      assert(r.maxRelDiff < 1e-3, `loss curves differ by ${r.maxRelDiff}: ${r.wasm.losses} vs ${r.webgpu.losses}`);
      assert(r.wasm.leaked === 0 && r.webgpu.leaked === 0, `tensors left: wasm ${r.wasm.leaked}, webgpu ${r.webgpu.leaked}`);
    },
  },
  {
    name: 'attention over aligned faces, clean and occluded side by side, with an opacity control',
    async run({ page }) {
      const r = await runs(page);
      await importPreset(page, 'attention.json', JSON.stringify(ATTENTION_GRAPH));
      const status = await nextRun(page, r, 120_000);
      assert(status === 'done', `attention graph: ${status} ${await runMessage(page)}`);
      await page.locator('[data-testid=tab-nodes]').click();
      await node(page, 'gate').click();
      const view = page.locator('[data-testid=output-view] [data-testid=attention-view]');
      await view.waitFor();
      const faces = await view.locator('[data-testid=attention-row]').count();
      assert(faces >= 1, 'no aligned faces in the attention view');
      const r2 = await runs(page);
      await view.locator('[data-testid=add-occluded-branch]').click();
      assert((await nextRun(page, r2, 120_000)) === 'done', `run with the occluded branch: ${await runMessage(page)}`);
      assert((await nodes(page).count()) === ATTENTION_GRAPH.nodes.length + 3, 'the branch adds occlusion, backbone and gate');
      const st = await statuses(page);
      assert(st.mtcnn === 'cached' && st.align === 'cached' && st.occlusion === 'done' && st['attention-gate'] === 'done', `statuses: ${JSON.stringify(st)}`);
      await view.locator('[data-testid=attention-occluded]').first().waitFor();
      assert((await view.locator('[data-testid=attention-row]').count()) === faces, 'one row per face');
      const pixels = (sel) => view.locator(sel).first().evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
      const diff = (a, b) => a.reduce((n, v, i) => n + (Math.abs(v - b[i]) > 24 ? 1 : 0), 0) / a.length;
      await view.locator('[data-testid=attention-opacity]').fill('0');
      const clean0 = await pixels('[data-testid=attention-clean]');
      const occ0 = await pixels('[data-testid=attention-occluded]');
      assert(diff(clean0, occ0) > 0.05, `the occluded face should differ from the clean one (${diff(clean0, occ0)})`);
      await view.locator('[data-testid=attention-opacity]').fill('0.8');
      const clean8 = await pixels('[data-testid=attention-clean]');
      assert(diff(clean0, clean8) > 0.2, `the heatmap overlay should change the face (${diff(clean0, clean8)})`);
      await view.locator('[data-testid=attention-opacity]').fill('0.55');
      await page.waitForTimeout(200);
      await shot(page, 'attention');
    },
  },
  {
    name: 'fusion weights: bars over the context components, per-head matrices for the transformer',
    async run({ page }) {
      await node(page, 'fuse_attn').click();
      const bars = page.locator('[data-testid=output-view] [data-testid=fusion-bars]');
      await bars.waitFor();
      assert((await bars.getAttribute('data-bars')) === '12', `bars: ${await bars.getAttribute('data-bars')} (12 context components expected)`);
      assert((await bars.locator('.recharts-bar-rectangle').count()) === 12, 'recharts drew 12 bars');
      await shot(page, 'fusion-attention');
      await node(page, 'fuse_tf').click();
      const heads = page.locator('[data-testid=output-view] [data-testid=head-matrix]');
      await heads.first().waitFor();
      assert((await heads.count()) === 4, `heads: ${await heads.count()}`);
      const cells = await heads.first().locator('rect').count();
      assert(cells === 13 * 13, `a head matrix is tokens x tokens (13 x 13), got ${cells} cells`);
      await shot(page, 'fusion-transformer');
    },
  },
  {
    name: 'a missing weights file gives a clear message, not a crash',
    async run({ page }) {
      await node(page, 'gate').click();
      const field = page.locator('[data-testid=param-weights]');
      const r = await runs(page);
      await field.fill('weights/no-such-gate.json');
      await field.press('Enter');
      assert((await nextRun(page, r)) === 'error', 'the run should fail on the missing file');
      const msg = await page.locator('[data-testid=output-view] [data-testid=output-error]').innerText();
      assert(/weights file is missing/.test(msg) && /no-such-gate\.json/.test(msg), `message: ${msg}`);
      await shot(page, 'weights-missing');
      const r2 = await runs(page);
      await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
      await page.keyboard.press(`${mod}+z`);
      assert((await nextRun(page, r2)) === 'done', 'undo restores the working graph');
    },
  },
  {
    name: 'experiments: a dataset run in the worker (responsive, cancellable) is recorded, compared, plotted and exported',
    async run({ page }) {
      const r0 = await runs(page);
      await importPreset(page, 'embed.json', JSON.stringify(EMBED_GRAPH));
      assert((await nextRun(page, r0, 120_000)) === 'done', 'embedding graph');
      // A dataset folder: six identities (one per sample photo), two images each.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceflow-ds-'));
      const root = path.join(dir, 'mini-faces');
      for (let i = 1; i <= 6; i++) {
        fs.mkdirSync(path.join(root, `person${i}`), { recursive: true });
        const jpg = fs.readFileSync(`node_modules/@vladmandic/face-api/demo/sample${i}.jpg`);
        fs.writeFileSync(path.join(root, `person${i}`, 'a.jpg'), jpg);
        fs.writeFileSync(path.join(root, `person${i}`, 'b.jpg'), jpg);
      }
      await page.locator('[data-testid=open-experiments]').click();
      const panel = page.locator('[data-testid=experiments]');
      await panel.waitFor();
      const before = await panel.locator('[data-testid=run-row]').count();
      await panel.locator('[data-testid=dataset-dir]').setInputFiles(root);
      await panel.locator('[data-testid=dataset-summary][data-images="12"]').waitFor();
      const rows = (n) => page.waitForFunction((k) => document.querySelectorAll('[data-testid=run-row]').length === k, n, { polling: 100, timeout: 180_000 });

      // Cancel: nothing is recorded.
      await panel.locator('[data-testid=dataset-run]').click();
      await panel.locator('[data-testid=dataset-progress]').waitFor();
      await panel.locator('[data-testid=dataset-cancel]').click();
      await page.locator('[data-testid=toast-info]', { hasText: 'cancelled' }).waitFor();
      assert((await panel.locator('[data-testid=run-row]').count()) === before, 'a cancelled run must not be recorded');

      // A full run, with the page painting throughout.
      await page.evaluate(() => {
        window.__dsFrames = { gaps: [], on: true };
        let last = performance.now();
        const loop = (t) => { window.__dsFrames.gaps.push(t - last); last = t; if (window.__dsFrames.on) requestAnimationFrame(loop); };
        requestAnimationFrame(loop);
      });
      const t0 = Date.now();
      await panel.locator('[data-testid=dataset-run]').click();
      // Frames are measured while the worker runs (until the progress bar goes away).
      let sawProgress = false;
      const progress = panel.locator('[data-testid=dataset-progress]');
      await progress.waitFor();
      while (await progress.count()) {
        if (Number(await progress.getAttribute('data-done', { timeout: 1000 }).catch(() => 0)) > 0) sawProgress = true;
        if (Date.now() - t0 > 180_000) throw new Error('dataset run did not finish');
        await page.waitForTimeout(50);
      }
      const ms = Date.now() - t0;
      const gaps = await page.evaluate(() => { window.__dsFrames.on = false; return window.__dsFrames.gaps.slice(1); });
      await rows(before + 1);
      const worst = Math.max(...gaps);
      console.log(`       dataset run took ${ms} ms; ${gaps.length} frames, worst gap ${worst.toFixed(0)} ms`);
      assert(sawProgress, 'progress was never shown');
      assert(ms > 300, `the dataset run was too short (${ms} ms) to measure responsiveness`);
      assert(worst < 100, `a frame took ${worst.toFixed(0)} ms during the dataset run`);

      // A second run of a changed pipeline (test-time flip), to compare.
      await page.locator('[data-testid=close-big-view]').click();
      await node(page, 'embed').click();
      const r1 = await runs(page);
      await page.locator('[data-testid=param-flip]').click();
      await nextRun(page, r1, 120_000);
      await page.locator('[data-testid=open-experiments]').click();
      await panel.locator('[data-testid=dataset-dir]').setInputFiles(root);
      await panel.locator('[data-testid=dataset-run]').click();
      await rows(before + 2);
      // Two runs of one preset name: each is named by what differs (the flip param), not alike.
      const names = (await panel.locator('[data-testid=run-row] [data-testid=run-name]').allInnerTexts()).slice(-2);
      assert(new Set(names).size === 2 && names.every((n) => /embed\.flip=(true|false)/.test(n)), `the two runs should be named by what differs: ${names}`);
      const acc = await panel.locator('[data-testid=run-accuracy]').last().innerText();
      assert(/^100\.00%/.test(acc), `identical copies of each identity should verify perfectly: ${acc}`);
      // Both new runs are ticked: their curves are overlaid.
      await panel.locator('[data-testid=roc-chart]').waitFor();
      const lines = async (id) => panel.locator(`[data-testid=${id}] .recharts-line-curve`).count();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=det-chart] .recharts-line-curve').length === 2, null, { polling: 100, timeout: 10_000 }).catch(() => undefined);
      assert((await lines('roc-chart')) === 2 && (await lines('det-chart')) === 2, `overlaid curves: roc ${await lines('roc-chart')}, det ${await lines('det-chart')}`);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=histogram] .recharts-area').length === 4, null, { polling: 100, timeout: 10_000 }).catch(() => undefined);
      assert((await panel.locator('[data-testid=histogram]').count()) === 2, 'one histogram per ticked run');
      // The FAR picker moves the operating point shown in the table.
      await panel.locator('[data-testid=far-picker]').fill('-1');
      assert((await panel.locator('[data-testid=far-value]').innerText()) === '0.10', 'FAR picker value');
      const thr = await panel.locator('[data-testid=op-threshold]').last().innerText();
      const tar = await panel.locator('[data-testid=op-tar]').last().innerText();
      assert(/^-?\d\.\d{4}$/.test(thr) && tar === '100.00%', `operating point at FAR 0.1: threshold ${thr}, TAR ${tar}`);
      await panel.locator('.big-view-body').evaluate((el) => { el.scrollTop = 0; });
      await shot(page, 'experiments');
      await panel.locator('[data-testid=histogram]').first().scrollIntoViewIfNeeded();
      await shot(page, 'experiments-charts');

      const [json] = await Promise.all([page.waitForEvent('download'), panel.locator('[data-testid=export-json]').click()]);
      const data = JSON.parse(fs.readFileSync(await json.path(), 'utf8'));
      assert(data.runs.length === 2 && data.runs.every((r) => r.preset && r.presetHash && r.dataset.name === 'mini-faces' && r.dataset.items === 12 && r.backend && r.time && r.metrics.roc.length > 1), 'exported JSON runs');
      const [csv] = await Promise.all([page.waitForEvent('download'), panel.locator('[data-testid=export-csv]').click()]);
      const lines2 = fs.readFileSync(await csv.path(), 'utf8').trim().split('\n');
      assert(lines2.length === 3 && lines2[0].startsWith('id,preset,presetHash,dataset') && lines2[1].includes('mini-faces'), `CSV: ${lines2.slice(0, 2)}`);
      fs.rmSync(dir, { recursive: true, force: true });

      // Recorded in IndexedDB: still there after a reload.
      await page.reload();
      await nextRun(page, 0, 90_000);
      await page.locator('[data-testid=open-experiments]').click();
      await rows(before + 2);
      await page.locator('[data-testid=close-big-view]').click();
    },
  },
  {
    name: 'a gallery enrolled in the app is saved in IndexedDB and identifies probes, also after a reload',
    async run({ page }) {
      const r = await runs(page);
      await importPreset(page, 'enroll.json', JSON.stringify(ENROLL_GRAPH));
      assert((await nextRun(page, r, 120_000)) === 'done', `enroll graph: ${await runMessage(page)}`);
      await page.locator('[data-testid=tab-nodes]').click();
      await node(page, 'enroll').click();
      const identity = (await page.locator('[data-testid=output-view] [data-testid=gallery-identities] tbody td').first().innerText()).trim();
      assert(identity.length > 0, 'no enrolled identity shown');
      await page.locator('[data-testid=gallery-name]').fill('class-a');
      await page.locator('[data-testid=save-gallery]').click();
      await page.locator('[data-testid=toast-info]', { hasText: 'Saved gallery “class-a”' }).waitFor();

      const r2 = await runs(page);
      await importPreset(page, 'identify.json', JSON.stringify(IDENTIFY_GRAPH));
      assert((await nextRun(page, r2, 120_000)) === 'error', 'identify without a gallery should fail');
      await page.locator('[data-testid=tab-nodes]').click();
      await node(page, 'identify').click();
      const r3 = await runs(page);
      await page.locator('[data-testid=gallery-select]').selectOption('class-a');
      assert((await nextRun(page, r3, 120_000)) === 'done', `identify with the saved gallery: ${await runMessage(page)}`);
      const row = page.locator('[data-testid=output-view] [data-testid=match-row]').first();
      assert((await row.getAttribute('data-identity')) === identity, `matched ${await row.getAttribute('data-identity')}, enrolled ${identity}`);
      const score = Number(await row.locator('td').nth(2).innerText());
      assert(score > 0.99, `the enrolled image should match itself: ${score}`);
      await shot(page, 'gallery-identify');

      await page.waitForTimeout(400);
      await page.reload();
      assert((await nextRun(page, 0, 90_000)) === 'done', `after reload the gallery is read from IndexedDB: ${await runMessage(page)}`);
      await node(page, 'identify').click();
      assert((await page.locator('[data-testid=output-view] [data-testid=match-row]').first().getAttribute('data-identity')) === identity, 'match after reload');
      assert((await page.locator('[data-testid=gallery-select]').inputValue()) === 'class-a', 'selected gallery after reload');
    },
  },
  {
    name: 'help panel lists the shortcuts',
    async run({ page }) {
      await page.locator('[data-testid=help-button]').click();
      const text = await page.locator('[data-testid=help]').innerText();
      assert(/Undo/.test(text) && /Redo/.test(text) && /Search to add a node/.test(text), 'help panel content');
      await shot(page, 'help');
      await page.keyboard.press('Escape');
      await page.locator('[data-testid=help]').waitFor({ state: 'detached' });
    },
  },
  {
    name: 'training: the attention gate trains in the worker on a picked folder, its weights are saved in IndexedDB, used by the next run and kept after a reload; the saved-weights list reuses and deletes them',
    async run({ page, url }) {
      const data = lfwTrainingFolder(8, 3);
      if (!data) {
        console.log('       skipped: ../shared/datasets/lfw-dev/images is absent');
        return;
      }
      try {
        if (!page.url().startsWith(url)) await freshLab(page, url);
        if ((await page.locator('[data-testid=backend-in-use]').getAttribute('data-backend')) !== 'wasm') {
          const rb = await runs(page);
          await page.locator('[data-testid=backend-select]').selectOption('wasm');
          await nextRun(page, rb, 120_000);
        }
        const r0 = await runs(page);
        await importPreset(page, 'gate-train.json', JSON.stringify(GATE_TRAIN_GRAPH));
        assert((await nextRun(page, r0, 120_000)) === 'done', `gate graph: ${await runMessage(page)}`);
        await page.locator('[data-testid=tab-nodes]').click();
        await node(page, 'gate').click();
        const panel = page.locator('[data-testid=train-panel]');
        await panel.waitFor();

        // One identity: a clear one-line error, nothing runs.
        await panel.locator('[data-testid=train-dir]').setInputFiles(data.tiny);
        await panel.locator('[data-testid=train-summary][data-images="3"]').waitFor();
        await panel.locator('[data-testid=train-start]').click();
        const err = await panel.locator('[data-testid=train-error]').innerText();
        assert(/at least 2 identities with 2 or more images/.test(err), `error: ${err}`);

        await panel.locator('[data-testid=train-dir]').setInputFiles(data.root);
        await panel.locator(`[data-testid=train-summary][data-images="${data.ids.length * 3}"]`).waitFor();
        await panel.locator('[data-testid=train-epochs]').fill('2');
        await panel.locator('[data-testid=train-seed]').fill('1');
        // With the clean-consistency term the occluded rows have a loss even where no triplet is active.
        await panel.locator('[data-testid=train-consistency]').fill('1');
        // Cancel: stops in the cache pass, nothing saved.
        await panel.locator('[data-testid=train-start]').click();
        await panel.locator('[data-testid=train-progress]').waitFor();
        await panel.locator('[data-testid=train-cancel]').click();
        await panel.locator('[data-testid=train-error]', { hasText: 'cancelled' }).waitFor();
        const t0 = Date.now();
        await panel.locator('[data-testid=train-start]').click();
        await panel.locator('[data-testid=train-progress]').waitFor();
        await panel.locator('[data-testid=train-done]').waitFor({ timeout: 180_000 });
        const trainMs = Date.now() - t0;
        assert((await panel.locator('[data-testid=train-error]').count()) === 0, `error after training: ${await panel.locator('[data-testid=train-error]').allInnerTexts()}`);
        const logs = await panel.locator('[data-testid=train-epoch]').evaluateAll((rows) => rows.map((r) => [Number(r.dataset.loss), Number(r.dataset.valLoss)]));
        assert(logs.length === 2 && logs.every(([l, v]) => Number.isFinite(l) && v > 0), `epoch logs: ${JSON.stringify(logs)}`);
        assert((await panel.locator('[data-testid=train-chart] .recharts-line-curve').count()) >= 1, 'the loss chart has a line');
        const backendText = await panel.locator('[data-testid=train-backend]').innerText();
        assert(/wasm/.test(backendText), `backend shown: ${backendText}`);
        const done = panel.locator('[data-testid=train-done]');
        assert((await done.getAttribute('data-leaked')) === '0', `tensors left by training: ${await done.getAttribute('data-leaked')}`);
        const saved = await done.getAttribute('data-url');
        assert(/^idb:weights\/.+\.json$/.test(saved), `saved weights URL: ${saved}`);
        const savedName = saved.slice('idb:weights/'.length, -'.json'.length);
        // The saved-weights list shows them at once, not yet in use.
        const row = (name) => panel.locator(`[data-testid=saved-weights-row][data-name="${name}"]`);
        await row(savedName).waitFor();
        assert((await row(savedName).getAttribute('data-in-use')) === 'false', 'fresh weights are not in use yet');
        await shot(page, 'train-gate');

        // Download: the tfjs-format pair that `faceflow train` writes.
        const downloads = [];
        const onDownload = (d) => downloads.push(d);
        page.on('download', onDownload);
        await panel.locator('[data-testid=train-download]').click();
        for (let i = 0; i < 50 && downloads.length < 2; i++) await page.waitForTimeout(100);
        page.off('download', onDownload);
        assert(downloads.length === 2, `downloads: ${downloads.length}`);
        const manifest = JSON.parse(fs.readFileSync(await downloads[0].path(), 'utf8'));
        const bin = fs.readFileSync(await downloads[1].path());
        const floats = manifest.weightsManifest[0].weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
        assert(manifest.format === 'faceflow-weights' && manifest.kind === 'gate' && manifest.weightsManifest[0].paths[0] === downloads[1].suggestedFilename(), `manifest: ${JSON.stringify(manifest).slice(0, 200)}`);
        assert(bin.length === floats * 4, `.bin holds ${bin.length} bytes, manifest ${floats * 4}`);

        // "Use these weights": an undoable edit of the weights param; the next run uses them.
        const r1 = await runs(page);
        await panel.locator('[data-testid=train-use]').click();
        assert((await nextRun(page, r1, 120_000)) === 'done', `run with the trained gate: ${await runMessage(page)}`);
        assert((await page.locator('[data-testid=param-weights]').inputValue()) === saved, 'weights param');
        await page.locator('[data-testid=inspector] .report').filter({ hasText: saved }).waitFor();
        const r2 = await runs(page);
        await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
        await page.keyboard.press(`${mod}+z`);
        await nextRun(page, r2, 120_000);
        await node(page, 'gate').click();
        assert((await page.locator('[data-testid=param-weights]').inputValue()) === '', 'undo clears the weights param');
        const r3 = await runs(page);
        await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
        await page.keyboard.press(`${mod}+Shift+z`);
        assert((await nextRun(page, r3, 120_000)) === 'done', 'redo');

        // A reload keeps them (the graph autosaved, the weights in IndexedDB).
        await page.waitForTimeout(400);
        await page.reload();
        assert((await nextRun(page, 0, 90_000)) === 'done', `after reload: ${await runMessage(page)}`);
        await node(page, 'gate').click();
        assert((await page.locator('[data-testid=param-weights]').inputValue()) === saved, 'weights param after reload');
        await page.locator('[data-testid=inspector] .report').filter({ hasText: saved }).waitFor();

        // Saved weights: listed after the reload too, marked as the node's.
        await row(savedName).locator('[data-testid=saved-weights-use]', { hasText: 'In use' }).waitFor();
        assert((await row(savedName).getAttribute('data-in-use')) === 'true', 'the weights in use are marked');
        const rowText = await row(savedName).innerText();
        assert(/val acc \d+\.\d%/.test(rowText), `row: ${rowText}`);
        const trainAgain = async () => {
          await panel.locator('[data-testid=train-dir]').setInputFiles(data.root);
          await panel.locator(`[data-testid=train-summary][data-images="${data.ids.length * 3}"]`).waitFor();
          await panel.locator('[data-testid=train-epochs]').fill('1');
          await panel.locator('[data-testid=train-start]').click();
          await panel.locator('[data-testid=train-progress]').waitFor();
          await panel.locator('[data-testid=train-done]').waitFor({ timeout: 180_000 });
          return (await panel.locator('[data-testid=train-done]').getAttribute('data-url')).slice('idb:weights/'.length, -'.json'.length);
        };
        const second = await trainAgain();
        assert(second === `${savedName}-2`, `second weights saved as ${second}`);
        await row(second).waitFor();
        // "Use" on a listed row: the same undoable param edit.
        const r4 = await runs(page);
        await row(second).locator('[data-testid=saved-weights-use]').click();
        assert((await nextRun(page, r4, 120_000)) === 'done', `run with the listed weights: ${await runMessage(page)}`);
        assert((await page.locator('[data-testid=param-weights]').inputValue()) === `idb:weights/${second}.json`, 'weights param after "use"');
        assert((await row(second).getAttribute('data-in-use')) === 'true' && (await row(savedName).getAttribute('data-in-use')) === 'false', 'in-use marks follow the param');
        // Deleting weights a node uses is refused, naming the node; nothing is deleted.
        await row(second).locator('[data-testid=saved-weights-delete]').click();
        const refusal = await panel.locator('[data-testid=saved-weights-error]').innerText();
        assert(refusal.includes(`“${second}” is used by node “gate”`), `refusal: ${refusal}`);
        assert((await row(second).count()) === 1 && (await storedWeights(page, second)) === 'stored', 'refused delete keeps the weights');
        await shot(page, 'train-saved-weights');
        // Deleting unused weights drops them from the list and IndexedDB; the name is never reused.
        await row(savedName).locator('[data-testid=saved-weights-delete]').click();
        await row(savedName).waitFor({ state: 'detached' });
        assert((await storedWeights(page, savedName)) === 'deleted', `IndexedDB after delete: ${await storedWeights(page, savedName)}`);
        assert((await panel.locator('[data-testid=saved-weights-error]').count()) === 0, 'no message after a delete');
        const third = await trainAgain();
        assert(third === `${savedName}-3`, `weights saved after a delete as ${third}`);
        // Deleting the run's own weights withdraws its "use these weights".
        await row(third).locator('[data-testid=saved-weights-delete]').click();
        await row(third).waitFor({ state: 'detached' });
        await panel.locator('[data-testid=train-done]').waitFor({ state: 'detached' });
        await page.waitForTimeout(400);
        await page.reload();
        assert((await nextRun(page, 0, 90_000)) === 'done', `after reload: ${await runMessage(page)}`);
        await node(page, 'gate').click();
        await panel.locator('[data-testid=saved-weights][data-loaded=true]').waitFor();
        const listed = await panel.locator('[data-testid=saved-weights-row]').evaluateAll((rows) => rows.map((r) => [r.dataset.name, r.dataset.inUse]));
        assert(JSON.stringify(listed) === JSON.stringify([[second, 'true']]), `listed after deletes and a reload: ${JSON.stringify(listed)}`);
        console.log(`       ${data.ids.length} identities x 3 images, 2 epochs on wasm: trained in ${trainMs} ms; losses ${logs.map(([l, v]) => `${l.toFixed(4)}/${v.toFixed(4)}`).join(', ')}`);
      } finally {
        fs.rmSync(data.dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'occlusion sensitivity: the map over the face with its own colour range, and clean − occluded after "+ Compare with occlusion"',
    async run({ page, url }) {
      if (!page.url().startsWith(url)) await freshLab(page, url);
      const r0 = await runs(page);
      await importPreset(page, 'sensitivity.json', JSON.stringify(SENSITIVITY_GRAPH));
      const t0 = Date.now();
      assert((await nextRun(page, r0, 180_000)) === 'done', `sensitivity graph: ${await runMessage(page)}`);
      const runMs = Date.now() - t0;
      await page.locator('[data-testid=tab-nodes]').click();
      // The node's thumbnail on the canvas is the heatmap over the face.
      await node(page, 'sens').locator('[data-testid=attention-thumb]').first().waitFor();
      await node(page, 'sens').click();
      const view = page.locator('[data-testid=output-view] [data-testid=attention-view]');
      await view.waitFor();
      assert((await view.getAttribute('data-kind')) === 'sensitivity', `kind: ${await view.getAttribute('data-kind')}`);
      // the lab aligns every face (select: central is for dataset runs): one 13x13 map per face
      assert(/^[1-9]\d*x13x13$/.test(await view.getAttribute('data-shape')), `shape: ${await view.getAttribute('data-shape')}`);
      // The colour bar is labelled with the map's own range (a drop in cosine similarity: small, not 0..1).
      const bar = view.locator('[data-testid=heat-range]');
      const [min, max] = [Number(await bar.getAttribute('data-min')), Number(await bar.getAttribute('data-max'))];
      assert(Number.isFinite(min) && Number.isFinite(max) && max > min && max > 0.005 && max < 1, `range ${min}..${max}`);
      assert((await bar.locator('[data-testid=heat-range-max]').innerText()).trim() !== '1', 'the bar shows the map\'s maximum, not 1');
      assert(/cosine/.test(await bar.innerText()), `bar label: ${await bar.innerText()}`);
      const pixels = (sel) => view.locator(sel).first().evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
      const diff = (a, b) => a.reduce((n, v, i) => n + (Math.abs(v - b[i]) > 24 ? 1 : 0), 0) / a.length;
      await view.locator('[data-testid=attention-opacity]').fill('0');
      const face0 = await pixels('[data-testid=attention-clean]');
      await view.locator('[data-testid=attention-opacity]').fill('0.8');
      const face8 = await pixels('[data-testid=attention-clean]');
      assert(diff(face0, face8) > 0.2, `the sensitivity overlay should change the face (${diff(face0, face8)})`);
      await view.locator('[data-testid=attention-opacity]').fill('0.55');
      await shot(page, 'sensitivity');

      // Clean vs a synthetic mask (the occlusion node) and their difference.
      const r1 = await runs(page);
      await view.locator('[data-testid=add-occluded-branch]').click();
      assert((await nextRun(page, r1, 180_000)) === 'done', `run with the occluded branch: ${await runMessage(page)}`);
      const st = await statuses(page);
      assert(st.mtcnn === 'cached' && st.sens === 'cached' && st.occlusion === 'done' && st['occlusion-sensitivity'] === 'done', `statuses: ${JSON.stringify(st)}`);
      await view.locator('[data-testid=attention-occluded]').first().waitFor();
      await view.locator('[data-testid=attention-difference]').first().waitFor();
      const dbar = view.locator('[data-testid=diff-range]');
      const dmax = Number(await dbar.getAttribute('data-max'));
      assert(dmax > 0.005 && Number(await dbar.getAttribute('data-min')) === -dmax, `difference range ${await dbar.getAttribute('data-min')}..${dmax}`);
      const d = await pixels('[data-testid=attention-difference]');
      const lum = [];
      for (let i = 0; i < d.length; i += 4) lum.push(d[i] + d[i + 1] + d[i + 2]);
      assert(Math.max(...lum) - Math.min(...lum) > 60, 'the difference map is not flat');
      await view.locator('[data-testid=attention-show-diff]').uncheck();
      assert((await view.locator('[data-testid=attention-difference]').count()) === 0, 'the difference can be hidden');
      await view.locator('[data-testid=attention-show-diff]').check();
      await page.waitForTimeout(200);
      await shot(page, 'sensitivity-occluded');
      console.log(`       sensitivity map 13x13 on one face (169 forward passes) in the worker: run ${(runMs / 1000).toFixed(1)} s; range ${min.toFixed(4)}..${max.toFixed(4)}, difference ±${dmax.toFixed(4)}`);
    },
  },
  {
    name: 'reliability: a bad import (bad param, edge to a missing node) changes nothing; a deleted preset comes back with Undo; a picked image survives a reload',
    async run({ page }) {
      await page.locator('[data-testid=tab-presets]').click();
      await page.locator('[data-testid=save-as-name]').fill('Keep me');
      await page.locator('[data-testid=save-as]').click();
      await page.locator('[data-testid=user-preset][data-name="Keep me"]').waitFor();
      const before = await nodes(page).count();
      const edgesBefore = await page.locator('.react-flow__edge').count();
      const bad = {
        schema: 'faceflow/pipeline', version: 2, name: 'bad',
        nodes: [{ id: 'input', type: 'image-input', params: {} }, { id: 'clahe', type: 'clahe', params: { clipLimit: 'lots' } }],
        edges: [{ from: { node: 'input', port: 'image' }, to: { node: 'clahe', port: 'image' } }, { from: { node: 'ghost', port: 'image' }, to: { node: 'clahe', port: 'image' } }],
      };
      await importPreset(page, 'bad.json', JSON.stringify(bad));
      await page.locator('[data-testid=import-error]', { hasText: 'no node "ghost"' }).waitFor({ timeout: 5000 });
      const err = await page.locator('[data-testid=import-error]').innerText();
      assert(/clipLimit/.test(err), `the import message names the bad param: ${err}`);
      assert((await nodes(page).count()) === before && (await page.locator('.react-flow__edge').count()) === edgesBefore, 'a bad import changed the graph');

      await page.locator('[data-testid=user-preset][data-name="Keep me"] [data-testid=delete]').click();
      await page.locator('[data-testid=user-preset][data-name="Keep me"]').waitFor({ state: 'detached' });
      await page.locator('[data-testid=toast-action]', { hasText: 'Undo' }).click();
      await page.locator('[data-testid=user-preset][data-name="Keep me"]').waitFor();

      const r = await runs(page);
      const photo = fs.readFileSync('node_modules/@vladmandic/face-api/demo/sample3.jpg');
      await page.locator('[data-testid=image-file]').setInputFiles({ name: 'picked.jpg', mimeType: 'image/jpeg', buffer: photo });
      assert((await nextRun(page, r)) === 'done', 'the picked image runs');
      await page.waitForTimeout(500);
      await page.reload();
      await nextRun(page, 0, 90_000);
      await page.locator('.run-inputs .sample.active[title="picked.jpg"]').waitFor({ timeout: 10_000 });
      await page.locator('.run-inputs [data-testid=sample]').first().click(); // back to a sample for the tests after this one
    },
  },
  {
    name: 'no console errors',
    async run({ consoleErrors }) {
      assert(consoleErrors.length === 0, `console errors:\n${consoleErrors.join('\n')}`);
    },
  },
];
