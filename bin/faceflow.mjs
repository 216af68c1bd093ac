#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so a fresh `npm install` is all `npx faceflow` needs.
import { register } from 'tsx/esm/api';

register();
// SIGINT/SIGTERM end a run at once (outputs appear only by rename, see src/cli/outputs.ts);
// under `npx`, a signal sent to npm is passed on to this process (src/cli/npm-shell-watch.ts).
const { watchNpmShell } = await import('../src/cli/npm-shell-watch.ts');
watchNpmShell();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
