import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceflow } from '../faceflow-cli.js';
import { alignFaces, alignParams } from '../../nodes/align/index.js';
import type { DetectionsValue } from '../../src/graph/values.js';
import { createNodeIO, encodePngNode, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { detectFaces, loadMtcnn } from '../../src/models/mtcnn/index.js';
import { initBackend } from '../../src/runtime/backend.js';
import { loadWeightsFiles } from '../../src/io/weights-file-nodejs.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const preset = path.join(root, 'test/robustness/fixtures/mtcnn-attention.json');


/** A folder of identities from face-api's demo photos: each face three ways (loose, tight, mirrored). */
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-train-'));
  await initBackend('wasm');
  const io = createNodeIO();
  const nets = await loadMtcnn(io);
  let count = 0;
  for (let n = 1; n <= 6 && count < 6; n++) {
    const img = await io.decodeImage(await io.readFile(resolvePackageAsset(`@vladmandic/face-api/demo/sample${n}.jpg`)), `sample${n}.jpg`);
    for (const f of (await detectFaces(nets, img)).faces) {
      if (count >= 6) break;
      const id = `Person_${String.fromCharCode(65 + count++)}`;
      const det: DetectionsValue = { imageWidth: img.width, imageHeight: img.height, boxes: [f.box], scores: [f.score], landmarks: [f.landmarks] };
      const dir = path.join(tmp, 'data', id);
      await mkdir(dir, { recursive: true });
      for (const [k, size] of [[1, 160], [2, 150], [3, 140]] as const) {
        const a = alignFaces(img, det, alignParams.parse({ size, cropFraction: 1 }));
        let data = a.data;
        if (k === 3) {
          data = new Uint8Array(a.data.length);
          for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = a.data[(y * size + size - 1 - x) * 3 + c];
        }
        await writeFile(path.join(dir, `${id}_000${k}.png`), encodePngNode({ width: size, height: size, channels: 3, data }));
      }
    }
  }
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('faceflow train', () => {
  it('trains the preset\'s fusion on a tiny set, logs JSON lines, writes reloadable weights, repeats for a seed', async () => {
    const args = (out: string) => ['train', preset, '--data', path.join(tmp, 'data'), '--out', out, '--epochs', '3', '--seed', '7',
      '--val-fraction', '0.34', '--batch', '8', '--per-identity', '3', '--workers', '1', '--backend', 'wasm'];
    const r = await faceflow(...args(path.join(tmp, 'out1')));
    expect(r.stderr).toContain('faceflow train: wrote');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'start', module: 'fusion-attention', train_identities: 4, val_identities: 2, passes: ['clean', 'any-mask'] });
    expect(lines[0].train_rows).toBe(24); // 4 identities x 3 images x (clean + masked)
    const epochs = lines.filter((l) => l.event === 'epoch');
    expect(epochs).toHaveLength(3);
    for (const e of epochs) expect(Number.isFinite(e.trainLoss) && Number.isFinite(e.valLoss)).toBe(true);
    const done = lines[lines.length - 1];
    expect(done.event).toBe('done');
    const loaded = await loadWeightsFiles(done.weights);
    expect(loaded.kind).toBe('fusion-attention');
    expect(loaded.config).toMatchObject({ kind: 'attention', embeddingDim: 192, contextDim: 12 });
    expect(loaded.training).toMatchObject({ seed: 7, epochs_run: 3 });

    const again = await faceflow(...args(path.join(tmp, 'out2')));
    const epochs2 = again.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'epoch');
    epochs2.forEach((e, i) => {
      expect(e.trainLoss).toBeCloseTo(epochs[i].trainLoss, 6);
      expect(e.valLoss).toBeCloseTo(epochs[i].valLoss, 6);
    });
    const bin1 = await readFile(done.weights.replace(/\.json$/, '.weights.bin'));
    const bin2 = await readFile(path.join(tmp, 'out2', path.basename(done.weights).replace(/\.json$/, '.weights.bin')));
    expect(bin2.equals(bin1)).toBe(true);
  });

  it('trains the context node\'s occlusion classifier, which the context node then uses', async () => {
    const out = path.join(tmp, 'occ');
    const r = await faceflow('train', preset, '--module', 'occlusion', '--data', path.join(tmp, 'data'), '--out', out, '--epochs', '2',
      '--val-fraction', '0.34', '--batch', '16', '--workers', '1', '--backend', 'wasm');
    expect(r.stderr).toContain('occlusionWeights=');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ event: 'start', module: 'occlusion-classifier', train_faces: 12, val_faces: 6, template: 'arcface-112' });
    expect(lines.filter((l) => l.event === 'epoch')).toHaveLength(2);
    const file = lines[lines.length - 1].weights as string;
    const loaded = await loadWeightsFiles(file);
    expect(loaded.kind).toBe('occlusion-classifier');
    const run = await faceflow('run', preset, '--input', path.join(tmp, 'data', 'Person_A', 'Person_A_0001.png'), '--param', `context.occlusionWeights=${file}`,
      '--backend', 'wasm', '--workers', '1', '--out', path.join(tmp, 'occ', 'run'), '--json', path.join(tmp, 'occ', 'run.json'));
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(await readFile(path.join(tmp, 'occ', 'run.json'), 'utf8'));
    expect(Object.values(summary.reports as Record<string, Record<string, { occlusionScores?: string }>>)[0].context.occlusionScores).toBe(file);
  });

  it('explains a preset with nothing to train (exit 2)', async () => {
    const r = await faceflow('train', path.join(root, 'test/recognition/fixtures/center-mobilefacenet.json'), '--data', path.join(tmp, 'data'), '--out', path.join(tmp, 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no attention-gate or fusion-\* node to train/);
  });
});
