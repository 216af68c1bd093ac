/**
 * Fusion overhead on the current backend (default wasm): ms per face for each module, for one
 * face per call (what an item node does per image) and for a batch of 64: the plain-loop
 * inference the nodes use (fast.ts) and the tfjs version training uses.
 * Run: npx tsx test/robustness/fusion-bench.ts [backend]
 */
import * as tf from '@tensorflow/tfjs';
import { CONTEXT_DIM, CONTEXT_NAMES } from '../../src/context/vector';
import { defaultFusionConfig, FUSION_KINDS, initFusion, runFusion } from '../../src/models/fusion';
import { fuseValues, toHost } from '../../src/models/fusion/runtime';
import { initBackend, type BackendName } from '../../src/runtime/backend';
import { Rng } from '../../src/train/rng';
import { templatePoints } from '../../nodes/align/templates';
import { DEFAULT_OCC_CONFIG, initOcclusionClassifier } from '../../src/context/occlusion-classifier';
import { occlusionScores } from '../../src/context/occlusion-runtime';
import { contextVector } from '../../src/context/vector';
import { createNodeIO } from '../../src/io/node-io';
import { applyGate, defaultGateConfig, initGate } from '../../src/models/gate/gate';
import { loadMobileFaceNetTail } from '../../src/models/gate/mobilefacenet-tail';

const backend = (process.argv[2] ?? 'wasm') as BackendName;
await initBackend(backend);
const D = 192;
/** The machine is shared: report the best of several timing runs. */
const minOf = (k: number, f: () => number) => Math.min(...Array.from({ length: k }, f));
const rng = new Rng(1);
const rows: Record<string, unknown>[] = [];
for (const kind of FUSION_KINDS) {
  const cfg = defaultFusionConfig(kind, D, CONTEXT_DIM);
  const weights = initFusion(cfg, rng);
  const f = { cfg, weights, host: toHost(weights), origin: 'bench' };
  for (const n of [1, 64]) {
    const emb = { dim: D, count: n, data: rng.normalArray(n * D, 0.07), model: 'bench', fallback: new Array(n).fill(false) };
    const ctx = { dim: CONTEXT_DIM, count: n, data: rng.normalArray(n * CONTEXT_DIM, 0.5), names: CONTEXT_NAMES };
    for (let i = 0; i < 20; i++) fuseValues(f, emb, ctx); // warm-up
    const reps = n === 1 ? 200 : 10;
    const ms = minOf(5, () => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) fuseValues(f, emb, ctx);
      return (performance.now() - t0) / reps;
    });
    // The tfjs version (what training runs), for comparison.
    const e = tf.tensor2d(emb.data, [n, D]);
    const c = tf.tensor2d(ctx.data, [n, CONTEXT_DIM]);
    const tfjsCall = () => tf.tidy(() => {
      const r = runFusion(cfg, weights, e, c);
      r.fused.dataSync();
      r.weights.dataSync();
    });
    for (let i = 0; i < 5; i++) tfjsCall();
    const tfMs = minOf(5, () => {
      const t1 = performance.now();
      for (let i = 0; i < reps / 2; i++) tfjsCall();
      return (performance.now() - t1) / (reps / 2);
    });
    tf.dispose([e, c]);
    rows.push({ module: kind, batch: n, 'loops ms/face': +(ms / n).toFixed(4), 'tfjs ms/face': +(tfMs / n).toFixed(4) });
  }
  tf.dispose(Object.values(weights));
}
console.log(`backend ${tf.getBackend()}, embedding ${D}-D, context ${CONTEXT_DIM}-D`);
console.table(rows);

// The other per-face costs of the robustness branch, one face per call.
const time = (reps: number, f: () => void) => {
  for (let i = 0; i < 5; i++) f();
  return +minOf(5, () => {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f();
    return (performance.now() - t0) / reps;
  }).toFixed(3);
};
const crop = Uint8Array.from(rng.normalArray(112 * 112 * 3, 40), (v) => Math.max(0, Math.min(255, 128 + v)));
const lm = templatePoints('arcface-112', 112);
const occ = initOcclusionClassifier(DEFAULT_OCC_CONFIG, rng);
const classifier = { cfg: DEFAULT_OCC_CONFIG, weights: occ, origin: 'bench' };
const tail = await loadMobileFaceNetTail(createNodeIO());
const gcfg = defaultGateConfig(512);
const gw = initGate(gcfg);
const fmap = tf.tensor4d(rng.normalArray(7 * 7 * 512, 1), [1, 7, 7, 512]);
console.table({
  'context vector (photometry + pose)': time(50, () => contextVector({ crop: { data: crop, width: 112, height: 112, channels: 3 }, detection: { box: [0, 0, 100, 100], score: 0.99, landmarks: lm } })),
  'occlusion classifier': time(20, () => occlusionScores(classifier, crop, 112, 1)),
  'gate + MobileFaceNet tail': time(20, () => tf.tidy(() => tail.run(applyGate(gcfg, gw, fmap).features).dataSync())),
});
