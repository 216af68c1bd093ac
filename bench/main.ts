/**
 * `npm run bench -- <name> [args]`: each benchmark prints a table and writes JSON under bench/results/.
 */
const BENCHMARKS: Record<string, () => Promise<{ default: (args: string[]) => Promise<void> }>> = {
};

const [name, ...args] = process.argv.slice(2);
const load = name ? BENCHMARKS[name] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|') || 'name'}> [args]`);
  process.exit(2);
}
await (await load()).default(args);
