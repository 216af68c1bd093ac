// Accessibility: axe-core on every main view in both themes, and the editor driven by the keyboard alone.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ARTIFACTS, assert } from './harness.mjs';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
const node = (page, id) => page.locator(`.react-flow__node[data-id="${id}"] [data-testid=node]`);

/** Wait until a run finishes after `before` runs, and return its status. */
async function nextRun(page, before, timeout = 60_000) {
  await page.waitForFunction((n) => {
    const el = document.querySelector('[data-testid=run-result]');
    return el && Number(el.dataset.runs) > n && el.dataset.status !== 'running' && el.dataset.pending === 'false';
  }, before, { timeout, polling: 100 });
  return page.locator('[data-testid=run-result]').getAttribute('data-status');
}
async function runs(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid=run-result]');
    return el && el.dataset.pending === 'false' && el.dataset.status !== 'running';
  }, null, { polling: 100 });
  return page.locator('[data-testid=run-result]').getAttribute('data-runs').then(Number);
}
/**
 * A fresh lab on the landing preset, already run: storage is cleared from a sample photo's URL (a
 * non-app page of the same origin, so no autosave on leaving it), then the lab loads.
 */
async function freshLab(page, url) {
  await page.goto(`${url}pkg/@vladmandic/face-api/demo/sample1.jpg`);
  await page.evaluate(() => localStorage.clear());
  await page.goto(url);
  await nextRun(page, 0, 90_000);
}

/**
 * axe-core's violations on the page as it is now (all of axe's default rules: WCAG 2.0/2.1 A and AA
 * plus best practices), as { id, impact, help, count, targets }.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    const detail = (n) => {
      const d = n.any[0]?.data;
      return d && d.contrastRatio ? ` (${d.fgColor} on ${d.bgColor}: ${d.contrastRatio})` : '';
    };
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, count: v.nodes.length, targets: v.nodes.slice(0, 6).map((n) => n.target.join(' ') + detail(n)) }));
  });
}

const SEVERE = new Set(['serious', 'critical']);

/** The main views: each opens one view on the running lab and closes it again when `close` is given. */
const VIEWS = [
  { name: 'landing graph', async open() {} },
  {
    name: 'inspector with Train panel (transformer fusion)',
    async open(page) {
      await node(page, 'fusion').click();
      await page.locator('[data-testid=train-panel]').first().waitFor();
    },
    async close(page) {
      await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
    },
  },
  {
    name: 'attention view (the fine-tuned backbone\'s gate map)',
    async open(page) {
      await node(page, 'embed').click();
      await page.locator('[data-testid=output-view] [data-testid=attention-view]').first().waitFor();
    },
    async close(page) {
      await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
    },
  },
  {
    name: 'help panel',
    async open(page) {
      await page.locator('[data-testid=help-button]').click();
      await page.locator('[data-testid=help]').waitFor();
    },
    async close(page) {
      await page.keyboard.press('Escape');
      await page.locator('[data-testid=help]').waitFor({ state: 'detached' });
    },
  },
  {
    name: 'experiments',
    async open(page) {
      await page.locator('[data-testid=open-experiments]').click();
      await page.locator('[data-testid=experiments]').waitFor();
    },
    async close(page) {
      await page.locator('[data-testid=close-big-view]').click();
      await page.locator('[data-testid=experiments]').waitFor({ state: 'detached' });
    },
  },
  {
    name: 'preset gallery',
    async open(page) {
      await page.locator('[data-testid=tab-presets]').click();
      await page.locator('[data-testid=bundled-preset]').first().waitFor();
    },
  },
  {
    name: 'cascade viewer',
    async open(page) {
      const r = await runs(page);
      await page.locator('[data-testid=bundled-preset][data-id="mtcnn"]').click();
      assert((await nextRun(page, r, 120_000)) === 'done', 'the MTCNN preset did not run');
      await node(page, 'pnet').click();
      await page.locator('[data-testid=output-view] [data-testid=open-cascade]').click();
      await page.locator('[data-testid=cascade-viewer] [data-testid=heatmap-level]').first().waitFor();
    },
    async close(page) {
      await page.locator('[data-testid=close-big-view]').click();
      await page.locator('[data-testid=cascade-viewer]').waitFor({ state: 'detached' });
      await page.locator('[data-testid=tab-nodes]').click();
    },
  },
];

