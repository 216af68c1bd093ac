import path from 'node:path';
import { isImageValue } from '../../graph/values.js';
import { encodePngNode } from '../../io/nodejs-io.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { listInputs } from '../inputs.js';
import { checkOutputPaths, writeOutputFile } from '../outputs.js';
import { loadPresetRun, PIPELINE_HELP, PIPELINE_OPTIONS } from '../pipeline-args.js';
import { progressBar } from '../progress.js';
import { nodejsRun } from '../../runtime/nodejs-host.js';
import { runPipeline, throwIfRunFailed } from '../../runtime/run.js';

export const runHelp = `faceflow run <preset.json> --input <image|dir> --out <dir> [options]

Runs a preset on an image or on every JPEG/PNG in a directory. Every Image output of a
sink node is written as <out>/<nodeId>.png (<out>/<image-stem>/<nodeId>.png for a directory).

  --input <path>          image file or directory (required)
  --out <dir>             where PNGs are written (required)
  --json <file>           write a machine-readable summary
${PIPELINE_HELP}`;

export async function runCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    input: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
    ...PIPELINE_OPTIONS,
  }, runHelp);
  const presetFile = positionals[0];
  if (!presetFile) throw new UsageError('run: missing <preset.json>');
  if (!values.input) throw new UsageError('run: missing --input <image|dir>');
  if (!values.out) throw new UsageError('run: missing --out <dir>');
  checkOutputPaths([{ flag: '--out', path: values.out, kind: 'dir' }, { flag: '--json', path: values.json, kind: 'file' }]);
  const { pipeline, plan, run: opts } = await loadPresetRun(presetFile, values);
  const inputs = await listInputs(values.input);
  const run = throwIfRunFailed(await runPipeline(pipeline, inputs.items, nodejsRun({ ...opts, onItems: progressBar('run') })));

  const written: string[] = [];
  const failed: { file: string; error: string }[] = [];
  const imagePorts = (nodeId: string) => {
    const step = plan.steps.find((s) => s.nodeId === nodeId)!;
    return Object.entries(step.def.outputs).filter(([, spec]) => spec.type === 'Image').map(([port]) => port);
  };
  const writeImages = async (dir: string, outputs: Record<string, Record<string, unknown>>, nodeIds: string[]) => {
    for (const nodeId of nodeIds) {
      for (const port of imagePorts(nodeId)) {
        const value = outputs[nodeId]?.[port];
        if (!isImageValue(value)) continue;
        const suffix = imagePorts(nodeId).length > 1 ? `.${port}` : '';
        const file = path.join(dir, `${nodeId}${suffix}.png`);
        await writeOutputFile(file, encodePngNode(value));
        written.push(file);
      }
    }
  };
  const itemSinks = plan.steps.filter((s) => s.sink && s.phase === 'items').map((s) => s.nodeId);
  for (const r of run.items) {
    const item = inputs.items[r.index];
    if (r.error) {
      failed.push({ file: item.name, error: r.error.message });
      process.stderr.write(`faceflow: ${r.error.message}\n`);
      continue;
    }
    const dir = inputs.dir ? path.join(values.out, item.name.replace(/\.[^.\/]+$/, '')) : values.out;
    await writeImages(dir, r.outputs, itemSinks);
  }
  await writeImages(values.out, run.final, plan.steps.filter((s) => s.sink && s.phase === 'final').map((s) => s.nodeId));

  if (values.json) {
    const summary = {
      preset: presetFile,
      backend: run.backend.name,
      backendReason: run.backend.reason,
      workers: run.workers,
      images: inputs.items.length,
      failed,
      seconds: run.seconds,
      nodes: Object.fromEntries(plan.steps.map((s) => [s.nodeId, { type: s.def.type, ...run.timings[s.nodeId], msPerRun: run.timings[s.nodeId]?.runs ? run.timings[s.nodeId].ms / run.timings[s.nodeId].runs : 0 }])),
      reports: Object.fromEntries(run.items.map((r) => [inputs.items[r.index].name, r.reports])),
      outputs: written,
    };
    await writeOutputFile(values.json, JSON.stringify(summary, null, 2));
  }
  process.stderr.write(`faceflow: ${inputs.items.length - failed.length}/${inputs.items.length} image(s) on ${run.backend.name}, ${written.length} PNG(s) in ${values.out}\n`);
  return failed.length === inputs.items.length ? 2 : 0;
}
