import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { faceflow, repoRoot } from '../faceflow-cli.js';

/**
 * The CLI side of issue 12: presets that name files outside their place, exit codes (every
 * user error exits 2 in one line, aggregate nodes and output paths included, output paths
 * checked before the run), the pixel cap, and SIGINT/SIGTERM.
 */
const sample = resolvePackageAsset('@vladmandic/face-api/demo/sample1.jpg');
let tmp: string;
let presetDir: string;

function pairsPreset(file: string) {
  return {
    schema: 'faceflow/pipeline', version: 2, name: 'pairs',
    nodes: [
      { id: 'input', type: 'image-input', params: {} },
      { id: 'clahe', type: 'clahe', params: {} },
      { id: 'pairs', type: 'pairs', params: { file } },
    ],
    edges: [{ from: { node: 'input', port: 'image' }, to: { node: 'clahe', port: 'image' } }],
  };
}

async function writePreset(name: string, doc: unknown): Promise<string> {
  const f = path.join(presetDir, name);
  await writeFile(f, JSON.stringify(doc));
  return f;
}

function expectUserError(r: { code: number; stderr: string }, pattern: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-rel-'));
  presetDir = path.join(tmp, 'downloaded');
  await mkdir(presetDir, { recursive: true });
});

describe('a preset cannot read outside its place', () => {
  it('a pairs file at /etc/passwd is refused before the run, naming the file and the rule, and its contents are not printed', async () => {
    const preset = await writePreset('passwd.json', pairsPreset('/etc/passwd'));
    const r = await faceflow('run', preset, '--input', sample, '--out', path.join(tmp, 'o1'));
    expectUserError(r, /^faceflow: .*passwd\.json: node "pairs" param "file": \/etc\/passwd: refused: outside the folders a preset may read/);
    expect(r.stderr).not.toMatch(/root:/);
  });

  it('gate weights at /proc/self/environ or ../ out of the folder are refused; /dev/zero is refused even when its folder is allowed', async () => {
    const doc = JSON.parse(await readFile(path.join(repoRoot, 'presets/robust-gate.json'), 'utf8'));
    const gate = doc.nodes.find((n: { id: string }) => n.id === 'gate');
    for (const [weights, extra, rule] of [
      ['/proc/self/environ', [], /refused: outside the folders/],
      ['../../../../../../etc/hostname', [], /refused: outside the folders/],
      ['/dev/zero', ['--allow-path', '/dev'], /refused: a device, expected a regular file/],
    ] as const) {
      gate.params.weights = weights;
      const preset = await writePreset('gate.json', doc);
      const t0 = Date.now();
      const r = await faceflow('run', preset, '--input', sample, '--out', path.join(tmp, 'o2'), ...extra);
      expectUserError(r, rule);
      expect(r.stderr).not.toMatch(/PATH=|HOME=/);
      expect(Date.now() - t0).toBeLessThan(30_000);
    }
  });
});

