import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { faceflow } from './faceflow-cli.js';
import { describe, expect, it } from 'vitest';
import { resolvePackageAsset } from '../src/io/nodejs-io.js';



describe('faceflow detect', () => {
  it('writes faces per image, reports an unreadable image in the JSON and draws annotations', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-detect-'));
    const dir = path.join(tmp, 'in');
    await mkdir(path.join(dir, 'group'), { recursive: true });
    const photo = await readFile(resolvePackageAsset('@vladmandic/face-api/demo/sample6.jpg'));
    await writeFile(path.join(dir, 'group', 'four.jpg'), photo);
    await writeFile(path.join(dir, 'cut.jpg'), photo.subarray(0, 500));
    const json = path.join(tmp, 'det.json');
    const r = await faceflow('detect', '--input', dir, '--json', json, '--annotate', path.join(tmp, 'ann'), '--workers', '1', '--min-face', '40');
    expect(r.code).toBe(0);
    const out = JSON.parse(await readFile(json, 'utf8'));
    expect(out.backend).toBe('wasm');
    expect(out.images.map((i: { file: string }) => i.file)).toEqual(['cut.jpg', path.join('group', 'four.jpg')]);
    expect(out.images[0].error).toMatch(/cut\.jpg: .*corrupt or unreadable JPEG/);
    const four = out.images[1];
    expect([four.width, four.height]).toEqual([1920, 1537]);
    expect(four.faces).toHaveLength(4);
    for (const f of four.faces) {
      expect(f.score).toBeGreaterThan(0.99);
      expect(f.landmarks).toHaveLength(5);
      for (const [x, y] of f.landmarks) {
        expect(x).toBeGreaterThan(f.box[0]);
        expect(x).toBeLessThan(f.box[2]);
        expect(y).toBeGreaterThan(f.box[1]);
        expect(y).toBeLessThan(f.box[3]);
      }
    }
    const ann = PNG.sync.read(await readFile(path.join(tmp, 'ann', 'group', 'four.png')));
    expect([ann.width, ann.height]).toEqual([1920, 1537]);
    // the box colour appears on the top edge of the first face's box
    const [x1, y1, x2] = four.faces[0].box.map(Math.round);
    const mid = ((y1 + 1) * ann.width + Math.round((x1 + x2) / 2)) * 4;
    expect(Array.from(ann.data.subarray(mid, mid + 3))).toEqual([64, 224, 96]);
  });

  it('exits 2 when every image fails, and on bad thresholds', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-detect-'));
    const bad = path.join(tmp, 'x.png');
    await writeFile(bad, 'not an image');
    const r = await faceflow('detect', '--input', bad, '--json', path.join(tmp, 'd.json'), '--workers', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('x.png: node "input": not a JPEG or PNG image');
    const t = await faceflow('detect', '--input', bad, '--json', path.join(tmp, 'd.json'), '--thresholds', '0.6,0.7');
    expect(t.code).toBe(2);
    expect(t.stderr.trim()).toBe('faceflow: --thresholds 0.6,0.7: expected three numbers from 0 to 1, e.g. 0.6,0.7,0.7');
  });
});