export const a11yTests = [
  {
    name: 'accessibility: axe-core finds no serious or critical violation in the main views, dark and light theme',
    async run({ page, url }) {
      const severe = [];
      const table = [];
      await page.setViewportSize({ width: 1600, height: 1000 });
      try {
        // axe itself works here: an unlabelled input planted in the page is reported.
        await freshLab(page, url);
        await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<div id="axe-canary"><input type="text"></div>'));
        const canary = await axeViolations(page);
        await page.evaluate(() => document.getElementById('axe-canary')?.remove());
        assert(canary.some((v) => v.id === 'label') && canary.some((v) => v.targets.includes('#axe-canary')), `axe did not report the planted unlabelled input: ${JSON.stringify(canary)}`);
        for (const theme of ['dark', 'light']) {
          await page.emulateMedia({ colorScheme: theme });
          await freshLab(page, url);
          const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
          console.log(`       ${theme} theme (page background ${bg})`);
          for (const view of VIEWS) {
            await view.open(page);
            await page.waitForTimeout(300); // transitions settle before colours are measured
            const found = await axeViolations(page);
            await shot(page, `a11y-${theme}-${view.name.replace(/\W+/g, '-')}`);
            const by = (imp) => found.filter((v) => v.impact === imp).reduce((n, v) => n + v.count, 0);
            table.push({ theme, view: view.name, critical: by('critical'), serious: by('serious'), moderate: by('moderate'), minor: by('minor') });
            console.log(`       ${theme} / ${view.name}: ${found.length ? found.map((v) => `${v.impact} ${v.id} x${v.count}`).join(', ') : 'no violations'}`);
            for (const v of found) {
              if (SEVERE.has(v.impact)) severe.push(`${theme} / ${view.name}: ${v.impact} ${v.id} (${v.help}) x${v.count}: ${v.targets.join(' | ')}`);
              else if (process.env.AXE_VERBOSE) console.log(`         ${v.impact} ${v.id}: ${v.targets.join(' | ')}`);
            }
            if (view.close) await view.close(page);
          }
        }
      } finally {
        await page.emulateMedia({ colorScheme: null });
        await page.setViewportSize({ width: 1440, height: 900 });
      }
      fs.writeFileSync(path.join(ARTIFACTS, 'axe-results.json'), JSON.stringify(table, null, 2));
      assert(severe.length === 0, `serious or critical axe violations:\n${severe.join('\n')}`);
    },
  },
];

/** The live region's last sentence. */
const announced = (page) => page.locator('[data-testid=announcer]').innerText().then((t) => t.replace(/\u200b/g, ''));
/** The id of the canvas node that has keyboard focus, or undefined. */
const focusedNode = (page) => page.evaluate(() => document.activeElement?.closest('.react-flow__node')?.getAttribute('data-id') ?? undefined);

async function waitAnnounced(page, re) {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-testid=announcer]')?.textContent ?? ''), re.source, { polling: 100, timeout: 10_000 })
    .catch(async () => assert(false, `live region says "${await announced(page)}", expected ${re}`));
}

