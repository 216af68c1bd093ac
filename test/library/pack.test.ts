import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as a user gets it (issue 13.4): `npm pack` (prepack builds dist/lib), the tarball
 * installed into an empty project, then the API with a custom node in-process, a TypeScript
 * consumer type-checked, and the CLI with that node as a --plugin in two worker threads.
 * Offline: the project's dependencies are links to this repository's installed packages (npm
 * keeps the ones the tarball declares and prunes the rest, so an undeclared dependency fails).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const samples = [1, 2, 3].map((i) => path.join(root, `node_modules/@vladmandic/face-api/demo/sample${i}.jpg`));

// A user's node: blacks out the faces a detector found (the image and its detections in, the redacted image out).
const MY_NODE = `import { threadId } from 'node:worker_threads';
import { defineNode, z } from 'faceflow-lab';

export const redactNode = defineNode({
  type: 'redact', title: 'Redact faces', category: 'Output', doc: 'Fills every detected face box with one grey level.', mode: 'item',
  inputs: { image: { type: 'Image', doc: 'An 8-bit image.' }, detections: { type: 'Detections', doc: 'Faces in it.' } },
  outputs: { image: { type: 'Image', doc: 'The image with the faces filled.' } },
  params: z.object({ value: z.number().int().min(0).max(255).default(0).describe('Grey level the faces are filled with') }),
  kernel({ image, detections }, params, ctx) {
    ctx.report({ threadId, faces: detections.boxes.length });
    const { width, height, channels } = image;
    const data = new Uint8Array(image.data);
    for (const [x1, y1, x2, y2] of detections.boxes) {
      for (let y = Math.max(0, Math.floor(y1)); y < Math.min(height, Math.ceil(y2)); y++) {
        for (let x = Math.max(0, Math.floor(x1)); x < Math.min(width, Math.ceil(x2)); x++) {
          for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = params.value;
        }
      }
    }
    return { image: { ...image, data } };
  },
});
`;

const PRESET = JSON.stringify({
  schema: 'faceflow/pipeline', version: 3, name: 'redact',
  nodes: [{ id: 'in', type: 'image-input' }, { id: 'detect', type: 'mtcnn', params: { minFaceSize: 80 } }, { id: 'redact', type: 'redact', params: { value: 7 } }],
  edges: [
    { from: { node: 'in', port: 'image' }, to: { node: 'detect', port: 'image' } },
    { from: { node: 'in', port: 'image' }, to: { node: 'redact', port: 'image' } },
    { from: { node: 'detect', port: 'detections' }, to: { node: 'redact', port: 'detections' } },
  ],
});

// In-process through the API: each image's faces, whether every pixel is what the boxes say, and a hash of the output.
const USE_API = `import { createHash } from 'node:crypto';
import { createRegistry, loadPreset, runImages, PRESETS_DIR } from 'faceflow-lab';
import { NODE_DEFINITIONS } from 'faceflow-lab/nodes';
import { redactNode } from './my-node.js';

const registry = createRegistry([redactNode]);
const pipeline = await loadPreset('preset.json', { registry });
for await (const r of runImages(pipeline, process.argv.slice(2), { registry, keep: ['in', 'detect'] })) {
  if (r.error) throw new Error(r.error.message);
  const src = r.outputs.in.image, out = r.outputs.redact.image, boxes = r.outputs.detect.detections.boxes;
  const inBox = (x, y) => boxes.some(([x1, y1, x2, y2]) => x >= Math.floor(x1) && x < Math.ceil(x2) && y >= Math.floor(y1) && y < Math.ceil(y2));
  let wrong = 0, filled = 0;
  for (let i = 0; i < out.data.length; i++) {
    const p = Math.floor(i / src.channels), face = inBox(p % src.width, Math.floor(p / src.width));
    if (out.data[i] !== (face ? 7 : src.data[i])) wrong++;
    if (face) filled++;
  }
  console.log(JSON.stringify({ name: r.item.name, faces: boxes.length, width: out.width, channels: out.channels, wrong, filled, thread: r.reports.redact.threadId, sha: createHash('sha256').update(out.data).digest('hex') }));
}
// a bundled preset from the installed package, its weights paths resolved inside it
const robust = await loadPreset(PRESETS_DIR + 'robust-gate.json');
console.log(JSON.stringify({ builtins: NODE_DEFINITIONS.length, weights: robust.nodes.flatMap((n) => Object.values(n.params).filter((v) => typeof v === 'string' && v.endsWith('.json'))) }));
`;

