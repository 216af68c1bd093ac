import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readIdentityFolder, readPairsDataset } from '../../src/eval/datasets-nodejs.js';
import { parsePairs } from '../../src/eval/lfw.js';
import { emptyGallery, enroll, identificationMetrics, identify, parseGallery, serializeGallery } from '../../src/eval/gallery.js';
import { allPairs, verifyPairs } from '../../src/eval/verify.js';

const GOOD = '2\t1\nAnn\t1\t2\nAnn\t1\tBob\t1\nBob\t1\t2\nAnn\t2\tBob\t2\n';

describe('LFW pairs.txt', () => {
  it('reads folds of matched then mismatched pairs', () => {
    const p = parsePairs(GOOD);
    expect(p.folds).toBe(2);
    expect(p.pairs.map((x) => [x.a.identity, x.a.number, x.b.identity, x.b.number, x.same, x.fold, x.line])).toEqual([
      ['Ann', 1, 'Ann', 2, true, 1, 2], ['Ann', 1, 'Bob', 1, false, 1, 3], ['Bob', 1, 'Bob', 2, true, 2, 4], ['Ann', 2, 'Bob', 2, false, 2, 5],
    ]);
    expect(parsePairs('1\nAnn\t1\t2\nAnn\t1\tBob\t1\n').folds).toBe(1); // View 1 style header
  });

  it('names the line of a malformed pair or header', () => {
    expect(() => parsePairs('2\t1\nAnn\t1\t2\nAnn\t1\tBob\nBob\t1\t2\nAnn\t2\tBob\t2\n', 'p.txt')).toThrow(/^p\.txt:3: expected a mismatched pair/);
    expect(() => parsePairs('2\t1\nAnn\t1\tx\nAnn\t1\tBob\t1\nBob\t1\t2\nAnn\t2\tBob\t2\n', 'p.txt')).toThrow(/^p\.txt:2: image number "x"/);
    expect(() => parsePairs('2\t2\nAnn\t1\t2\n', 'p.txt')).toThrow(/p\.txt:3: the header promises 2 fold\(s\) of 2/);
    expect(() => parsePairs('two\t1\n', 'p.txt')).toThrow(/^p\.txt:1: fold count "two"/);
  });

  it('finds each image as jpg or png and names the line of a missing one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-pairs-'));
    for (const [who, n, ext] of [['Ann', 1, 'jpg'], ['Ann', 2, 'png'], ['Bob', 1, 'jpg'], ['Bob', 2, 'jpg']] as const) {
      await mkdir(path.join(dir, who), { recursive: true });
      await writeFile(path.join(dir, who, `${who}_000${n}.${ext}`), '');
    }
    const read = async (t: string) => t;
    const ds = await readPairsDataset(GOOD, dir, read);
    expect(ds.images.map((i) => i.name)).toEqual(['Ann/Ann_0001.jpg', 'Ann/Ann_0002.png', 'Bob/Bob_0001.jpg', 'Bob/Bob_0002.jpg']);
    expect(ds.index).toEqual([[0, 1], [0, 2], [2, 3], [1, 3]]);
    await expect(readPairsDataset(GOOD.replace('Bob\t1\t2', 'Bob\t1\t7'), dir, read)).rejects.toThrow(/:4: image Bob #7 not found/);
    await expect(readPairsDataset(GOOD.replace('Ann\t2\tBob\t2', 'Ann\t2\tCid\t2'), dir, read)).rejects.toThrow(/:5: no folder .*Cid/);
    expect((await readIdentityFolder(dir)).map((i) => [i.identity, i.name])).toEqual([['Ann', 'Ann/Ann_0001.jpg'], ['Ann', 'Ann/Ann_0002.png'], ['Bob', 'Bob/Bob_0001.jpg'], ['Bob', 'Bob/Bob_0002.jpg']]);
  });
});

describe('gallery and identification', () => {
  const e = (x: number, y: number) => [x, y];
  it('averages unit templates, ranks by cosine, rejects below the threshold, round-trips JSON', () => {
    let g = emptyGallery('toy', 2);
    g = enroll(g, 'ann', [e(1, 0), e(0.8, 0.6)], ['ann/1.jpg', 'ann/2.jpg']);
    g = enroll(g, 'bob', [e(0, 3)]);
    // mean of (1,0) and (.8,.6) is (.9,.3), renormalised
    expect(g.identities[0].template[0]).toBeCloseTo(0.9 / Math.hypot(0.9, 0.3), 6);
    expect(identify(g, e(1, 0.1)).identity).toBe('ann');
    expect(identify(g, e(-1, -1), 0.5).identity).toBeNull();
    const m = identificationMetrics(g, [{ label: 'ann', embedding: e(1, 0.2) }, { label: 'bob', embedding: e(0.9, 0.5) }, { label: 'cid', embedding: e(0.1, 1) }], 0.9);
    expect(m).toMatchObject({ probes: 3, known: 2, rank1: 0.5, unknown: 1, falseAlarmRate: 1 });
    const back = parseGallery(serializeGallery(g));
    expect(back).toEqual(JSON.parse(JSON.stringify(g)));
    expect(() => parseGallery('{"format":"x"}', 'g.json')).toThrow(/g\.json: not a faceflow gallery/);
    expect(() => enroll(g, 'cid', [[1, 2, 3]])).toThrow(/2-D toy templates/);
  });
});

describe('verify', () => {
  it('labels all pairs by folder and decides at fixed, FAR and k-fold thresholds', () => {
    const names = ['a/1.jpg', 'a/2.jpg', 'b/1.jpg', 'b/2.jpg'];
    const emb = new Map(([['a/1.jpg', [1, 0]], ['a/2.jpg', [0.9, 0.2]], ['b/1.jpg', [0, 1]], ['b/2.jpg', [0.3, 1]]] as const).map(([k, v]) => [k, { embedding: v }]));
    const pairs = allPairs(names);
    expect(pairs.pairs.filter((p) => p.same).length).toBe(2);
    const fixed = verifyPairs(emb, pairs, { metric: 'cosine', thresholdMode: 'fixed', threshold: 0.9, targetFar: 0, folds: 2 });
    expect(fixed.scores.pairs.map((p) => p.accepted)).toEqual([true, false, false, false, false, true]);
    expect(fixed.metrics?.auc).toBe(1);
    const far = verifyPairs(emb, pairs, { metric: 'euclidean', thresholdMode: 'far', threshold: 0, targetFar: 0, folds: 2 });
    expect(far.scores.pairs.filter((p) => p.accepted && !p.same)).toEqual([]);
    expect(() => verifyPairs(emb, { pairs: [{ a: 'a/1.jpg', b: 'zz' }] }, { metric: 'cosine', thresholdMode: 'fixed', threshold: 0, targetFar: 0, folds: 2 })).toThrow(/no embedding for "zz"/);
  });
});

describe('gallery file', () => {
  it('survives a save and reload, and starts empty when asked', async () => {
    const { loadGalleryFile, saveGalleryFile } = await import('../../src/eval/gallery-file.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-gallery-'));
    const file = path.join(dir, 'sub/g.json');
    expect((await loadGalleryFile(file, { model: 'm', dim: 2 })).identities).toEqual([]);
    await expect(loadGalleryFile(file)).rejects.toThrow(/cannot read the gallery \(ENOENT\)/);
    const g = enroll(emptyGallery('m', 2), 'ann', [[1, 0]]);
    await saveGalleryFile(file, g);
    expect(await loadGalleryFile(file)).toEqual(g);
  });
});
