/**
 * `npm run bench -- <name> [args]`: each benchmark prints a table and writes JSON under bench/results/.
 */
import v8 from 'node:v8';

// As bin/faceflow.mjs does (see there): WebAssembly straight to V8's optimizing tier, so the
// benches time what the CLI runs. Process-wide, peers included.
v8.setFlagsFromString('--no-liftoff');

type Bench = (args: string[]) => Promise<unknown>;

const BENCHMARKS: Record<string, Bench> = {
  clahe: async () => (await import('./clahe.js')).benchClahe(),
  cost: async (args) => (await import('./cost.js')).benchCost(args),
  decode: async (args) => (await import('./decode.js')).benchDecode(args),
  detect: async (args) => (await import('./detect.js')).benchDetect(args),
  'embed-rss': async (args) => (await import('./embed-rss.js')).benchEmbedRss(args),
  eval: async (args) => (await import('./eval.js')).benchEval(args),
  fusion: async (args) => (await import('./fusion.js')).benchFusion(args),
  fuzz: async (args) => (await import('./fuzz.js')).benchFuzz(args),
  gpu: async (args) => (await import('./gpu.js')).benchGpu(args),
  'gate-ratio': async (args) => (await import('./gate-ratio.js')).benchGateRatio(args),
  'lab-dataset': async (args) => (await import('./lab-dataset.mjs')).benchLabDataset(args),
  landmarks: async (args) => (await import('./landmarks.js')).benchLandmarks(args),
  'mask-bounds': async (args) => (await import('./mask-bounds.js')).benchMaskBounds(args),
  'mask-labels': async (args) => (await import('./mask-labels.js')).benchMaskLabels(args),
  speed: async (args) => (await import('./speed.js')).benchSpeed(args),
};

const [benchName, ...benchArgs] = process.argv.slice(2);
const bench = benchName ? BENCHMARKS[benchName] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}> [args]`);
  process.exit(2);
}
await bench(benchArgs);
export {};
