import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { faceflow, repoRoot } from '../faceflow-cli.js';
import { readStoredFile } from '../../src/eval/stored-embeddings.js';
import { resolveShard, shardOf } from '../../src/cli/commands/embed.js';

/**
 * The acceptance on a small real pair set (12 lfw-dev pairs, 2 folds, when
 * ../shared/datasets/lfw-dev is there): 4 shards as 4 processes with JOB_COMPLETION_INDEX=0..3,
 * merge, then eval --embeddings gives exactly the numbers of a direct eval; a shard killed
 * after its first part and resumed gives identical rows.
 */

const LFW = path.resolve(repoRoot, '../shared/datasets/lfw-dev');
const hasLfw = existsSync(path.join(LFW, 'pairs.txt'));
if (!hasLfw) console.warn(`skipping the embed/merge/eval acceptance test: no ${LFW} (the shared lfw-dev set)`);
const preset = path.join(repoRoot, 'presets/baseline-mtcnn-facenet.json');
const bin = path.join(repoRoot, 'bin/faceflow.mjs');

let tmp: string;
let images: string;
let pairs: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-embed-'));
  if (!hasLfw) return;
  // fold 1 and 2, first 3 matched and 3 mismatched pairs of each
  const lines = (await readFile(path.join(LFW, 'pairs.txt'), 'utf8')).split('\n');
  const picked = [...lines.slice(1, 4), ...lines.slice(301, 304), ...lines.slice(601, 604), ...lines.slice(901, 904)];
  pairs = path.join(tmp, 'pairs.txt');
  await writeFile(pairs, `2\t3\n${picked.join('\n')}\n`);
  images = path.join(tmp, 'images');
  const need = new Set<string>();
  for (const l of picked) {
    const f = l.trim().split('\t');
    const add = (id: string, n: string) => need.add(`${id}/${id}_${n.padStart(4, '0')}.jpg`);
    if (f.length === 3) { add(f[0], f[1]); add(f[0], f[2]); } else { add(f[0], f[1]); add(f[2], f[3]); }
  }
  for (const rel of need) {
    await mkdir(path.join(images, path.dirname(rel)), { recursive: true });
    await copyFile(path.join(LFW, 'images', rel), path.join(images, rel));
  }
});

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}
const run = (args: string[], env: Record<string, string> = {}) => start(args, env).done;

