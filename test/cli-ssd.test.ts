import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { downscaleImage } from '../nodes/image-pyramid/index.js';
import { decodeImageNode, resolvePackageAsset } from '../src/io/nodejs-io.js';
import { faceflow, repoRoot } from './faceflow-cli.js';

/** face-api's sample6.jpg (four faces) at 640x512 as a PNG: the same faces, a fraction of the detector time on a busy machine. */
async function smallFour(file: string) {
  const src = resolvePackageAsset('@vladmandic/face-api/demo/sample6.jpg');
  const img = downscaleImage(decodeImageNode(new Uint8Array(await readFile(src)), src), 640, 512);
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    png.data.set(img.data.subarray(3 * i, 3 * i + 3), 4 * i);
    png.data[4 * i + 3] = 255;
  }
  await writeFile(file, PNG.sync.write(png));
}

/** presets/baseline-mtcnn-facenet.json with an annotate sink, its detector node made `type`: the same graph with one node swapped. */
async function graphWith(type: 'mtcnn' | 'ssd') {
  const doc = JSON.parse(await readFile(path.join(repoRoot, 'presets/baseline-mtcnn-facenet.json'), 'utf8'));
  const det = doc.nodes.find((n: { id: string }) => n.id === 'mtcnn');
  det.type = type;
  det.params = {};
  doc.nodes.push({ id: 'annotate', type: 'annotate', params: {}, position: { x: 520, y: 200 } });
  doc.edges.push(
    { from: { node: 'input', port: 'image' }, to: { node: 'annotate', port: 'image' } },
    { from: { node: 'mtcnn', port: 'detections' }, to: { node: 'annotate', port: 'detections' } },
  );
  return doc;
}

describe('the same graph with the detector swapped (mtcnn -> ssd)', () => {
  it('faceflow run: both detectors feed align and the backbone and annotate the same four faces', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-ssd-'));
    await mkdir(path.join(tmp, 'in'));
    await smallFour(path.join(tmp, 'in', 'four.png'));
    const runs: Record<string, { reports: Record<string, Record<string, Record<string, unknown>>> }> = {};
    for (const type of ['mtcnn', 'ssd'] as const) {
      const preset = path.join(tmp, `${type}.json`);
      await writeFile(preset, JSON.stringify(await graphWith(type)));
      const out = path.join(tmp, `out-${type}`);
      const r = await faceflow('run', preset, '--input', path.join(tmp, 'in'), '--out', out, '--json', path.join(out, 'run.json'), '--workers', '1', '--backend', 'wasm');
      expect(r.code, r.stderr).toBe(0);
      runs[type] = JSON.parse(await readFile(path.join(out, 'run.json'), 'utf8'));
      const png = PNG.sync.read(await readFile(path.join(out, 'four', 'annotate.png')));
      expect([png.width, png.height]).toEqual([640, 512]);
    }
    const m = runs.mtcnn.reports['four.png'];
    const s = runs.ssd.reports['four.png'];
    expect(m.mtcnn.candidatesOut).toBe(4);
    expect(s.mtcnn.faces).toBe(4);
    for (const r of [m, s]) {
      expect(r.align).toMatchObject({ faces: 1, fallback: 0 });
      expect(r.embed).toMatchObject({ faces: 1 });
    }
  }, 400_000);

  it('faceflow identify --calibration adds P(same) to each score; a malformed calibration file is refused in one line', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-cal-'));
    await mkdir(path.join(tmp, 'enrol', 'Six'), { recursive: true });
    await smallFour(path.join(tmp, 'enrol', 'Six', 'a.png'));
    const cal = path.join(tmp, 'cal.json');
    await writeFile(cal, JSON.stringify({ schema: 'faceflow/calibration', version: 1, method: 'platt', metric: 'cosine', platt: { a: 20, b: -8 }, isotonic: { x: [0, 1], y: [0, 1] } }));
    const bad = path.join(tmp, 'bad.json');
    await writeFile(bad, JSON.stringify({ schema: 'faceflow/calibration', version: 1, method: 'platt', metric: 'cosine', platt: { a: 20 }, isotonic: { x: [0, 1], y: [0, 1] } }));
    const preset = path.join(repoRoot, 'presets/baseline-ssd-facenet.json');
    const gallery = path.join(tmp, 'g.json');
    const refused = await faceflow('identify', preset, '--gallery', gallery, '--input', path.join(tmp, 'enrol'), '--json', path.join(tmp, 'x.json'), '--calibration', bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/bad\.json: invalid calibration: platt\.b: /);
    const e = await faceflow('enroll', preset, '--images', path.join(tmp, 'enrol'), '--gallery', gallery, '--workers', '1', '--backend', 'wasm');
    expect(e.code, e.stderr).toBe(0);
    const json = path.join(tmp, 'who.json');
    const r = await faceflow('identify', preset, '--gallery', gallery, '--input', path.join(tmp, 'enrol', 'Six', 'a.png'), '--json', json, '--calibration', cal, '--workers', '1', '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(await readFile(json, 'utf8'));
    expect(out.calibration).toMatchObject({ file: cal, method: 'platt' });
    const [probe] = out.probes;
    expect(probe.identity).toBe('Six');
    expect(probe.probability).toBeCloseTo(1 / (1 + Math.exp(-(20 * probe.score - 8))), 5);
    expect(probe.top[0].probability).toBe(probe.probability);
  }, 400_000);
});