// Types: params and ports typed from the schemas; a wrong use must not compile.
const CHECK_TS = `import { defineNode, loadPreset, runImages, z, type ImageResult, type ImageValue } from 'faceflow-lab';
import { NODE_DEFINITIONS } from 'faceflow-lab/nodes';

export const half = defineNode({
  type: 'half', title: 'Half', category: 'Preprocess', doc: 'Halves an image.', mode: 'item',
  inputs: { image: { type: 'Image', doc: 'in' } }, outputs: { image: { type: 'Image', doc: 'out' } },
  params: z.object({ factor: z.number().default(0.5).describe('factor') }),
  kernel({ image }, params) {
    const f: number = params.factor;
    const out: ImageValue = { ...image, data: image.data.map((v) => v * f) };
    return { image: out };
  },
});

defineNode({
  type: 'bad', title: 'Bad', category: 'Preprocess', doc: 'd', mode: 'item',
  inputs: { image: { type: 'Image', doc: 'in' } }, outputs: { image: { type: 'Image', doc: 'out' } },
  params: z.object({ factor: z.number().default(0.5).describe('factor') }),
  kernel({ image }, params) {
    // @ts-expect-error a number param is not a string
    const s: string = params.factor;
    // @ts-expect-error an Image port gives no boxes
    void image.boxes;
    return { image: s ? image : null };
  },
});

export async function first(): Promise<ImageResult | undefined> {
  const p = await loadPreset('preset.json');
  for await (const r of runImages(p, ['a.jpg'])) return r;
  return undefined;
}
export const count: number = NODE_DEFINITIONS.length;
`;

const CHECK_TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], lib: ['ES2023'] },
  files: ['check.ts'],
});

let tmp: string;
let proj: string;
let tarball: string;
/** The in-process run's output hash per image, for the CLI's to match. */
const inProcess = new Map<string, string>();

