import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { centralFaceIndex } from '../nodes/align/select.js';
import { readPairsDataset } from '../src/eval/datasets-nodejs.js';
import { medianLandmarks } from '../src/eval/landmark-stats.js';
import { createNodeIO, decodeImageNode } from '../src/io/nodejs-io.js';
import { detectFaces, loadMtcnn, toDetectionsValue } from '../src/models/mtcnn/index.js';
import { initBackend } from '../src/runtime/backend.js';

/**
 * `npm run bench -- landmarks [--set mfr2-dev]`: MTCNN on every image a pairs set uses; prints how
 * many images have no face and the median landmarks (central face, fractions of the image size),
 * ready for the align node's median-landmarks fallback:
 * `--param 'align.fallback="median-landmarks"' --param 'align.fallbackLandmarks=[[x, y], ...]'`.
 * Label-free: only the images and the detector are used.
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function benchLandmarks(args: string[]): Promise<unknown> {
  const { values } = parseArgs({ args, options: { set: { type: 'string', default: 'mfr2-dev' } } });
  const dir = path.resolve(REPO, '../shared/datasets', values.set!);
  await initBackend('wasm');
  const ds = await readPairsDataset(path.join(dir, 'pairs.txt'), path.join(dir, 'images'), (p) => readFile(p, 'utf8'));
  const nets = await loadMtcnn(createNodeIO());
  const found: { width: number; height: number; landmarks: [number, number][] }[] = [];
  const missed: string[] = [];
  for (const im of ds.images) {
    const img = decodeImageNode(readFileSync(im.file), im.name);
    const det = toDetectionsValue((await detectFaces(nets, img)).faces, img.width, img.height);
    if (!det.boxes.length) missed.push(im.name);
    else found.push({ width: img.width, height: img.height, landmarks: det.landmarks[centralFaceIndex(det)] });
  }
  const median = medianLandmarks(found).map(([x, y]) => [Number(x.toFixed(4)), Number(y.toFixed(4))]);
  const result = { set: values.set, images: ds.images.length, missed: missed.length, missedImages: missed, median };
  console.log(`${values.set}: ${ds.images.length} images, no face in ${missed.length}`);
  console.log(`median landmarks (fractions of width, height): ${JSON.stringify(median)}`);
  return result;
}
