import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeImageNode, resolvePackageAsset } from '../src/io/nodejs-io.js';
import { claheGray, claheRgb } from '../nodes/clahe/clahe.js';
import { rgbToGray } from '../nodes/grayscale/index.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void, runs = 30): number {
  for (let i = 0; i < 5; i++) fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** CLAHE speed on a real photo (face-api's sample1.jpg) cropped to 640x480 and 250x250. */
export async function benchClahe(): Promise<void> {
  const photo = decodeImageNode(new Uint8Array(await readFile(resolvePackageAsset('@vladmandic/face-api/demo/sample1.jpg'))), 'sample1.jpg');
  const rows: { size: string; plane: string; msMedian: number }[] = [];
  for (const [w, h] of [[250, 250], [640, 480]]) {
    if (photo.width < w || photo.height < h) continue;
    const rgb = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) rgb.set(photo.data.subarray(y * photo.width * 3, (y * photo.width + w) * 3), y * w * 3);
    const gray = rgbToGray(rgb);
    rows.push({ size: `${w}x${h}`, plane: 'gray', msMedian: time(() => claheGray(gray, w, h, 2, 8, 8)) });
    rows.push({ size: `${w}x${h}`, plane: 'rgb (Lab L)', msMedian: time(() => claheRgb(rgb, w, h, 2, 8, 8)) });
  }
  console.table(rows);
  const out = path.resolve('bench/results/clahe.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ bench: 'clahe', clipLimit: 2, tiles: '8x8', rows }, null, 2));
  console.log(`wrote ${out}`);
}
