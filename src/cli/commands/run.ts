import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isImageValue } from '../../graph/values';
import { encodePngNode } from '../../io/node-io';
import { BACKENDS, type BackendName } from '../../runtime/backend';
import { parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import { listInputs } from '../inputs';
import { applyParamOverrides, compileOrExplain, readPreset } from '../preset';
import { progressBar } from '../progress';
import { runPipeline } from '../run-pipeline';

export const runHelp = `faceflow run <preset.json> --input <image|dir> --out <dir> [options]

Runs a preset on an image or on every JPEG/PNG in a directory. Every Image output of a
sink node is written as <out>/<nodeId>.png (<out>/<image-stem>/<nodeId>.png for a directory).

  --input <path>          image file or directory (required)
  --out <dir>             where PNGs are written (required)
  --param node.name=val   override a node's param (repeatable)
  --backend <name>        ${BACKENDS.join(' | ')} (default: the fastest available)
  --workers <n>           worker threads for a directory (default: number of cores)
  --models <dir>          read model files from this folder before node_modules
  --json <file>           write a machine-readable summary`;

export async function runCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    input: { type: 'string' },
    out: { type: 'string' },
    param: { type: 'string', multiple: true },
    backend: { type: 'string' },
    workers: { type: 'string' },
    models: { type: 'string' },
    json: { type: 'string' },
  }, runHelp);
  const presetFile = positionals[0];
  if (!presetFile) throw new UsageError('run: missing <preset.json>');
  if (!values.input) throw new UsageError('run: missing --input <image|dir>');
  if (!values.out) throw new UsageError('run: missing --out <dir>');
  const backend = parseBackend(values.backend);
  const workers = parseWorkers(values.workers);

  const pipeline = applyParamOverrides(await readPreset(presetFile), values.param ?? []);
  const plan = compileOrExplain(pipeline, presetFile);
  const inputs = await listInputs(values.input);
  const run = await runPipeline(pipeline, plan, inputs.items, { backend, workers, modelDir: values.models, onItems: progressBar('run') });

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
        await mkdir(dir, { recursive: true });
        await writeFile(file, encodePngNode(value));
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
    await mkdir(path.dirname(path.resolve(values.json)), { recursive: true });
    await writeFile(values.json, JSON.stringify(summary, null, 2));
  }
  process.stderr.write(`faceflow: ${inputs.items.length - failed.length}/${inputs.items.length} image(s) on ${run.backend.name}, ${written.length} PNG(s) in ${values.out}\n`);
  return failed.length === inputs.items.length ? 2 : 0;
}

export function parseBackend(value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!(BACKENDS as readonly string[]).includes(value)) throw new UsageError(`--backend ${value}: expected one of ${BACKENDS.join(', ')}`);
  return value as BackendName;
}

export function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--workers ${value}: expected a whole number from 1 to 64`);
  return n;
}
