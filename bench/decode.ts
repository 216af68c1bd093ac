import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import jpeg from 'jpeg-js';
import { chromium } from 'playwright-core';
import { decodeJpegJs, LIBJPEG_TURBO_PACKAGE, loadLibjpegTurbo, rgbFromRgba, type RgbPixels } from '../src/io/jpeg-decode.js';
import { DEFAULT_MAX_PIXELS } from '../src/io/image-header.js';
import { DATASETS, lfwImages } from './detect.js';

/**
 * `npm run bench -- decode [--images 300] [--rounds 3] [--peers <node_modules>] [--out file]`: JPEG decoding in
 * Node, each decoder on the same files in the same run, interleaved image by image so that a changing
 * load is shared out: `--images` lfw-dev photos (250x250, spread over the sorted set; skipped with a
 * message when lfw-dev is absent) and face-api's six demo photos (up to 1920x1280), `--rounds` times.
 * Per decoder: median ms per image to 8-bit RGB, its speed as a ratio to jpeg-js's, and the max/mean
 * absolute pixel difference (and the number of bit-identical images) from jpeg-js and from two
 * references: Chromium decoding as the lab does (createImageBitmap; skipped without /usr/bin/chromium
 * or $CHROMIUM) and Pillow (the system's libjpeg-turbo; skipped where `/usr/bin/python3 -c "import PIL"` fails).
 * Decoders: jpeg-js as used before (RGBA out, then RGB), jpeg-js with `formatAsRGBA: false`, libjpeg-turbo
 * in WebAssembly (our dependency), and, when found in `--peers` (e.g. a folder where
 * `npm i @jsquash/jpeg @cwasm/jpeg-turbo sharp` was run), those candidates. Also the installed size of each
 * package. Writes bench/results/decode.json.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMO = path.join(REPO, 'node_modules/@vladmandic/face-api/demo');
const PYTHON = '/usr/bin/python3';

type Decode = (bytes: Uint8Array) => RgbPixels | Promise<RgbPixels>;
interface Candidate {
  name: string;
  /** npm packages it installs, for their size on disk */
  packages: string[];
  decode: Decode;
}

const rgba = (width: number, height: number, data: Uint8Array | Uint8ClampedArray): RgbPixels => ({ width, height, data: rgbFromRgba(data as Uint8Array, width * height) });

/** The other candidates weighed for issue 15, loaded from `dir` (a node_modules folder) where installed. */
async function peerCandidates(dir: string): Promise<{ found: Candidate[]; missing: string[] }> {
  const require = createRequire(path.join(dir, 'index.js'));
  const found: Candidate[] = [];
  const missing: string[] = [];
  const load = async (pkg: string, make: (p: string) => Promise<Candidate>) => {
    let resolved: string | undefined;
    try {
      resolved = require.resolve(pkg);
    } catch {
      missing.push(pkg);
      return;
    }
    found.push(await make(resolved));
  };
  await load('@jsquash/jpeg', async (entry) => {
    const dec = await import(path.join(path.dirname(entry), 'decode.js'));
    // its Emscripten loader fetches the .wasm by URL; handing it the compiled module keeps it in node_modules
    await dec.init(await WebAssembly.compile(readFileSync(path.join(path.dirname(entry), 'codec/dec/mozjpeg_dec.wasm'))));
    return { name: '@jsquash/jpeg (mozjpeg, wasm)', packages: ['@jsquash/jpeg'], decode: async (b) => { const r = await dec.default(b); return rgba(r.width, r.height, r.data); } };
  });
  await load('@cwasm/jpeg-turbo', async (entry) => {
    const cw = require(entry) as { decode(b: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } };
    return { name: '@cwasm/jpeg-turbo (wasm)', packages: ['@cwasm/jpeg-turbo', '@canvas/image-data'], decode: (b) => { const r = cw.decode(b); return rgba(r.width, r.height, r.data); } };
  });
  await load('sharp', async (entry) => {
    type Sharp = (b: Uint8Array) => { removeAlpha(): Sharp2 };
    type Sharp2 = { toColourspace(c: string): Sharp2; raw(): { toBuffer(o: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number } }> } };
    const sharp = require(entry) as Sharp;
    return {
      name: 'sharp (libvips, native)',
      packages: ['sharp', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64', '@img/colour', 'detect-libc', 'semver'],
      decode: async (b) => { const { data, info } = await sharp(b).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }); return { width: info.width, height: info.height, data }; },
    };
  });
  return { found, missing };
}

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const p = path.join(dir, e.name);
    return sum + (e.isDirectory() ? dirBytes(p) : e.isFile() ? statSync(p).size : 0);
  }, 0);
}

