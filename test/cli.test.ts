import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { faceflow } from './faceflow-cli.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImageNode, encodePngNode, resolvePackageAsset } from '../src/io/nodejs-io.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const sample = resolvePackageAsset('@vladmandic/face-api/demo/sample1.jpg');
const clahePreset = path.join(root, 'presets/clahe.json');


let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-cli-'));
});

describe('faceflow run', () => {
  it('writes a grayscale PNG for a grayscale input, of the same size', async () => {
    const rgb = decodeImageNode(new Uint8Array(await readFile(sample)), 'sample1.jpg');
    const gray = { ...rgb, channels: 1 as const, data: new Uint8Array(rgb.width * rgb.height) };
    for (let i = 0; i < gray.data.length; i++) gray.data[i] = Math.round((rgb.data[3 * i] + rgb.data[3 * i + 1] + rgb.data[3 * i + 2]) / 3);
    const input = path.join(tmp, 'gray.png');
    await writeFile(input, encodePngNode(gray));
    const out = path.join(tmp, 'out-gray');
    const summary = path.join(tmp, 'gray.json');
    const r = await faceflow('run', clahePreset, '--input', input, '--out', out, '--json', summary, '--backend', 'cpu');
    expect(r.stderr).toContain('1/1 image(s) on cpu');
    expect(r.code).toBe(0);
    const png = PNG.sync.read(await readFile(path.join(out, 'clahe.png')));
    expect(png.colorType).toBe(0);
    expect([png.width, png.height]).toEqual([gray.width, gray.height]);
    const json = JSON.parse(await readFile(summary, 'utf8'));
    expect(json).toMatchObject({ backend: 'cpu', images: 1, failed: [] });
    expect(Object.keys(json.nodes)).toEqual(['input', 'clahe']);
    expect(json.nodes.clahe.runs).toBe(1);
  });

  it('applies --param overrides (a stronger clip limit changes the output)', async () => {
    const a = path.join(tmp, 'p2');
    const b = path.join(tmp, 'p8');
    expect((await faceflow('run', clahePreset, '--input', sample, '--out', a)).code).toBe(0);
    expect((await faceflow('run', clahePreset, '--input', sample, '--out', b, '--param', 'clahe.clipLimit=8')).code).toBe(0);
    const [x, y] = await Promise.all([readFile(path.join(a, 'clahe.png')), readFile(path.join(b, 'clahe.png'))]);
    expect(PNG.sync.read(x).colorType).toBe(2);
    expect(x.equals(y)).toBe(false);
  });

  it('runs a directory over two workers, writing one folder per image and going on past a corrupt file', async () => {
    const dir = path.join(tmp, 'dir');
    const bytes = await readFile(sample);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'a.jpg'), bytes);
    await writeFile(path.join(dir, 'b.jpg'), bytes);
    await writeFile(path.join(dir, 'broken.jpg'), bytes.subarray(0, 600));
    const out = path.join(tmp, 'out-dir');
    const r = await faceflow('run', clahePreset, '--input', dir, '--out', out, '--workers', '2');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/broken\.jpg: node "input": corrupt or unreadable JPEG/);
    expect(r.stderr).toContain('2/3 image(s)');
    await expect(readFile(path.join(out, 'a', 'clahe.png'))).resolves.toBeInstanceOf(Buffer);
    await expect(readFile(path.join(out, 'b', 'clahe.png'))).resolves.toBeInstanceOf(Buffer);
  });
});

describe('faceflow user errors: exit 2, one line naming the file, no stack trace', () => {
  const expectOneLine = (r: { code: number; stderr: string }, pattern: RegExp) => {
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.includes('image(s) on'));
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('a corrupt JPEG', async () => {
    const bad = path.join(tmp, 'corrupt.jpg');
    await writeFile(bad, (await readFile(sample)).subarray(0, 900));
    expectOneLine(await faceflow('run', clahePreset, '--input', bad, '--out', path.join(tmp, 'o')), /^faceflow: corrupt\.jpg: node "input": corrupt or unreadable JPEG/);
  });

  it('a file that is not an image', async () => {
    const bad = path.join(tmp, 'notes.png');
    await writeFile(bad, 'hello');
    expectOneLine(await faceflow('run', clahePreset, '--input', bad, '--out', path.join(tmp, 'o')), /^faceflow: notes\.png: node "input": not a JPEG or PNG image$/);
  });

  it('a truncated preset', async () => {
    const preset = path.join(tmp, 'truncated.json');
    await writeFile(preset, (await readFile(clahePreset, 'utf8')).slice(0, 120));
    expectOneLine(await faceflow('run', preset, '--input', sample, '--out', path.join(tmp, 'o')), /^faceflow: .*truncated\.json: not valid JSON/);
  });

  it('a preset with an unknown node type', async () => {
    const preset = path.join(tmp, 'unknown.json');
    const doc = JSON.parse(await readFile(clahePreset, 'utf8'));
    doc.nodes[1].type = 'retinex';
    await writeFile(preset, JSON.stringify(doc));
    expectOneLine(await faceflow('run', preset, '--input', sample, '--out', path.join(tmp, 'o')), /^faceflow: .*unknown\.json: node "clahe": unknown node type "retinex"$/);
  });

  it('a missing input file', async () => {
    expectOneLine(await faceflow('run', clahePreset, '--input', path.join(tmp, 'nope.jpg'), '--out', path.join(tmp, 'o')), /^faceflow: .*nope\.jpg: no such file or directory$/);
  });

  it('an unknown param and a param out of range', async () => {
    expectOneLine(await faceflow('run', clahePreset, '--input', sample, '--out', path.join(tmp, 'o'), '--param', 'clahe.clip=3'), /^faceflow: --param clahe\.clip=3: unknown param "clip" for clahe/);
    expectOneLine(await faceflow('run', clahePreset, '--input', sample, '--out', path.join(tmp, 'o'), '--param', 'clahe.clipLimit=-1'), /^faceflow: .*clahe\.json: node "clahe" \(clahe\): params\.clipLimit/);
  });
});
