/** Moved to bench/fusion.ts: `npm run bench -- fusion [backend]`. Kept as an alias: npx tsx test/robustness/fusion-bench.ts [backend] */
import { benchFusion } from '../../bench/fusion.js';

await benchFusion(process.argv.slice(2));
