#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so a fresh `npm install` is all `npx faceflow` needs.
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

// `faceflow --version` (or -V): the package's version, at once (nothing else is loaded)
if (process.argv[2] === '--version' || process.argv[2] === '-V') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`faceflow ${pkg.version}\n`);
  process.exit(0);
}

register();
// SIGINT/SIGTERM end a run at once (outputs appear only by rename, see src/cli/outputs.ts);
// under `npx`, a signal sent to npm is passed on to this process (src/cli/npm-shell-watch.ts).
const { watchNpmShell } = await import('../src/cli/npm-shell-watch.ts');
watchNpmShell();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
