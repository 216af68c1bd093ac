import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/graph/errors.js';
import { FileAccessError, FILE_SIZE_CAPS, confineWeightsReads, normalizeRef } from '../../src/io/file-policy.js';
import { BUNDLED_PRESETS_DIR, checkFileAccess, presetRunPolicy, readFileWithPolicy, setFileAccessPolicy } from '../../src/io/file-policy-nodejs.js';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { loadTrainedWeights } from '../../src/models/trained-weights.js';

/**
 * The file access policy (issue 12, item 1): presets read only under their own folder, the
 * bundled presets and --allow-path roots; regular files only; size caps before reading; manifest
 * .bin paths stay in their folder; messages never carry file contents.
 */
let tmp: string;
let presetDir: string;
let outside: string;
const SECRET = 'SECRET-MARKER-7f3a';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-policy-'));
  presetDir = path.join(tmp, 'shared-preset');
  outside = path.join(tmp, 'elsewhere');
  await mkdir(path.join(presetDir, 'weights'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'secret.txt'), `${SECRET}\troot:x:0:0\n`);
  await writeFile(path.join(outside, 'secret.bin'), SECRET);
  await writeFile(path.join(presetDir, 'pairs.txt'), '1\t1\nA\t1\t2\nA\t1\tB\t1\n');
  await symlink(outside, path.join(presetDir, 'link-out'));
  await symlink(path.join(outside, 'secret.txt'), path.join(presetDir, 'file-link-out.txt'));
  execFileSync('mkfifo', [path.join(presetDir, 'fifo.txt')]);
});

const policy = () => presetRunPolicy({ presetFile: path.join(presetDir, 'p.json') });

async function refusal(p: Promise<unknown>): Promise<FileAccessError> {
  const e = await p.then(() => undefined, (err) => err);
  expect(e).toBeInstanceOf(FileAccessError);
  expect(e).toBeInstanceOf(UserError);
  expect(String(e.message)).not.toContain(SECRET);
  expect(String(e.message)).not.toContain('root:x');
  return e as FileAccessError;
}

