import { peakRssOf } from './peak-rss.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../src/graph/errors.js';
import { decodeImageNode } from '../src/io/nodejs-io.js';
import { initBackend } from '../src/runtime/backend.js';
import { baseImages, bombs, corruptImage, pngFile, pngWithSize } from '../test/fuzz/images.js';
import { makeSandbox, mutatePreset, runPresetCase } from '../test/fuzz/presets.js';

/**
 * `npm run bench -- fuzz [--presets 10000] [--images 1000] [--seed 1]`: the fuzz suite at scale
 * (the unit tests run 500 presets and 300 images). Presets go through the CLI's public load path
 * and the file loaders under the access policy; images through the Node decoder; then a folder of
 * decompression bombs through `faceflow detect` in a child process whose peak RSS is measured.
 */
export async function benchFuzz(args: string[]) {
  const { values } = parseArgs({ args, options: { presets: { type: 'string' }, images: { type: 'string' }, seed: { type: 'string' } } });
  const nPresets = Number(values.presets ?? 10_000);
  const nImages = Number(values.images ?? 1000);
  const seed = Number(values.seed ?? 1);
  await initBackend('cpu');

  // presets
  const sb = makeSandbox();
  const presets = { tried: 0, accepted: 0, rejected: 0, crash: 0, hang: 0, outside: 0, leak: 0, filesOpened: 0, slowestMs: 0, seconds: 0 };
  const failures: string[] = [];
  const tp = performance.now();
  for (let i = 0; i < nPresets; i++) {
    const c = mutatePreset(sb, seed, i);
    const r = await runPresetCase(sb, c.text);
    presets.tried++;
    presets.filesOpened += r.opened.length;
    presets.slowestMs = Math.max(presets.slowestMs, r.ms);
    if (r.outcome === 'accepted') presets.accepted++;
    else if (r.outcome === 'rejected') presets.rejected++;
    else if (r.outcome === 'crash') presets.crash++;
    else if (r.outcome === 'hang') presets.hang++;
    else if (r.outcome === 'outside-read') presets.outside++;
    else presets.leak++;
    if (r.outcome !== 'accepted' && r.outcome !== 'rejected' && failures.length < 20) failures.push(`preset #${i} ${r.outcome} [${c.mutations.join('; ')}]: ${r.message}`);
  }
  presets.seconds = (performance.now() - tp) / 1000;
  sb.cleanup();

  // images
  const base = baseImages(seed);
  const images = { tried: 0, decoded: 0, cleanErrors: 0, crash: 0, slow: 0, slowestMs: 0, validRefused: 0, invalidAccepted: 0, peakRssMB: 0 };
  const cases = [...base, ...bombs()];
  for (let i = 0; cases.length < nImages; i++) cases.push(corruptImage(base, seed, i));
  for (const c of cases) {
    images.tried++;
    const t0 = performance.now();
    let ok = false;
    try {
      decodeImageNode(c.bytes, c.name);
      ok = true;
      images.decoded++;
    } catch (e) {
      if (e instanceof UserError && e.message.startsWith(`${c.name}: `)) images.cleanErrors++;
      else {
        images.crash++;
        if (failures.length < 40) failures.push(`image ${c.name}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }
    const ms = performance.now() - t0;
    images.slowestMs = Math.max(images.slowestMs, ms);
    if (ms > 2000) images.slow++;
    if (c.expect === 'valid' && !ok) images.validRefused++;
    if (c.expect === 'invalid' && ok) images.invalidAccepted++;
  }
  images.peakRssMB = process.resourceUsage().maxRSS / 1024;

  // a folder of decompression bombs through the CLI
  const dir = path.join(os.tmpdir(), `faceflow-bombs-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const small = pngFile(8, 8);
  const bombFiles = [...bombs()];
  for (let k = 0; k < 20; k++) bombFiles.push({ name: `lie-${k}.png`, bytes: pngWithSize(small, 7000 + 997 * k, 7000 + 13 * k), expect: 'invalid' as const });
  for (const b of bombFiles) writeFileSync(path.join(dir, b.name.replace(/[^\w.-]/g, '_')), b.bytes);
  const cli = await peakRssOf(process.execPath, [path.resolve('bin/faceflow.mjs'), 'detect', '--input', dir, '--json', path.join(dir, 'out', 'faces.json'), '--workers', '2', '--backend', 'wasm']);
  const detectJson = JSON.parse(readFileSync(path.join(dir, 'out', 'faces.json'), 'utf8')) as { images: { error?: string }[] };
  const bombRun = { files: bombFiles.length, refused: detectJson.images.filter((i) => i.error).length, exitCode: cli.code, peakRssMB: cli.peakKB / 1024, seconds: cli.seconds };

  const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  console.log('\nPresets (mutated bundled presets through load/validate/compile, the policy and the file loaders)\n');
  console.log(row(['tried', 'rejected cleanly', 'accepted', 'crashes', 'hangs (> 2 s)', 'reads outside roots', 'tensor leaks', 'files opened', 'slowest ms', 's']));
  console.log(row(Array(10).fill('---')));
  console.log(row([presets.tried, presets.rejected, presets.accepted, presets.crash, presets.hang, presets.outside, presets.leak, presets.filesOpened, presets.slowestMs.toFixed(0), presets.seconds.toFixed(1)]));
  console.log('\nImages (valid, odd and corrupted PNG/JPEG through the Node decoder)\n');
  console.log(row(['tried', 'decoded', 'clean errors', 'crashes', 'over 2 s', 'valid refused', 'invalid accepted', 'slowest ms', 'peak RSS of the bench MB']));
  console.log(row(Array(9).fill('---')));
  console.log(row([images.tried, images.decoded, images.cleanErrors, images.crash, images.slow, images.validRefused, images.invalidAccepted, images.slowestMs.toFixed(0), images.peakRssMB.toFixed(0)]));
  console.log('\nA folder of decompression bombs through `faceflow detect --workers 2`\n');
  console.log(row(['files', 'refused', 'exit code', 'peak RSS MB', 's']));
  console.log(row(Array(5).fill('---')));
  console.log(row([bombRun.files, bombRun.refused, bombRun.exitCode ?? 'signal', bombRun.peakRssMB.toFixed(0), bombRun.seconds.toFixed(1)]));
  if (failures.length) console.log(`\nfailures:\n${failures.join('\n')}`);
  const result = { seed, presets, images, bombRun, failures, node: process.version, cpus: os.cpus().length };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/fuzz.json', `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
