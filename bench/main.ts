/**
 * `npm run bench -- <name> [args]`: each benchmark prints a table and writes JSON under bench/results/.
 */
type Bench = (args: string[]) => Promise<unknown>;

const BENCHMARKS: Record<string, Bench> = {
  clahe: async () => (await import('./clahe')).benchClahe(),
  cost: async (args) => (await import('./cost')).benchCost(args),
  detect: async (args) => (await import('./detect')).benchDetect(args),
  'embed-rss': async (args) => (await import('./embed-rss')).benchEmbedRss(args),
  eval: async (args) => (await import('./eval')).benchEval(args),
  fusion: async (args) => (await import('./fusion')).benchFusion(args),
  fuzz: async (args) => (await import('./fuzz')).benchFuzz(args),
  'gate-ratio': async (args) => (await import('./gate-ratio')).benchGateRatio(args),
  landmarks: async (args) => (await import('./landmarks')).benchLandmarks(args),
  'mask-bounds': async (args) => (await import('./mask-bounds')).benchMaskBounds(args),
  'mask-labels': async (args) => (await import('./mask-labels')).benchMaskLabels(args),
  speed: async (args) => (await import('./speed')).benchSpeed(args),
};

const [benchName, ...benchArgs] = process.argv.slice(2);
const bench = benchName ? BENCHMARKS[benchName] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}> [args]`);
  process.exit(2);
}
await bench(benchArgs);
export {};
