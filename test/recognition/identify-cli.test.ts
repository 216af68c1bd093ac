import { mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { faceflow } from '../faceflow-cli.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodePngNode } from '../../src/io/nodejs-io.js';
import { writeTinyFaceSet } from './tiny-faces.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const preset = path.join(root, 'presets/baseline-mtcnn-facenet.json');


/**
 * Gallery: Person_A..D, image 1 each, plus a blank image under Person_A (no face: skipped).
 * Probes: Person_A..D image 2 (mirrored, tighter crop) and Person_E, who is not enrolled.
 */
let tmp: string;
let ids: string[];
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'faceflow-identify-'));
  ids = await writeTinyFaceSet(path.join(tmp, 'all'), 5);
  for (const id of ids) {
    await mkdir(path.join(tmp, 'probes', id), { recursive: true });
    await rename(path.join(tmp, 'all', id, `${id}_0002.png`), path.join(tmp, 'probes', id, `${id}_0002.png`));
  }
  await rename(path.join(tmp, 'all', ids[4]), path.join(tmp, 'unused'));
  await writeFile(path.join(tmp, 'all', ids[0], 'blank.png'), encodePngNode({ width: 96, height: 96, channels: 3, data: new Uint8Array(96 * 96 * 3).fill(128) }));
});

describe('faceflow enroll + identify', () => {
  it('builds a gallery file from a folder of identities, then identifies probes and rejects an unknown face', async () => {
    const gallery = path.join(tmp, 'out/gallery.json');
    let r = await faceflow('enroll', preset, '--images', path.join(tmp, 'all'), '--gallery', gallery, '--workers', '2', '--backend', 'wasm');
    expect(r.stderr).toContain(`skipped ${ids[0]}/blank.png: no face detected`);
    expect(r.stderr).toContain('4/5 image(s) of 4 identities enrolled');
    expect(r.code).toBe(0);
    const g = JSON.parse(await readFile(gallery, 'utf8'));
    expect(g).toMatchObject({ format: 'faceflow/gallery', model: 'mobilefacenet', dim: 192 });
    expect(g.identities.map((i: { name: string }) => i.name)).toEqual(ids.slice(0, 4));
    expect(g.identities[0]).toMatchObject({ count: 1, images: [`${ids[0]}/${ids[0]}_0001.png`] });

    const json = path.join(tmp, 'out/identify.json');
    r = await faceflow('identify', preset, '--gallery', gallery, '--input', path.join(tmp, 'probes'), '--json', json, '--threshold', '0.45', '--workers', '1', '--backend', 'wasm');
    expect(r.code).toBe(0);
    const out = JSON.parse(await readFile(json, 'utf8'));
    expect(out).toMatchObject({ identities: 4, threshold: 0.45, images: 5, identified: 4, rejected: 1, failed_detections: 0, errors: 0 });
    for (const id of ids.slice(0, 4)) {
      const p = out.probes.find((x: { label: string }) => x.label === id);
      expect(p.identity, `probe of ${id}`).toBe(id);
      expect(p.top).toHaveLength(4);
      expect(p.score).toBeGreaterThan(0.45);
    }
    const unknown = out.probes.find((x: { label: string }) => x.label === ids[4]);
    expect(unknown).toMatchObject({ identity: null, rejected: true });
    expect(unknown.score).toBeLessThan(0.45);
    expect(out.labelled).toMatchObject({ probes: 5, known: 4, unknown: 1, rank1: 1, detection_identification_rate: 1, false_alarm_rate: 0 });

    // a single image, and enrolling more into the same file merges
    r = await faceflow('identify', preset, '--gallery', gallery, '--input', path.join(tmp, 'probes', ids[2], `${ids[2]}_0002.png`), '--json', json, '--workers', '1');
    expect(r.code).toBe(0);
    expect(JSON.parse(await readFile(json, 'utf8')).probes[0]).toMatchObject({ image: `${ids[2]}_0002.png`, identity: ids[2] });
    r = await faceflow('enroll', preset, '--images', path.join(tmp, 'probes'), '--gallery', gallery, '--per-identity', '1', '--workers', '1');
    expect(r.code).toBe(0);
    const merged = JSON.parse(await readFile(gallery, 'utf8'));
    expect(merged.identities).toHaveLength(5);
    expect(merged.identities[1]).toMatchObject({ name: ids[1], count: 2 });
  });

  it('exits 2 with a clear message for a missing gallery or a wrong backbone', async () => {
    let r = await faceflow('identify', preset, '--gallery', path.join(tmp, 'nope.json'), '--input', path.join(tmp, 'probes'), '--json', path.join(tmp, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.json: cannot read the gallery \(ENOENT\)/);
    const wrong = path.join(tmp, 'dlib.json');
    await writeFile(wrong, JSON.stringify({ format: 'faceflow/gallery', version: 1, model: 'dlib-resnet', dim: 128, identities: [{ name: 'x', count: 1, template: new Array(128).fill(0) }] }));
    r = await faceflow('identify', preset, '--gallery', wrong, '--input', path.join(tmp, 'probes'), '--json', path.join(tmp, 'x.json'), '--workers', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('holds 128-D dlib-resnet templates; this preset makes 192-D mobilefacenet embeddings');
  });
});
