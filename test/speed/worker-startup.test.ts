import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withoutTsxPreload } from '../../src/runtime/pool.js';

describe('worker threads started from the sources', () => {
  it('leave out the tsx preload they would inherit, and keep every other flag', () => {
    // as `tsx script` starts node
    expect(withoutTsxPreload(['--require', '/p/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///p/node_modules/tsx/dist/loader.mjs'])).toEqual([]);
    expect(withoutTsxPreload(['--import=tsx', '--conditions', 'development', '--import', './hooks.mjs', '-r', 'tsx/cjs', '--max-old-space-size=4096', '--loader=tsx']))
      .toEqual(['--conditions', 'development', '--import', './hooks.mjs', '--max-old-space-size=4096']);
    expect(withoutTsxPreload(['--import', './not-tsx.mjs', '--require', 'tsxfoo'])).toEqual(['--import', './not-tsx.mjs', '--require', 'tsxfoo']);
  });

  it('load the npm packages before tsx, and the TypeScript after it gets those same modules', () => {
    // a node without preloads, as the pool starts a worker; one tfjs, not a second copy through tsx
    const probe = fileURLToPath(new URL('../fixtures/packages-first/probe.mjs', import.meta.url));
    const out = JSON.parse(execFileSync(process.execPath, [probe], { encoding: 'utf8' }));
    expect(out).toEqual({ same: true, sourceMaps: true });
  });

  it.each([
    ['no other flag (the preload is left out)', []],
    ['a V8 flag, which a worker cannot be given (it inherits all flags)', ['--max-old-space-size=1024']],
  ])('start under `node --import tsx` with %s', (_, flags) => {
    const script = fileURLToPath(new URL('../fixtures/packages-first/start-pool.ts', import.meta.url));
    expect(execFileSync(process.execPath, [...flags, '--import', 'tsx', script], { encoding: 'utf8' })).toBe('cpu');
  });
});
