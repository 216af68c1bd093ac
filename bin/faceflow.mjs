#!/usr/bin/env node
// Which CLI runs: in a clone (src/ is here) the TypeScript sources through tsx, so an edit counts
// at once and no build can go stale; in the installed package (npm pack ships dist/lib and no
// src/) the built JavaScript, with no tsx at run time (docs/library.md).
import { existsSync, readFileSync } from 'node:fs';
import v8 from 'node:v8';

// WebAssembly goes straight to V8's optimizing compiler, without the baseline tier (Liftoff): a
// generated SIMD kernel (src/wasm) runs one long loop per call and V8 swaps in optimized code only
// from a function's next call, so each kernel's first call in each thread ran on baseline code
// (about 0.3 s more per thread on the first images). Process-wide: the worker threads get it too.
v8.setFlagsFromString('--no-liftoff');

// `faceflow --version` (or -V): the package's version, at once (nothing else is loaded)
if (process.argv[2] === '--version' || process.argv[2] === '-V') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`faceflow ${pkg.version}\n`);
  process.exit(0);
}

const fromSource = existsSync(new URL('../src/cli/main.ts', import.meta.url));
if (fromSource) {
  // the npm packages first, without tsx's hooks (src/runtime/packages.mjs says why)
  const { importPackages, CLI_PACKAGES } = await import('../src/runtime/packages.mjs');
  await importPackages(CLI_PACKAGES);
  (await import('tsx/esm/api')).register();
}
const cli = fromSource ? '../src/cli/' : '../dist/lib/src/cli/';
const ext = fromSource ? 'ts' : 'js';
// SIGINT/SIGTERM end a run at once (outputs appear only by rename, see src/cli/outputs.ts);
// under `npx`, a signal sent to npm is passed on to this process (src/cli/npm-shell-watch.ts).
const { watchNpmShell } = await import(`${cli}npm-shell-watch.${ext}`);
watchNpmShell();
const { main } = await import(`${cli}main.${ext}`);
process.exitCode = await main(process.argv.slice(2));