describe('file access policy', () => {
  it('reads files under the preset folder and the bundled presets', async () => {
    const bytes = await readFileWithPolicy(path.join(presetDir, 'pairs.txt'), 'pairs', policy());
    expect(new TextDecoder().decode(bytes)).toContain('A\t1\t2');
    const bundled = await readFileWithPolicy(path.join(BUNDLED_PRESETS_DIR, 'clahe.json'), 'preset', policy());
    expect(bundled.length).toBeGreaterThan(10);
  });

  it('refuses absolute paths and ../ paths out of the allowed folders, naming the file and the rule', async () => {
    for (const f of ['/etc/passwd', path.join(outside, 'secret.txt'), path.join(presetDir, '..', 'elsewhere', 'secret.txt')]) {
      const e = await refusal(readFileWithPolicy(f, 'pairs', policy()));
      expect(e.rule).toBe('outside');
      expect(e.message).toContain(f);
      expect(e.message).toMatch(/outside the folders a preset may read/);
    }
  });

  it('refuses symbolic links leading out of the preset folder', async () => {
    for (const f of [path.join(presetDir, 'link-out', 'secret.txt'), path.join(presetDir, 'file-link-out.txt')]) {
      const e = await refusal(readFileWithPolicy(f, 'pairs', policy()));
      expect(e.rule).toBe('outside');
      expect(e.message).toMatch(/symbolic link/);
    }
  });

  it('--allow-path adds a folder', async () => {
    const p = presetRunPolicy({ presetFile: path.join(presetDir, 'p.json'), allowPaths: [outside] });
    expect(new TextDecoder().decode(await readFileWithPolicy(path.join(outside, 'secret.txt'), 'pairs', p))).toContain(SECRET);
  });

  it('refuses devices, FIFOs and directories without reading them', async () => {
    const t0 = performance.now();
    const dev = await refusal(readFileWithPolicy('/dev/zero', 'weights-data', { roots: undefined }));
    expect(dev.rule).toBe('not-regular');
    expect(dev.message).toMatch(/a device/);
    const fifo = await refusal(readFileWithPolicy(path.join(presetDir, 'fifo.txt'), 'pairs', policy()));
    expect(fifo.message).toMatch(/a FIFO/);
    const dir = await refusal(readFileWithPolicy(path.join(presetDir, 'weights'), 'pairs', policy()));
    expect(dir.message).toMatch(/a directory/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses a file over its kind\'s size cap before reading it', async () => {
    const big = path.join(presetDir, 'big.json');
    await writeFile(big, '');
    const fh = await import('node:fs/promises').then((fs) => fs.open(big, 'r+'));
    await fh.truncate(FILE_SIZE_CAPS.weights + 1); // sparse: no disk used
    await fh.close();
    const rss0 = process.memoryUsage().rss;
    const e = await refusal(readFileWithPolicy(big, 'weights', policy()));
    expect(e.rule).toBe('too-large');
    expect(e.message).toMatch(/over the 16 MB limit for weights manifests/);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(8 * 1024 * 1024);
  });

  it('a missing file inside the folders says so; outside, it is refused without saying whether it exists', async () => {
    expect((await refusal(checkFileAccess(path.join(presetDir, 'nope.json'), 'weights', policy()))).rule).toBe('missing');
    expect((await refusal(checkFileAccess('/etc/nope-not-there', 'weights', policy()))).rule).toBe('outside');
  });

  it('the Node HostIO reads through the process policy', async () => {
    setFileAccessPolicy(policy());
    try {
      const io = createNodeIO();
      await refusal(io.readFile('/etc/passwd'));
      expect((await io.readFile(path.join(presetDir, 'pairs.txt'))).length).toBeGreaterThan(0);
    } finally {
      setFileAccessPolicy({});
    }
  });
});

describe('weights manifests', () => {
  it('normalizes references', () => {
    expect(normalizeRef('/a/b/../../etc/passwd')).toBe('/etc/passwd');
    expect(normalizeRef('weights/../../x.bin')).toBe('../x.bin');
    expect(normalizeRef('idb:weights/a/./b.bin')).toBe('idb:weights/a/b.bin');
  });

  it('a manifest cannot name .bin files outside its folder (loadTrainedWeights, the loader of gate, fusion and occlusion weights)', async () => {
    const io = createNodeIO();
    for (const bad of ['../../elsewhere/secret.bin', path.join(outside, 'secret.bin'), 'sub/../../x.bin', 'http://example.com/x.bin']) {
      const manifest = path.join(presetDir, 'weights', 'gate.json');
      await writeFile(manifest, JSON.stringify({ format: 'faceflow/weights', kind: 'gate', weightsManifest: [{ paths: [bad], weights: [] }] }));
      const e = await refusal(loadTrainedWeights(io, manifest, () => undefined));
      expect(e.rule).toBe('manifest');
      expect(e.message).toContain(manifest);
      expect(e.message).toMatch(/outside its own folder/);
    }
  });

  it('a file that is not a weights manifest is refused without echoing it', async () => {
    setFileAccessPolicy(presetRunPolicy({ presetFile: path.join(presetDir, 'p.json'), allowPaths: [outside] }));
    try {
      const e = await refusal(loadTrainedWeights(createNodeIO(), path.join(outside, 'secret.txt'), () => undefined));
      expect(e.message).toMatch(/not a faceflow weights file/);
    } finally {
      setFileAccessPolicy({});
    }
  });

  it('the confined reader passes data files inside the folder', async () => {
    const reads: string[] = [];
    const read = confineWeightsReads(async (f) => {
      reads.push(f);
      return f.endsWith('.json') ? new TextEncoder().encode(JSON.stringify({ weightsManifest: [{ paths: ['g.bin'] }] })) : new Uint8Array(4);
    }, 'presets/weights/g.json');
    await read('presets/weights/g.json');
    await read('presets/weights/g.bin');
    expect(reads).toEqual(['presets/weights/g.json', 'presets/weights/g.bin']);
  });
});

describe('kinds and the browser', () => {
  it('a gallery may be larger than a weights manifest: the identify node reads with kind "gallery"', async () => {
    const big = path.join(presetDir, 'gallery-big.json');
    const fh = await import('node:fs/promises').then((fs) => fs.open(big, 'w'));
    await fh.truncate(17 * 1024 * 1024);
    await fh.close();
    await expect(readFileWithPolicy(big, undefined, policy())).rejects.toThrow(/limit for weights manifests/);
    expect((await readFileWithPolicy(big, 'gallery', policy())).length).toBe(17 * 1024 * 1024);
  });

  it('in the browser a preset fetches only same-origin URLs (and blob: URLs of picked files)', async () => {
    const { checkBrowserUrl } = await import('../../src/io/browser-io.js');
    const base = 'https://lab.example/app/';
    expect(checkBrowserUrl('presets/weights/gate.json', base)).toBe('https://lab.example/app/presets/weights/gate.json');
    expect(checkBrowserUrl('/other/x.json', base)).toBe('https://lab.example/other/x.json');
    for (const bad of ['https://evil.example/x.json', 'file:///etc/passwd', 'http://lab.example/x.json', 'data:application/json,{}', '//evil.example/x']) {
      expect(() => checkBrowserUrl(bad, base), bad).toThrow(FileAccessError);
    }
  });
});
