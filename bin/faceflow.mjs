#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so a fresh `npm install` is all `npx faceflow` needs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
