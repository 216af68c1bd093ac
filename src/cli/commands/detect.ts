import path from 'node:path';
import { PIPELINE_SCHEMA_ID, PIPELINE_VERSION, type Pipeline } from '../../graph/schema.js';
import type { DetectionsValue, ImageValue } from '../../graph/values.js';
import { encodePngNode } from '../../io/nodejs-io.js';
import { BACKENDS } from '../../runtime/backend.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { listInputs } from '../inputs.js';
import { checkOutputPaths, writeOutputFile } from '../outputs.js';
import { progressBar } from '../progress.js';
import { nodejsRun } from '../../runtime/nodejs-host.js';
import { runPipeline, throwIfRunFailed } from '../../runtime/run.js';
import { applyFilePolicy, applyMaxPixels, runOptions } from '../pipeline-args.js';

export const detectHelp = `faceflow detect --input <image|dir> --json <file> [options]

Runs the MTCNN detector (the real P-Net/R-Net/O-Net weights) on an image or on every JPEG/PNG
in a directory and writes boxes, scores and 5 landmarks per face as JSON.

  --input <path>          image file or directory (required)
  --json <file>           where the detections go (required)
  --annotate <dir>        also write each image with boxes and landmarks drawn, as PNG
  --min-face <px>         smallest face to find (default 20)
  --thresholds a,b,c      P-Net, R-Net, O-Net score thresholds (default 0.6,0.7,0.7)
  --backend <name>        ${BACKENDS.join(' | ')} (default: the fastest available)
  --workers <n>           worker threads (default: number of cores)
  --models <dir>          read pnet/rnet/onet.tflite from this folder before node_modules
  --max-pixels <n>        refuse images larger than this many pixels, from their header (default 40000000)`;

/** The detector as a pipeline, so detect runs through the same engine, cache and worker pool as everything else. */
function detectorPipeline(params: Record<string, unknown>, annotate: boolean): Pipeline {
  const at = (x: number) => ({ x, y: 0 });
  return {
    schema: PIPELINE_SCHEMA_ID,
    version: PIPELINE_VERSION,
    name: 'faceflow detect',
    description: '',
    nodes: [
      { id: 'input', type: 'image-input', params: {}, position: at(0) },
      { id: 'detect', type: 'mtcnn', params, position: at(280) },
      ...(annotate ? [{ id: 'annotate', type: 'annotate', params: {}, position: at(560) }] : []),
    ],
    edges: [
      { from: { node: 'input', port: 'image' }, to: { node: 'detect', port: 'image' } },
      ...(annotate
        ? [
            { from: { node: 'input', port: 'image' }, to: { node: 'annotate', port: 'image' } },
            { from: { node: 'detect', port: 'detections' }, to: { node: 'annotate', port: 'detections' } },
          ]
        : []),
    ],
  };
}

function parseThresholds(value: string | undefined): Record<string, number> {
  if (value === undefined) return {};
  const t = value.split(',').map(Number);
  if (t.length !== 3 || t.some((x) => !(x >= 0 && x <= 1))) throw new UsageError(`--thresholds ${value}: expected three numbers from 0 to 1, e.g. 0.6,0.7,0.7`);
  return { pnetThreshold: t[0], rnetThreshold: t[1], onetThreshold: t[2] };
}

export async function detectCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    input: { type: 'string' },
    json: { type: 'string' },
    annotate: { type: 'string' },
    'min-face': { type: 'string' },
    thresholds: { type: 'string' },
    backend: { type: 'string' },
    workers: { type: 'string' },
    models: { type: 'string' },
    'max-pixels': { type: 'string' },
  }, detectHelp);
  if (!values.input) throw new UsageError('detect: missing --input <image|dir>');
  if (!values.json) throw new UsageError('detect: missing --json <file>');
  const params: Record<string, unknown> = parseThresholds(values.thresholds);
  if (values['min-face'] !== undefined) {
    const px = Number(values['min-face']);
    if (!(px >= 12 && px <= 4096)) throw new UsageError(`--min-face ${values['min-face']}: expected a number of pixels from 12 to 4096`);
    params.minFaceSize = px;
  }
  checkOutputPaths([{ flag: '--json', path: values.json, kind: 'file' }, { flag: '--annotate', path: values.annotate, kind: 'dir' }]);
  applyMaxPixels(values['max-pixels']);
  await applyFilePolicy(undefined, undefined, values);
  const pipeline = detectorPipeline(params, !!values.annotate);
  const inputs = await listInputs(values.input);
  const run = throwIfRunFailed(await runPipeline(pipeline, inputs.items, nodejsRun({
    ...(await runOptions(values)),
    keep: ['detect'],
    onItems: progressBar('detect'),
  })));

  const images = [];
  for (const r of run.items) {
    const file = inputs.items[r.index].name;
    if (r.error) {
      process.stderr.write(`faceflow: ${r.error.message}\n`);
      images.push({ file, error: r.error.message });
      continue;
    }
    const det = r.outputs.detect.detections as DetectionsValue;
    images.push({
      file,
      width: det.imageWidth,
      height: det.imageHeight,
      ms: round(r.ms.detect, 2),
      faces: det.boxes.map((box, i) => ({
        box: box.map((v) => round(v, 2)),
        score: round(det.scores[i], 5),
        landmarks: det.landmarks[i].map(([x, y]) => [round(x, 2), round(y, 2)]),
      })),
    });
    if (values.annotate) {
      const out = path.join(values.annotate, `${file.replace(/\.[^./]+$/, '')}.png`);
      await writeOutputFile(out, encodePngNode(r.outputs.annotate.image as ImageValue));
    }
  }
  await writeOutputFile(values.json, JSON.stringify({ backend: run.backend.name, workers: run.workers, seconds: round(run.seconds, 3), images }, null, 1));
  const failed = images.filter((i) => 'error' in i).length;
  const faces = images.reduce((n, i) => n + ('faces' in i ? i.faces!.length : 0), 0);
  process.stderr.write(`faceflow: ${faces} face(s) in ${images.length - failed}/${images.length} image(s) on ${run.backend.name} (${run.workers} worker(s), ${run.seconds.toFixed(1)} s)\n`);
  return failed === images.length ? 2 : 0;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