/** `/`, type, Enter: a node is added beside the focused one, and the keyboard is on it. */
async function keyboardAdd(page, query, type) {
  const before = await page.locator('.react-flow__node').count();
  await page.keyboard.press('/');
  const input = page.locator('[data-testid=quick-add-input]');
  await input.waitFor();
  assert(await input.evaluate((el) => el === document.activeElement), 'search-to-add should take the focus');
  await page.keyboard.type(query);
  await page.locator(`[data-testid=quick-add-item][data-node-type="${type}"]`).first().waitFor();
  const first = await page.locator('[data-testid=quick-add-item]').first().getAttribute('data-node-type');
  assert(first === type, `"${query}" should list ${type} first, got ${first}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length === n + 1, before, { polling: 100 });
  await page.waitForFunction((t) => document.activeElement?.closest('.react-flow__node')?.getAttribute('data-id') === t, type, { polling: 50, timeout: 5000 })
    .catch(async () => assert(false, `focus should be on the new node ${type}, is on ${await focusedNode(page)}`));
  await waitAnnounced(page, new RegExp(`^added `));
}

/** C on the focused node, filter, Enter: connects the first matching choice. */
async function keyboardConnect(page, filter, from, to) {
  const edges = await page.locator('.react-flow__edge').count();
  await page.keyboard.press('c');
  await page.locator('[data-testid=connect-input]').waitFor();
  await page.keyboard.type(filter);
  const option = page.locator('[data-testid=connect-option]').first();
  const got = [await option.getAttribute('data-from'), await option.getAttribute('data-to')];
  assert(got[0] === from && got[1] === to, `"${filter}" should offer ${from} -> ${to} first, got ${got.join(' -> ')}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__edge').length === n + 1, edges, { polling: 100 });
  await waitAnnounced(page, /^connected /);
}

a11yTests.push({
  name: 'keyboard alone: build image input -> MTCNN -> annotate, run it, delete and undo, with focus shown and each step announced',
  async run({ page, url }) {
    await page.setViewportSize({ width: 1600, height: 1000 });
    try {
      await freshLab(page, url);
      // Nothing below touches the mouse.
      await page.keyboard.press(`${process.platform === 'darwin' ? 'Meta' : 'Control'}+a`);
      await page.keyboard.press('Delete');
      await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length === 0, null, { polling: 100 });
      await waitAnnounced(page, /^deleted /);

      await keyboardAdd(page, 'image input', 'image-input');
      await keyboardAdd(page, 'mtcnn detector', 'mtcnn');
      await keyboardAdd(page, 'annotate', 'annotate');
      // Visible focus: the focused node draws an outline.
      const outline = await page.evaluate(() => {
        const n = document.activeElement?.querySelector('.ff-node');
        const s = n && getComputedStyle(n);
        return s ? `${s.outlineStyle} ${s.outlineWidth}` : 'none';
      });
      assert(/^solid [23]px$/.test(outline), `the focused node should show a focus outline, got "${outline}"`);

      await keyboardConnect(page, 'mtcnn detections', 'mtcnn.detections', 'annotate.detections');
      assert((await announced(page)) === 'connected MTCNN detector detections to Annotate detections detections', `announced: ${await announced(page)}`);
      assert((await focusedNode(page)) === 'annotate', 'focus goes back to the node after connecting');
      await keyboardConnect(page, 'image input', 'image-input.image', 'annotate.image');
      await page.keyboard.press('Alt+ArrowLeft');
      await page.waitForFunction(() => document.activeElement?.closest('.react-flow__node')?.getAttribute('data-id') === 'mtcnn', null, { polling: 50, timeout: 5000 })
        .catch(async () => assert(false, `Alt+Left from annotate should go to mtcnn, went to ${await focusedNode(page)}`));
      await keyboardConnect(page, 'image input', 'image-input.image', 'mtcnn.image');

      // Run it (Mod+Enter), and the annotated picture comes out.
      const r = await runs(page);
      await page.keyboard.press(`${process.platform === 'darwin' ? 'Meta' : 'Control'}+Enter`);
      assert((await nextRun(page, r, 120_000)) === 'done', 'the keyboard-built graph did not run');
      const st = await page.$$eval('[data-testid=node]', (els) => Object.fromEntries(els.map((e) => [e.dataset.nodeId, e.dataset.status])));
      assert(['image-input', 'mtcnn', 'annotate'].every((id) => ['done', 'cached'].includes(st[id])), `statuses: ${JSON.stringify(st)}`);
      await shot(page, 'keyboard-built');

      // Delete the focused node, then undo: both announced.
      assert((await focusedNode(page)) === 'mtcnn', `the keyboard should still be on mtcnn after the run, is on ${await focusedNode(page)}`);
      await page.keyboard.press('Alt+ArrowRight');
      await page.waitForFunction(() => document.activeElement?.closest('.react-flow__node')?.getAttribute('data-id') === 'annotate', null, { polling: 50, timeout: 5000 })
        .catch(async () => assert(false, `Alt+Right from mtcnn should go to annotate, went to ${await focusedNode(page)}`));
      await page.keyboard.press('Delete');
      await page.waitForFunction(() => !document.querySelector('.react-flow__node[data-id="annotate"]'), null, { polling: 100 });
      await waitAnnounced(page, /^deleted Annotate detections$/);
      await page.keyboard.press(`${process.platform === 'darwin' ? 'Meta' : 'Control'}+z`);
      await page.locator('.react-flow__node[data-id="annotate"]').waitFor();
      await waitAnnounced(page, /^undo: added Annotate detections/);
      assert((await page.locator('.react-flow__edge').count()) === 3, 'undo brings the node back with its connections');

      // A connection from the keyboard: Tab reaches the edges (React Flow makes them focusable), Enter selects, Delete removes.
      let onEdge = false;
      for (let i = 0; i < 12 && !onEdge; i++) {
        await page.keyboard.press('Shift+Tab');
        onEdge = await page.evaluate(() => !!document.activeElement?.closest('.react-flow__edge'));
      }
      assert(onEdge, 'Shift+Tab from the nodes should reach a connection');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Delete');
      await page.waitForFunction(() => document.querySelectorAll('.react-flow__edge').length === 2, null, { polling: 100 });
      await waitAnnounced(page, /^disconnected /);
      await page.keyboard.press(`${process.platform === 'darwin' ? 'Meta' : 'Control'}+z`);
      await page.waitForFunction(() => document.querySelectorAll('.react-flow__edge').length === 3, null, { polling: 100 });
      await waitAnnounced(page, /^undo: connected /);
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  },
});
