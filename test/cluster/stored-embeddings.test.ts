import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { collectShards, manifestName, readStoredFile, rowsToArrow, type EmbeddingRow, type ShardManifest } from '../../src/eval/stored-embeddings.js';
import { topK } from '../../src/eval/stored-embeddings-identify.js';
import { emptyGallery, enroll, identify } from '../../src/eval/gallery.js';
import { faceflow } from '../faceflow-cli.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

const row = (p: string, i: number, e: number[] | null, extra: Partial<EmbeddingRow> = {}): EmbeddingRow => ({
  path: p, face_index: e ? i : -1, box: e ? [1, 2, 30, 40] : null, score: e ? 0.99 : null, landmarks: e ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : null,
  embedding: e ? Float32Array.from(e) : null, failed_detection: !e, context: null, masked: null, twin: null, twin_weight: null, error: null, ...extra,
});

async function writeShard(dir: string, shard: number, shards: number, rows: EmbeddingRow[], hash = 'h1', complete = true, partSize = Infinity) {
  const parts: string[] = [];
  for (let k = 0; k === 0 || k * partSize < rows.length; k++) {
    const part = `shard-${shard}-of-${shards}.part-${String(k).padStart(6, '0')}.arrow`;
    const slice = rows.slice(k * partSize, (k + 1) * partSize);
    await writeFile(path.join(dir, part), rowsToArrow(slice, { 'faceflow.preset_hash': hash, 'faceflow.model': 'm', 'faceflow.shard': `${shard}/${shards}` }));
    parts.push(part);
  }
  const m: ShardManifest = { format: 'faceflow/embeddings', shard, shards, preset_hash: hash, preset: 'p.json', model: 'm', images: rows.length, rows: rows.length, parts, complete };
  await writeFile(path.join(dir, manifestName(shard, shards)), JSON.stringify(m));
}

describe('stored embeddings files', () => {
  it('round-trip every column exactly (float32 embeddings, nulls, errors, twins)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-stored-'));
    const rows = [
      row('a/1.jpg', 0, [0.6, 0.8, 0], { context: Float32Array.from([0.1, 0.2]), masked: true, twin: Float32Array.from([0, 1, 0]), twin_weight: 0.5 }),
      row('a/1.jpg', 1, [0, 0.6, 0.8]),
      row('b/2.jpg', -1, null),
      row('c/3.jpg', -1, null, { failed_detection: false, error: 'c/3.jpg: corrupt or unreadable JPEG' }),
    ];
    await writeFile(path.join(dir, 'x.arrow'), rowsToArrow(rows, { 'faceflow.preset_hash': 'h' }));
    const back = await readStoredFile(path.join(dir, 'x.arrow'));
    expect(back.rows).toEqual(rows);
    expect(back.metadata['faceflow.preset_hash']).toBe('h');
  });

  it('merge checks: all shards, one preset, no duplicates', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-merge-'));
    await writeShard(dir, 0, 2, [row('a/1.jpg', 0, [1, 0, 0])]);
    let r = await faceflow('merge', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shard\(s\) 1 of 2 missing or unfinished/);
    await writeShard(dir, 1, 2, [row('b/1.jpg', 0, [0, 1, 0])], 'h2');
    r = await faceflow('merge', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/made by different presets/);
    await writeShard(dir, 1, 2, [row('a/1.jpg', 0, [0, 1, 0])]);
    await expect(collectShards(dir)).rejects.toThrow(/duplicate row for a\/1.jpg face 0/);
    await writeShard(dir, 1, 2, [row('b/1.jpg', 0, [0, 1, 0]), row('0/z.jpg', -1, null)]);
    r = await faceflow('merge', dir, '--out', path.join(dir, 'all.arrow'));
    expect(r.code, r.stderr).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const t = tableFromIPC(await readFile(path.join(dir, 'all.arrow')));
    expect(t.getChild('path')!.toArray()).toEqual(['0/z.jpg', 'a/1.jpg', 'b/1.jpg']);
    await rm(dir, { recursive: true });
  });

  it('merge streams many parts of several shards into record batches, in (path, face) order, and refuses a row in two shards', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceflow-merge-stream-'));
    const r = rng(3);
    // 6,000 images in 3 shards (by a hash-like spread), parts of 500 rows; some images with 12 faces
    const all: EmbeddingRow[] = [];
    const byShard: EmbeddingRow[][] = [[], [], []];
    for (let i = 0; i < 6000; i++) {
      const p = `id${String(i % 977).padStart(4, '0')}/img_${i}.jpg`;
      const faces = i % 500 === 0 ? 12 : 1;
      for (let f = 0; f < faces; f++) {
        const x = row(p, f, [r(), r(), r()]);
        all.push(x);
        byShard[(i * 2654435761) % 3].push(x);
      }
    }
    const order = (a: EmbeddingRow, b: EmbeddingRow) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.face_index - b.face_index);
    for (let s = 0; s < 3; s++) await writeShard(dir, s, 3, byShard[s].sort(order), 'h1', true, 500);
    const out = path.join(dir, 'merged.arrow');
    const res = await faceflow('merge', dir, '--out', out);
    expect(res.code, res.stderr).toBe(0);
    const { readFile } = await import('node:fs/promises');
    const t = tableFromIPC(await readFile(out));
    expect(t.batches.length).toBeGreaterThan(1); // written batch by batch (4,096 rows), not as one table
    expect(t.numRows).toBe(all.length);
    const want = all.sort(order);
    expect(t.getChild('path')!.toArray()).toEqual(want.map((x) => x.path));
    expect(Array.from(t.getChild('face_index')!.toArray())).toEqual(want.map((x) => x.face_index));
    const back = await readStoredFile(out);
    expect(back.rows[123].embedding).toEqual(want[123].embedding);
    expect(back.metadata['faceflow.shards']).toBe('3');
    // the same image in shards 0 and 2: one line, exit 2, no output file left
    await writeShard(dir, 2, 3, [...byShard[2], byShard[0][5]].sort(order), 'h1', true, 500);
    const dup = path.join(dir, 'dup.arrow');
    const bad = await faceflow('merge', dir, '--out', dup);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`duplicate row for ${byShard[0][5].path} face ${byShard[0][5].face_index} (in two shards)`);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).filter((f) => f.startsWith('dup.arrow'))).toEqual([]);
    await rm(dir, { recursive: true });
  }, 300_000);
});

describe('top-k identification', () => {
  it('gives the first k of a full sort (ties in gallery order), masked probes included', () => {
    const r = rng(7);
    const dim = 16;
    let g = emptyGallery('m', dim);
    for (let i = 0; i < 300; i++) {
      const e = Array.from({ length: dim }, r);
      g = enroll(g, `id${i}`, [e]);
    }
    // a duplicate template: tied scores
    g = { ...g, identities: [...g.identities, { ...g.identities[5], name: 'dup5' }] };
    for (let p = 0; p < 20; p++) {
      const probe = Array.from({ length: dim }, r);
      for (const k of [1, 5, 50]) expect(topK(g, probe, k)).toEqual(identify(g, probe).ranked.slice(0, k));
    }
    const twinned = { ...g, twinWeight: 0.3, identities: g.identities.map((i, n) => ({ ...i, maskedTemplate: n % 2 ? i.template.map((x) => -x) : undefined })) };
    const probe = Array.from({ length: dim }, r);
    expect(topK(twinned, probe, 7, true)).toEqual(identify(twinned, probe, undefined, true).ranked.slice(0, 7));
  });
});