/** Link every package installed in this repository into the project's node_modules (npm prunes what the tarball does not need). */
async function linkRepoPackages(dest: string): Promise<void> {
  const src = path.join(root, 'node_modules');
  for (const name of await readdir(src)) {
    if (name.startsWith('.')) continue;
    const names = name.startsWith('@') ? (await readdir(path.join(src, name))).map((n) => `${name}/${n}`) : [name];
    for (const n of names) {
      await mkdir(path.dirname(path.join(dest, n)), { recursive: true });
      await symlink(path.join(src, n), path.join(dest, n), 'dir');
    }
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-pack-'));
  await run('npm', ['pack', '--pack-destination', tmp], { cwd: root, maxBuffer: 64 << 20 });
  tarball = path.join(tmp, (await readdir(tmp)).find((f) => f.endsWith('.tgz'))!);
  proj = path.join(tmp, 'consumer');
  await mkdir(path.join(proj, 'node_modules'), { recursive: true });
  await writeFile(path.join(proj, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await linkRepoPackages(path.join(proj, 'node_modules'));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: proj, maxBuffer: 64 << 20 });
  // a TypeScript user has @types/node (not a dependency of the package, so npm pruned its link)
  await mkdir(path.join(proj, 'node_modules/@types'), { recursive: true });
  await symlink(path.join(root, 'node_modules/@types/node'), path.join(proj, 'node_modules/@types/node'), 'dir');
  await writeFile(path.join(proj, 'my-node.js'), MY_NODE);
  await writeFile(path.join(proj, 'preset.json'), PRESET);
  await writeFile(path.join(proj, 'use-api.js'), USE_API);
  await writeFile(path.join(proj, 'check.ts'), CHECK_TS);
  await writeFile(path.join(proj, 'tsconfig.json'), CHECK_TSCONFIG);
  await mkdir(path.join(proj, 'photos'));
  for (const s of samples) await copyFile(s, path.join(proj, 'photos', path.basename(s)));
}, 300_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the packed library', () => {
  it('ships built JavaScript with types, the CLI and the presets, and no sources or tests', async () => {
    const pkg = path.join(proj, 'node_modules/faceflow-lab');
    const top = (await readdir(pkg)).sort();
    expect(top).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json', 'presets']);
    expect((await readdir(path.join(pkg, 'dist/lib'))).sort()).toEqual(['nodes', 'src']);
    expect(await readdir(path.join(pkg, 'dist/lib/src'))).not.toContain('ui');
    for (const f of ['dist/lib/src/index.js', 'dist/lib/src/index.d.ts', 'dist/lib/nodes/index.d.ts', 'dist/lib/src/runtime/thread-worker.js', 'presets/weights/gate.weights.bin']) {
      expect((await stat(path.join(pkg, f))).isFile(), f).toBe(true);
    }
    expect((await stat(tarball)).size).toBeLessThan(8e6);
  });

  it('runs a custom node in-process through the API, after the built-in MTCNN with its weights from the npm dependencies', async () => {
    const { stdout } = await run(process.execPath, ['use-api.js', ...samples], { cwd: proj, maxBuffer: 16 << 20 });
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    const images = lines.slice(0, 3);
    expect(images.map((r) => r.name)).toEqual(['sample1.jpg', 'sample2.jpg', 'sample3.jpg']);
    for (const r of images) inProcess.set(r.name, r.sha);
    for (const r of images) {
      expect(r.faces, r.name).toBeGreaterThan(0);
      expect(r.filled, r.name).toBeGreaterThan(0);
      expect(r.wrong, r.name).toBe(0);
      expect([r.width, r.channels, r.thread]).toEqual([1920, 3, 0]);
    }
    const { builtins, weights } = lines[3];
    expect(builtins).toBeGreaterThan(20);
    expect(weights.length).toBeGreaterThan(0);
    for (const w of weights) expect(w.startsWith(path.join(proj, 'node_modules/faceflow-lab/presets/')), w).toBe(true);
  });

  it('type-checks a TypeScript consumer against the shipped .d.ts', async () => {
    const tsc = run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', proj]);
    const r = await tsc.then(() => ({ code: 0, stdout: '' }), (e: { code: number; stdout: string }) => e);
    // the package's own .d.ts are checked too (skipLibCheck off); tfjs's typings want DOM and emscripten names a Node consumer lacks
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(r.code === 0 || errors.length > 0, 'tsc ran').toBe(true);
    expect(errors.filter((l) => !l.includes('node_modules/') || l.includes('node_modules/faceflow-lab/'))).toEqual([]);
  });

  it('runs the custom node with --plugin in two CLI worker threads, giving the in-process output', async () => {
    expect(inProcess.size, 'the in-process test ran first').toBe(3);
    const cli = await run('npx', ['--no', 'faceflow', 'run', 'preset.json', '--input', 'photos', '--out', 'out', '--plugin', './my-node.js', '--workers', '2', '--json', 'run.json'], { cwd: proj, maxBuffer: 16 << 20 });
    expect(cli.stderr).toContain('3/3 image(s)');
    const summary = JSON.parse(await readFile(path.join(proj, 'run.json'), 'utf8'));
    expect(summary.workers).toBe(2);
    for (const name of ['sample1.jpg', 'sample2.jpg', 'sample3.jpg']) {
      const report = summary.reports[name].redact;
      expect(report.threadId, name).toBeGreaterThan(0); // a worker thread, not the main one (0)
      expect(report.faces, name).toBeGreaterThan(0);
      const png = PNG.sync.read(await readFile(path.join(proj, 'out', name.replace('.jpg', ''), 'redact.png')));
      const rgb = new Uint8Array(png.width * png.height * 3);
      for (let i = 0; i < png.width * png.height; i++) rgb.set(png.data.subarray(4 * i, 4 * i + 3), 3 * i);
      expect(createHash('sha256').update(rgb).digest('hex'), name).toBe(inProcess.get(name));
    }
  });
});