const rowsOfDir = async (dir: string, prefix: string) => {
  const files = (await readdir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.arrow')).sort();
  return (await Promise.all(files.map((f) => readStoredFile(path.join(dir, f))))).flatMap((f) => f.rows);
};

describe('shards', () => {
  it('resolves --shard i/n and auto from Kubernetes and Slurm variables', () => {
    expect(resolveShard('2/4', undefined, {})).toEqual({ index: 2, count: 4 });
    expect(resolveShard('auto', '4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(resolveShard('auto', undefined, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ index: 4, count: 8 });
    expect(() => resolveShard('auto', undefined, {})).toThrow(/JOB_COMPLETION_INDEX/);
    expect(() => resolveShard('auto', undefined, { JOB_COMPLETION_INDEX: '0' })).toThrow(/--shards/);
    expect(() => resolveShard('4/4', undefined, {})).toThrow(/0 <= i < n/);
  });

  it('puts a path in the same shard whatever else is in the folder, and spreads paths evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`id${i % 97}/img_${i}.jpg`, 4)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
    expect(shardOf('Abel_Pacheco/Abel_Pacheco_0001.jpg', 4)).toBe(shardOf('Abel_Pacheco/Abel_Pacheco_0001.jpg', 4));
  });
});

describe.skipIf(!hasLfw)('faceflow embed, merge, eval --embeddings on lfw-dev pairs', () => {
  it('4 shard processes (JOB_COMPLETION_INDEX=0..3) + merge + eval --embeddings give the numbers of a direct eval', async () => {
    const out = path.join(tmp, 'shards');
    const runs = await Promise.all([0, 1, 2, 3].map((i) =>
      run(['embed', preset, '--input', images, '--out', out, '--shard', 'auto', '--shards', '4', '--workers', '1', '--backend', 'wasm', '--part-size', '4'], { JOB_COMPLETION_INDEX: String(i) })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const m = await faceflow('merge', out);
    expect(m.code, m.stderr).toBe(0);
    const merged = path.join(out, 'embeddings.arrow');
    // a second reader: apache-arrow's IPC reader on the raw bytes, no faceflow code
    const table = tableFromIPC(await readFile(merged));
    const nImages = (await readdir(images, { recursive: true })).filter((f) => f.endsWith('.jpg')).length;
    const paths = table.getChild('path')!.toArray() as string[];
    expect(new Set(paths).size).toBe(nImages);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['path', 'face_index', 'box', 'score', 'landmarks', 'embedding', 'failed_detection', 'context', 'masked', 'twin', 'twin_weight', 'error']);
    const e0 = table.getChild('embedding')!.get(0)!.toArray() as Float32Array;
    expect(e0).toBeInstanceOf(Float32Array);
    expect(e0.length).toBeGreaterThanOrEqual(128);
    expect(Math.hypot(...e0)).toBeCloseTo(1, 4);
    expect((table.getChild('landmarks')!.get(0)!.toArray() as Float64Array).length).toBe(10);

    const direct = path.join(tmp, 'direct.json');
    const d = await faceflow('eval', preset, '--pairs', pairs, '--images', images, '--workers', '1', '--backend', 'wasm', '--json', direct);
    expect(d.code, d.stderr).toBe(0);
    for (const source of [merged, out]) {
      const stored = path.join(tmp, 'stored.json');
      const s = await faceflow('eval', preset, '--pairs', pairs, '--embeddings', source, '--json', stored);
      expect(s.code, s.stderr).toBe(0);
      const a = JSON.parse(await readFile(direct, 'utf8'));
      const b = JSON.parse(await readFile(stored, 'utf8'));
      for (const k of ['pairs', 'folds', 'images', 'accuracy', 'auc', 'eer', 'tar_at_far', 'threshold', 'failed_detections', 'model', 'per_fold', 'threshold_on_same_pairs']) expect(b[k], k).toEqual(a[k]);
    }
    // identify from the stored embeddings: the probes and rates of a direct identify
    const gallery = path.join(tmp, 'gallery.json');
    const en = await faceflow('enroll', preset, '--images', images, '--gallery', gallery, '--workers', '1', '--backend', 'wasm');
    expect(en.code, en.stderr).toBe(0);
    const di = await faceflow('identify', preset, '--gallery', gallery, '--input', images, '--json', path.join(tmp, 'who.json'), '--workers', '1', '--backend', 'wasm', '--top', '3');
    expect(di.code, di.stderr).toBe(0);
    const si = await faceflow('identify', preset, '--gallery', gallery, '--embeddings', merged, '--json', path.join(tmp, 'who-stored.json'), '--top', '3');
    expect(si.code, si.stderr).toBe(0);
    const wa = JSON.parse(await readFile(path.join(tmp, 'who.json'), 'utf8'));
    const wb = JSON.parse(await readFile(path.join(tmp, 'who-stored.json'), 'utf8'));
    expect(wb.labelled).toEqual(wa.labelled);
    const byImage = (w: { probes: { image: string }[] }) => Object.fromEntries(w.probes.map((p) => [p.image, p]));
    expect(byImage(wb)).toEqual(byImage(wa));
    // a reader that did not write them: pyarrow and duckdb, where a Python with them is found
    const py = [process.env.FACEFLOW_PYTHON, 'python3'].find((p) => p && spawnSync(p, ['-c', 'import pyarrow, duckdb'], { stdio: 'ignore' }).status === 0);
    if (!py) console.warn('skipping the pyarrow/duckdb read of the merged file: no Python with pyarrow and duckdb (set FACEFLOW_PYTHON)');
    else {
      const script = 'import sys, json, pyarrow.ipc as ipc, duckdb\nt = ipc.open_file(sys.argv[1]).read_all()\ncon = duckdb.connect()\ncon.register("emb", t)\n' +
        'n, d, dim = con.execute("select count(*), count(distinct path), min(len(embedding)) from emb where face_index >= 0").fetchone()\n' +
        'print(json.dumps({"rows": t.num_rows, "faces": n, "distinct": d, "dim": dim, "meta": {k.decode(): v.decode() for k, v in t.schema.metadata.items()}}))';
      const r = spawnSync(py, ['-c', script, merged], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout);
      expect(got.rows).toBe(table.numRows);
      expect(got.dim).toBe(e0.length);
      expect(got.meta['faceflow.model']).toBe('mobilefacenet');
    }
    // another preset's embeddings are refused
    const other = await faceflow('eval', path.join(repoRoot, 'presets/baseline-mtcnn-dlib.json'), '--pairs', pairs, '--embeddings', merged, '--json', path.join(tmp, 'x.json'));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/made by another preset/);
  }, 600_000);

  it('a preset with a masked-twin node: the mask flags and twins are stored, and eval --embeddings gives the direct numbers', async () => {
    const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, params, position: { x: 0, y: 0 } });
    const edge = (a: string, ap: string, b: string, bp: string) => ({ from: { node: a, port: ap }, to: { node: b, port: bp } });
    const twinPreset = path.join(tmp, 'twin.json');
    await writeFile(twinPreset, JSON.stringify({
      schema: 'faceflow/pipeline', version: 2, name: 'twin', description: 'half the faces masked (seeded by image name), adaptive matching',
      nodes: [
        node('img', 'image-input'), node('mtcnn', 'mtcnn'), node('align', 'align', { select: 'central' }), node('mask', 'occlusion', { kind: 'surgical-mask', probability: 0.5, seed: 3 }),
        node('emb', 'mobilefacenet'), node('ctx', 'context', { occlusionWeights: path.join(repoRoot, 'presets/weights/occlusion.json') }), node('twin', 'masked-twin', { twinWeight: 0.4 }),
      ],
      edges: [
        edge('img', 'image', 'mtcnn', 'image'), edge('img', 'image', 'align', 'image'), edge('mtcnn', 'detections', 'align', 'detections'),
        edge('align', 'faces', 'mask', 'faces'), edge('mask', 'faces', 'emb', 'faces'), edge('mask', 'faces', 'ctx', 'faces'), edge('mtcnn', 'detections', 'ctx', 'detections'),
        edge('mask', 'faces', 'twin', 'faces'), edge('emb', 'embeddings', 'twin', 'embeddings'), edge('ctx', 'context', 'twin', 'context'),
      ],
    }));
    const out = path.join(tmp, 'twin-shards');
    // fewer pairs than the other tests (the twins cost a second backbone pass): 1 matched + 1 mismatched per fold
    const all = (await readFile(pairs, 'utf8')).trim().split('\n').slice(1);
    const twinImages = path.join(tmp, 'twin-images');
    for (const l of [all[0], all[3], all[6], all[9]]) {
      const f = l.trim().split('\t');
      const rels = (f.length === 3 ? [[f[0], f[1]], [f[0], f[2]]] : [[f[0], f[1]], [f[2], f[3]]]).map(([id, n]) => `${id}/${id}_${n.padStart(4, '0')}.jpg`);
      for (const rel of rels) {
        await mkdir(path.join(twinImages, path.dirname(rel)), { recursive: true });
        await copyFile(path.join(images, rel), path.join(twinImages, rel));
      }
    }
    const runs = await Promise.all([0, 1].map((i) => run(['embed', twinPreset, '--input', twinImages, '--out', out, '--shard', `${i}/2`, '--workers', '1', '--backend', 'wasm'])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const rows = [...(await rowsOfDir(out, 'shard-0-of-2')), ...(await rowsOfDir(out, 'shard-1-of-2'))];
    expect(rows.every((r) => r.masked !== null && r.twin !== null && r.twin_weight === 0.4 && r.context?.length === 12 && r.landmarks?.length === 10)).toBe(true);
    expect(rows.some((r) => r.masked)).toBe(true);
    expect(rows.some((r) => !r.masked)).toBe(true);
    const twinPairs = path.join(tmp, 'twin-pairs.txt');
    await writeFile(twinPairs, `2\t1\n${[all[0], all[3], all[6], all[9]].join('\n')}\n`);
    const direct = path.join(tmp, 'twin-direct.json');
    const stored = path.join(tmp, 'twin-stored.json');
    const d = await faceflow('eval', twinPreset, '--pairs', twinPairs, '--images', twinImages, '--workers', '1', '--backend', 'wasm', '--json', direct);
    expect(d.code, d.stderr).toBe(0);
    const s = await faceflow('eval', twinPreset, '--pairs', twinPairs, '--embeddings', out, '--json', stored);
    expect(s.code, s.stderr).toBe(0);
    const a = JSON.parse(await readFile(direct, 'utf8'));
    const b = JSON.parse(await readFile(stored, 'utf8'));
    for (const k of ['accuracy', 'auc', 'eer', 'tar_at_far', 'threshold', 'failed_detections', 'per_fold', 'histogram']) expect(b[k], k).toEqual(a[k]);
  }, 600_000);

  it('a shard killed after its first part and resumed gives the rows of an uninterrupted run', async () => {
    const args = (out: string) => ['embed', preset, '--input', images, '--out', out, '--shard', '0/1', '--workers', '1', '--backend', 'wasm', '--part-size', '3'];
    const full = path.join(tmp, 'full');
    const f = await run(args(full));
    expect(f.code, f.stderr).toBe(0);
    const killed = path.join(tmp, 'killed');
    const started = start(args(killed));
    // kill it hard (no handler runs) once its first part is committed
    const watch = setInterval(async () => {
      if (existsSync(killed) && (await readdir(killed)).some((x) => x.endsWith('.arrow'))) {
        clearInterval(watch);
        started.child.kill('SIGKILL');
      }
    }, 10);
    const k = await started.done;
    clearInterval(watch);
    expect(k.signal).toBe('SIGKILL');
    const partsBefore = (await readdir(killed)).filter((x) => x.endsWith('.arrow')).length;
    const total = (await readdir(full)).filter((x) => x.endsWith('.arrow')).length;
    expect(partsBefore).toBeLessThan(total);
    const again = await run(args(killed));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--resume/);
    const r = await run([...args(killed), '--resume']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${partsBefore} already committed`);
    expect(await rowsOfDir(killed, 'shard-0-of-1')).toEqual(await rowsOfDir(full, 'shard-0-of-1'));
  }, 600_000);
});

