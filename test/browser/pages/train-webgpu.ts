// Served by the dev server in the browser tests: the training loop the lab's worker runs
// (transformer fusion, semi-hard triplet loss, AdamW) on small synthetic data, once on wasm and once
// on webgpu with the same seed; the two loss curves should agree to float tolerance.
import * as tf from '@tensorflow/tfjs';
import '../../../src/runtime/wasm-paths.js';
import { defaultFusionConfig, initFusion } from '../../../src/models/fusion/index.js';
import { initBackend, type BackendName } from '../../../src/runtime/backend.js';
import { defaultTrainOptions, trainModule } from '../../../src/train/loop.js';
import { fusionModule } from '../../../src/train/module.js';
import { Rng } from '../../../src/util/rng.js';
import { MASKED_CONTEXT_DIM, MASKED_DIM, maskedEmbeddings } from '../../fixtures/masked-embeddings.js';

async function lossCurve(backend: BackendName) {
  await initBackend(backend);
  const cfg = defaultFusionConfig('transformer', MASKED_DIM, MASKED_CONTEXT_DIM);
  const before = tf.memory().numTensors;
  const module = fusionModule(cfg, initFusion(cfg, new Rng(3)));
  const t0 = performance.now();
  const opts = { ...defaultTrainOptions(3, 3), batchSize: 24, perIdentity: 4, lr: 3e-3, patience: 100 };
  const r = await trainModule(module, maskedEmbeddings(11, 8, 6), maskedEmbeddings(12, 4, 6), opts);
  const ms = performance.now() - t0;
  module.dispose();
  return { backend: tf.getBackend(), ms, losses: r.logs.flatMap((l) => [l.trainLoss, l.valLoss ?? NaN]), leaked: tf.memory().numTensors - before };
}

async function check() {
  const wasm = await lossCurve('wasm');
  const webgpu = await lossCurve('webgpu');
  const maxRelDiff = Math.max(...wasm.losses.map((v, i) => Math.abs(v - webgpu.losses[i]) / Math.max(Math.abs(v), 1e-6)));
  return { wasm, webgpu, maxRelDiff };
}

const result = check().catch((e: Error) => ({ error: e.message }));
(window as unknown as { trainCheck: typeof result }).trainCheck = result;
result.then((r) => {
  document.getElementById('out')!.textContent = JSON.stringify(r, null, 2);
});
