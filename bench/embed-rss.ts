import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { peakRssOf, rssOf } from './peak-rss.js';

/**
 * `npm run bench -- embed-rss`: memory of `faceflow embed` over a whole image set (default lfw-dev,
 * 3,811 images) in a child process: its resident set after the first 200 images and its peak over
 * the whole walk (VmHWM sampled from /proc), the ratio of the two (issue 13 asks within 1.5x);
 * then the peak of `faceflow merge` on the output and, with --pairs, the accuracy that
 * `faceflow eval --embeddings` computes from the stored rows.
 *
 *   --preset <file>      default presets/baseline-mtcnn-facenet.json
 *   --input <dir>        default ../shared/datasets/lfw-dev/images
 *   --pairs <file>       also score these pairs from the stored rows
 *   --workers <n>        default 1;  --part-size <n> default 100 (so a part ends at 200 images)
 *   --param, --allow-path   passed on to embed (repeatable)
 */
export async function benchEmbedRss(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      preset: { type: 'string', default: 'presets/baseline-mtcnn-facenet.json' },
      input: { type: 'string', default: path.resolve('../shared/datasets/lfw-dev/images') },
      pairs: { type: 'string' },
      workers: { type: 'string', default: '1' },
      'part-size': { type: 'string', default: '100' },
      param: { type: 'string', multiple: true, default: [] },
      'allow-path': { type: 'string', multiple: true, default: [] },
    },
  });
  const cli = path.resolve('bin/faceflow.mjs');
  const out = mkdtempSync(path.join(os.tmpdir(), 'faceflow-embed-rss-'));
  const extra = [...values.param.flatMap((p) => ['--param', p]), ...values['allow-path'].flatMap((p) => ['--allow-path', p])];
  let at200: { images: number; rssMB: number; peakMB: number } | undefined;
  const parts: { images: number; rssMB: number }[] = [];
  const embed = await peakRssOf(process.execPath, [cli, 'embed', values.preset, '--input', values.input, '--out', out, '--workers', values.workers, '--part-size', values['part-size'], '--backend', 'wasm', ...extra], (line, pid) => {
    const m = /part \d+\/\d+ committed .*?, (\d+) images,/.exec(line);
    if (!m) return;
    const images = Number(m[1]);
    const { rssKB, peakKB } = rssOf(pid);
    parts.push({ images, rssMB: rssKB / 1024 });
    if (!at200 && images >= 200) at200 = { images, rssMB: rssKB / 1024, peakMB: peakKB / 1024 };
    process.stderr.write(`  ${images} images: RSS ${(rssKB / 1024).toFixed(0)} MB, peak so far ${(peakKB / 1024).toFixed(0)} MB\n`);
  });
  if (embed.code !== 0) throw new Error(`faceflow embed exited ${embed.code}:\n${embed.stderr}`);
  const images = parts.at(-1)?.images ?? 0;
  const merged = path.join(out, 'embeddings.arrow');
  const merge = await peakRssOf(process.execPath, [cli, 'merge', out]);
  if (merge.code !== 0) throw new Error(`faceflow merge exited ${merge.code}:\n${merge.stderr}`);
  let evalResult: Record<string, unknown> | undefined;
  if (values.pairs) {
    const json = path.join(out, 'eval.json');
    const ev = await peakRssOf(process.execPath, [cli, 'eval', values.preset, '--pairs', values.pairs, '--embeddings', merged, '--json', json, ...extra]);
    if (ev.code !== 0) throw new Error(`faceflow eval exited ${ev.code}:\n${ev.stderr}`);
    evalResult = { line: ev.stderr.trim().split('\n').at(-1) };
  }
  const peakMB = embed.peakKB / 1024;
  const result = {
    preset: values.preset, input: values.input, images, workers: Number(values.workers), partSize: Number(values['part-size']),
    embed: { seconds: embed.seconds, imagesPerSecond: images / embed.seconds, peakMB, after200: at200, ratioPeakToRssAt200: at200 ? peakMB / at200.rssMB : undefined, parts },
    merge: { seconds: merge.seconds, peakMB: merge.peakKB / 1024 },
    eval: evalResult,
    node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(),
  };
  console.log('| images | RSS after 200 | peak after 200 | peak, whole walk | peak / RSS after 200 | images/s | merge peak |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(`| ${images} | ${at200?.rssMB.toFixed(0)} MB | ${at200?.peakMB.toFixed(0)} MB | ${peakMB.toFixed(0)} MB | ${result.embed.ratioPeakToRssAt200?.toFixed(2)}x | ${result.embed.imagesPerSecond.toFixed(2)} | ${result.merge.peakMB.toFixed(0)} MB |`);
  if (evalResult) console.log(evalResult.line);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/embed-rss.json', `${JSON.stringify(result, null, 2)}\n`);
  rmSync(out, { recursive: true, force: true });
  return result;
}