/** Pillow's RGB for each file (libjpeg-turbo, default settings), or why there is none. */
function pillowDecode(files: string[]): Uint8Array[] | string {
  const probe = spawnSync(PYTHON, ['-c', 'import PIL'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} -c "import PIL" failed (Debian's python3-pil)`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'decode-ref-'));
  try {
    const script = 'import sys\nfrom PIL import Image\nfor i, f in enumerate(sys.argv[2:]):\n  open(f"{sys.argv[1]}/{i}.rgb", "wb").write(Image.open(f).convert("RGB").tobytes())';
    const r = spawnSync(PYTHON, ['-c', script, tmp, ...files], { encoding: 'utf8' });
    if (r.status !== 0) return `Pillow failed (${r.stderr.trim().split('\n').pop()})`;
    return files.map((_, i) => new Uint8Array(readFileSync(path.join(tmp, `${i}.rgb`))));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Chromium's RGB for each file, decoded as the lab decodes (src/io/browser-io.ts: createImageBitmap, no colour conversion), or why there is none. */
async function chromiumDecode(files: string[]): Promise<Uint8Array[] | string> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return `${executablePath} not found (set CHROMIUM)`;
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const out: Uint8Array[] = [];
    for (const f of files) {
      const rgb = await page.evaluate(async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
        const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d')!;
        ctx.drawImage(bitmap, 0, 0);
        const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
        let bin = '';
        for (let i = 0; i < rgba.length; i += 4) bin += String.fromCharCode(rgba[i], rgba[i + 1], rgba[i + 2]);
        return btoa(bin);
      }, readFileSync(f).toString('base64'));
      out.push(new Uint8Array(Buffer.from(rgb, 'base64')));
    }
    return out;
  } finally {
    await browser.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Diff {
  max: number;
  sum: number;
  n: number;
  identical: number;
}

function addDiff(d: Diff, a: RgbPixels, b: Uint8Array): void {
  if (a.data.length !== b.length) throw new Error(`decoded ${a.data.length} bytes, the other decode ${b.length}`);
  let max = 0;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a.data[i] - b[i]);
    if (e > max) max = e;
    d.sum += e;
  }
  d.max = Math.max(d.max, max);
  d.n += b.length;
  if (max === 0) d.identical++;
}

async function benchSet(label: string, files: string[], candidates: Candidate[], rounds: number) {
  const bytes = files.map((f) => new Uint8Array(readFileSync(f)));
  const references = { chromium: await chromiumDecode(files), pillow: pillowDecode(files) };
  const refs = Object.entries(references).flatMap(([name, r]) => (typeof r === 'string' ? [] : [{ name, pixels: r }]));
  const ms = candidates.map(() => [] as number[]);
  const newDiff = (): Diff => ({ max: 0, sum: 0, n: 0, identical: 0 });
  const vsJpegJs = candidates.map(newDiff);
  const vsRef = refs.map(() => candidates.map(newDiff));
  for (const c of candidates) await c.decode(bytes[0]); // warm-up (wasm tiers, native threads)
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < bytes.length; i++) {
      const outs: RgbPixels[] = [];
      // rotate the order image by image, so that none always runs first
      for (let k = 0; k < candidates.length; k++) {
        const j = (k + i + r) % candidates.length;
        const t0 = performance.now();
        outs[j] = await candidates[j].decode(bytes[i]);
        ms[j].push(performance.now() - t0);
      }
      if (r > 0) continue;
      candidates.forEach((_, j) => {
        addDiff(vsJpegJs[j], outs[j], outs[0].data);
        refs.forEach((ref, k) => addDiff(vsRef[k][j], outs[j], ref.pixels[i]));
      });
    }
  }
  const base = median(ms[0]);
  const summary = (d: Diff) => ({ max: d.max, mean: d.sum / d.n, identical_images: d.identical });
  const rows = candidates.map((c, j) => ({
    decoder: c.name,
    median_ms: median(ms[j]),
    speed_vs_jpeg_js: base / median(ms[j]),
    vs_jpeg_js: summary(vsJpegJs[j]),
    ...Object.fromEntries(refs.map((ref, k) => [`vs_${ref.name}`, summary(vsRef[k][j])])),
  }));
  const missing = Object.entries(references).flatMap(([name, r]) => (typeof r === 'string' ? [`no ${name} reference: ${r}`] : []));
  console.log(`\n${label}: ${files.length} JPEGs x ${rounds} rounds${missing.length ? ` (${missing.join('; ')})` : ''}`);
  const cols = ['jpeg-js', ...refs.map((r) => r.name)];
  console.log(`| decoder | median ms | x jpeg-js | ${cols.map((c) => `vs ${c}: max / mean / identical images`).join(' | ')} |\n|---|---|---|${cols.map(() => '---|').join('')}`);
  const cell = (d: Diff) => `${d.max} / ${(d.sum / d.n).toFixed(3)} / ${d.identical}`;
  candidates.forEach((c, j) => console.log(`| ${c.name} | ${rows[j].median_ms.toFixed(2)} | ${rows[j].speed_vs_jpeg_js.toFixed(2)} | ${[vsJpegJs[j], ...vsRef.map((v) => v[j])].map(cell).join(' | ')} |`));
  return { images: files.length, rounds, references: Object.fromEntries(Object.entries(references).map(([k, r]) => [k, typeof r === 'string' ? r : 'measured'])), decoders: rows };
}

