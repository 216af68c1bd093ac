import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faceflow } from '../faceflow-cli.js';

describe('faceflow split', () => {
  let dir = '';
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('links the training folds by identity and writes the test folds, leaving out identities a test fold uses', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-split-'));
    const images = path.join(dir, 'images');
    for (const [who, n] of [['Ann', 2], ['Bob', 2], ['Cid', 2], ['Dee', 2]] as const) {
      await mkdir(path.join(images, who), { recursive: true });
      for (let i = 1; i <= n; i++) await writeFile(path.join(images, who, `${who}_000${i}.jpg`), 'x');
    }
    // two folds of one matched and one mismatched pair; Cid appears in both folds
    const pairs = ['2\t1', 'Ann\t1\t2', 'Ann\t1\tCid\t1', 'Bob\t1\t2', 'Cid\t2\tDee\t1'].join('\n');
    await writeFile(path.join(dir, 'pairs.txt'), `${pairs}\n`);
    const out = path.join(dir, 'split');
    const r = await faceflow('split', path.join(dir, 'pairs.txt'), '--images', images, '--out', out, '--train', '1', '--test', '2');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ train_folds: [1], test_folds: [2], train_identities: 1, train_images: 2 });
    expect(await readdir(path.join(out, 'train'))).toEqual(['Ann']);
    expect((await readFile(path.join(out, 'pairs-test.txt'), 'utf8')).trim().split('\n').slice(1)).toEqual(['Bob\t1\t2', 'Cid\t2\tDee\t1']);

    const bad = await faceflow('split', path.join(dir, 'pairs.txt'), '--images', images, '--out', out, '--train', 'one');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('faceflow: --train one: expected fold numbers such as 1,2');
  });
});