describe('exit codes', () => {
  it('an error in an aggregate node (a malformed pairs file) is a user error: exit 2, one line, no contents', async () => {
    await writeFile(path.join(presetDir, 'bad-pairs.txt'), 'SECRET-LINE with words\n');
    const preset = await writePreset('bad-pairs.json', pairsPreset('bad-pairs.txt'));
    const r = await faceflow('run', preset, '--input', sample, '--out', path.join(tmp, 'o3'), '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(2);
    const errors = r.stderr.trim().split('\n').filter((l) => !l.includes('image(s) on'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^faceflow: node "pairs": .*bad-pairs\.txt:1: /);
    expect(r.stderr).not.toMatch(/SECRET-LINE|internal error/);
  });

  it('bad output paths fail before the run, in one line', async () => {
    const file = path.join(tmp, 'a-file');
    await writeFile(file, 'x');
    for (const args of [
      ['--out', file],
      ['--out', path.join(tmp, 'o4'), '--json', path.join(file, 'summary.json')],
      ['--out', path.join(tmp, 'o4'), '--json', tmp],
    ]) {
      const t0 = Date.now();
      const r = await faceflow('run', path.join(repoRoot, 'presets/clahe.json'), '--input', sample, ...args);
      expectUserError(r, /^faceflow: --(out|json) .*: cannot write there \(/);
      expect(r.stderr).not.toMatch(/image\(s\) on/);
      // Refused before any image runs; the bound only catches a whole run (a loaded 2-core CI machine starts tsx slowly).
      expect(Date.now() - t0).toBeLessThan(60_000);
    }
  });

  it('--max-pixels refuses a larger image from its header', async () => {
    const r = await faceflow('run', path.join(repoRoot, 'presets/clahe.json'), '--input', sample, '--out', path.join(tmp, 'o5'), '--max-pixels', '1000', '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sample1\.jpg: node "input": image is \d+x\d+ .*more than the limit of 0\.0 \(--max-pixels\)/);
    expectUserError(await faceflow('run', path.join(repoRoot, 'presets/clahe.json'), '--input', sample, '--out', path.join(tmp, 'o5'), '--max-pixels', 'lots'), /^faceflow: --max-pixels lots: expected a whole number/);
  });
});

describe('train and text inputs under the same rules', () => {
  it('faceflow train: a preset weights file outside its folder, or an output path that cannot be written, fails before any image runs', async () => {
    const doc = JSON.parse(await readFile(path.join(repoRoot, 'presets/baseline-mtcnn-facenet.json'), 'utf8'));
    doc.nodes.find((n: { id: string }) => n.id === 'embed').params.weights = '../outside/student.json';
    const preset = await writePreset('train-outside.json', doc);
    const data = path.join(tmp, 'train-data');
    await mkdir(path.join(data, 'A'), { recursive: true });
    await copyFile(sample, path.join(data, 'A', 'A_0001.jpg'));
    await mkdir(path.join(tmp, 'outside'), { recursive: true });
    await writeFile(path.join(tmp, 'outside', 'student.json'), '{"weightsManifest":[]}');
    const r = await faceflow('train', preset, '--module', 'backbone', '--data', data, '--out', path.join(tmp, 'train-out'));
    expectUserError(r, /node "embed" param "weights": .*outside\/student\.json: refused: outside the folders a preset may read/);
    // the same file is readable once its folder is allowed: the failure moves on to what the file holds
    const allowed = await faceflow('train', preset, '--module', 'backbone', '--data', data, '--out', path.join(tmp, 'train-out'), '--allow-path', path.join(tmp, 'outside'), '--epochs', '1');
    expect(allowed.stderr).not.toMatch(/refused: outside/);
    const file = path.join(tmp, 'a-file-for-train');
    await writeFile(file, 'x');
    for (const [flag, value] of [['--out', file], ['--log', tmp], ['--front-cache', file]]) {
      const args = ['train', path.join(repoRoot, 'presets/robust-gate.json'), '--data', data, '--out', path.join(tmp, 'train-out')];
      const bad = await faceflow(...(flag === '--out' ? [...args.slice(0, 4), '--out', value] : [...args, flag, value]));
      expectUserError(bad, new RegExp(`^faceflow: ${flag} .*: cannot write there \\(`));
    }
  }, 240_000);

  it('a pairs file over its 64 MB cap is refused from its size, before it is read and before any image runs', async () => {
    const big = path.join(tmp, 'big-pairs.txt');
    await writeFile(big, '1\t10\n');
    await truncate(big, 65 * 1024 * 1024); // sparse: nothing is written
    const r = await faceflow('eval', path.join(repoRoot, 'presets/baseline-mtcnn-facenet.json'), '--pairs', big, '--images', tmp, '--json', path.join(tmp, 'big.json'));
    expectUserError(r, /big-pairs\.txt: refused: 65 MB, over the 64 MB limit for pairs files/);
  }, 120_000);
});

/** Pids of running processes whose command line contains `text`. */
async function processesWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(text)) pids.push(Number(d));
  }
  return pids;
}

/** Start a long detect run (40 copies of a photo, one worker), send `signal` once it has started, and time the exit. */
async function interrupted(signal: NodeJS.Signals, via: 'node' | 'npx') {
  const dir = path.join(tmp, `many-${signal}-${via}`);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < 40; i++) await copyFile(sample, path.join(dir, `p${String(i).padStart(2, '0')}.jpg`));
  const json = path.join(tmp, `out-${signal}-${via}`, 'faces.json');
  const args = ['detect', '--input', dir, '--json', json, '--annotate', path.join(tmp, `ann-${signal}-${via}`), '--workers', '1', '--backend', 'wasm'];
  const child = via === 'node'
    ? spawn(process.execPath, [path.join(repoRoot, 'bin/faceflow.mjs'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('npx', ['faceflow', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  // let it load the models and start detecting, so that the signal lands mid-run
  await new Promise((r) => setTimeout(r, 9000));
  const annDir = path.join(tmp, `ann-${signal}-${via}`);
  const t0 = Date.now();
  child.kill(signal); // for npx: npm only, as a supervisor or `timeout` would send it
  const res = await exited;
  return { ...res, ms: Date.now() - t0, stderr, json, annDir };
}

describe('signals', () => {
  for (const [signal, via] of [['SIGINT', 'node'], ['SIGTERM', 'node'], ['SIGINT', 'npx'], ['SIGTERM', 'npx']] as const) {
    it(`${signal} sent to ${via === 'npx' ? 'npx (npm exec)' : 'bin/faceflow.mjs'} stops the run within a second and leaves no partial file`, async () => {
      const r = await interrupted(signal, via);
      console.log(`${signal} to ${via}: exited ${r.ms} ms after the signal (code ${r.code}, signal ${r.signal})`);
      expect(r.ms, r.stderr).toBeLessThan(via === 'npx' ? 1500 : 1000);
      // ended by the signal itself (mid-run), or by the handler that cleans up a write in progress
      if (via === 'node') expect(r.signal === signal || r.code === (signal === 'SIGINT' ? 130 : 143), JSON.stringify(r)).toBe(true);
      else expect(r.code !== 0 || r.signal !== null).toBe(true);
      await expect(readFile(r.json)).rejects.toThrow();
      // and no faceflow process is left running (under npx, npm may exit before its child)
      await new Promise((res) => setTimeout(res, 3000));
      expect(await processesWith(r.json)).toEqual([]);
      const files = await readdir(r.annDir).catch(() => []);
      expect(files.filter((f) => f.includes('.partial-'))).toEqual([]);
      expect(files.length).toBeLessThan(40);
    });
  }
});