export async function benchDecode(args: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args,
    options: {
      images: { type: 'string', default: '300' },
      rounds: { type: 'string', default: '3' },
      peers: { type: 'string', default: path.join(REPO, 'node_modules') },
      out: { type: 'string', default: path.join(REPO, 'bench/results/decode.json') },
    },
  });
  const rounds = Math.max(1, Number(values.rounds));
  const turbo = loadLibjpegTurbo();
  const candidates: Candidate[] = [
    { name: 'jpeg-js 0.4.4 (before; RGBA out)', packages: ['jpeg-js'], decode: (b) => decodeJpegJs(b, DEFAULT_MAX_PIXELS) },
    { name: 'jpeg-js, formatAsRGBA: false', packages: ['jpeg-js'], decode: (b) => { const r = jpeg.decode(b, { useTArray: true, formatAsRGBA: false }); return { width: r.width, height: r.height, data: r.data }; } },
    { name: `libjpeg-turbo wasm (${LIBJPEG_TURBO_PACKAGE}, chosen)`, packages: [LIBJPEG_TURBO_PACKAGE], decode: turbo },
  ];
  const peers = await peerCandidates(path.resolve(values.peers!));
  candidates.push(...peers.found);
  if (peers.missing.length) console.log(`not compared (not installed in ${values.peers}): ${peers.missing.join(', ')}`);
  console.log(`${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? ''}); load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const lfwDir = path.join(DATASETS, 'lfw-dev/images');
  const sets: Record<string, unknown> = {};
  if (existsSync(lfwDir)) {
    const all = lfwImages(lfwDir);
    const n = Math.min(Number(values.images), all.length);
    sets.lfw_dev = await benchSet('lfw-dev (250x250)', Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]), candidates, rounds);
  } else console.log(`lfw-dev skipped: ${lfwDir} not found (../shared/datasets)`);
  const photos = [1, 2, 3, 4, 5, 6].map((i) => path.join(DEMO, `sample${i}.jpg`));
  sets.photos = await benchSet('face-api demo photos (up to 1920x1280)', photos, candidates, rounds);

  const roots = [path.join(REPO, 'node_modules'), path.resolve(values.peers!)];
  const install = Object.fromEntries(candidates.map((c) => {
    const bytes = c.packages.reduce((sum, p) => {
      const dir = roots.map((r) => path.join(r, p)).find((d) => existsSync(d));
      return sum + (dir ? dirBytes(dir) : 0);
    }, 0);
    return [c.name, { packages: c.packages, bytes }];
  }));
  console.log(`\ninstalled size: ${Object.entries(install).map(([k, v]) => `${k} ${(v.bytes / 1e6).toFixed(2)} MB`).join('; ')}`);

  const result = { date: new Date().toISOString(), cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, load_average_end: os.loadavg(), sets, install };
  mkdirSync(path.dirname(values.out!), { recursive: true });
  writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`written ${path.relative(process.cwd(), values.out!)}`);
  return result;
}
