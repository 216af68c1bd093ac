import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { faceflow, repoRoot } from '../faceflow-cli.js';

describe('faceflow --version and --json -', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = await faceflow(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`faceflow ${pkg.version}\n`);
    }
  });

  it('--json - writes the JSON to stdout (messages stay on stderr)', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'faceflow-json-'));
    const photo = path.join(repoRoot, 'node_modules/@vladmandic/face-api/demo/sample1.jpg');
    const r = await faceflow('run', path.join(repoRoot, 'presets/clahe.json'), '--input', photo, '--out', out, '--json', '-', '--workers', '1', '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toHaveProperty('backend', 'wasm');
  }, 120_000);
});
