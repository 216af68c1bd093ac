import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { faceflow } from '../faceflow-cli.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTinyFaceSet } from './tiny-faces.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const preset = path.join(root, 'test/recognition/fixtures/center-mobilefacenet.json');


/** A tiny LFW-layout set: six identities of two real face images each (see tiny-faces.ts). */
let tmp: string;
let identities: string[];
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-eval-'));
  identities = await writeTinyFaceSet(path.join(tmp, 'images'), 6);
  // 2 folds x (3 matched + 3 mismatched)
  const [A, B, C, D, E, F] = identities;
  const lines = ['2\t3',
    `${A}\t1\t2`, `${B}\t1\t2`, `${C}\t1\t2`, `${A}\t1\t${B}\t2`, `${B}\t1\t${C}\t2`, `${C}\t1\t${A}\t2`,
    `${D}\t1\t2`, `${E}\t1\t2`, `${F}\t1\t2`, `${D}\t1\t${E}\t2`, `${E}\t1\t${F}\t2`, `${F}\t1\t${D}\t2`];
  await writeFile(path.join(tmp, 'pairs.txt'), `${lines.join('\n')}\n`);
});

describe('faceflow eval', () => {
  it('scores a tiny pairs set end to end on 2 workers and writes the JSON and ROC', async () => {
    const json = path.join(tmp, 'out/metrics.json');
    const roc = path.join(tmp, 'out/roc.csv');
    const r = await faceflow('eval', preset, '--pairs', path.join(tmp, 'pairs.txt'), '--images', path.join(tmp, 'images'), '--workers', '2', '--backend', 'wasm', '--json', json, '--roc', roc);
    expect(r.stderr).toContain('faceflow eval: 12 pairs, 2 fold(s), 12 images');
    expect(r.code).toBe(0);
    const m = JSON.parse(await readFile(json, 'utf8'));
    for (const k of ['pairs', 'folds', 'images', 'accuracy', 'auc', 'eer', 'tar_at_far', 'threshold', 'failed_detections', 'seconds', 'images_per_second', 'backend', 'workers']) expect(m).toHaveProperty(k);
    expect(m).toMatchObject({ pairs: 12, folds: 2, images: 12, backend: 'wasm', workers: 2, failed_detections: 0, model: 'mobilefacenet' });
    expect(Object.keys(m.tar_at_far)).toEqual(['0.01', '0.001']);
    // the same face mirrored is far more alike than two different people
    expect(m.auc).toBe(1);
    expect(m.accuracy.mean).toBeGreaterThanOrEqual(5 / 6);
    const csv = (await readFile(roc, 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('threshold,far,tar');
    expect(csv[1]).toBe('inf,0,0');
    expect(csv.at(-1)).toMatch(/,1,1$/);
  });

  it('exits 2 naming the line of a bad pair or a missing image', async () => {
    const bad = path.join(tmp, 'bad.txt');
    const good = (await readFile(path.join(tmp, 'pairs.txt'), 'utf8')).split('\n');
    await writeFile(bad, [...good.slice(0, 3), `${identities[2]}\t1`, ...good.slice(4)].join('\n'));
    let r = await faceflow('eval', preset, '--pairs', bad, '--images', path.join(tmp, 'images'), '--json', path.join(tmp, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:4: expected a matched pair`);
    await writeFile(bad, [...good.slice(0, 3), `${identities[2]}\t1\t9`, ...good.slice(4)].join('\n'));
    r = await faceflow('eval', preset, '--pairs', bad, '--images', path.join(tmp, 'images'), '--json', path.join(tmp, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.txt:4: image Person_C #9 not found/);
    expect(existsSync(path.join(tmp, 'x.json'))).toBe(false);
  });
});
