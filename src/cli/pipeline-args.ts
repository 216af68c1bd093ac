import { BACKENDS, type BackendName } from '../runtime/backend';
import { UsageError } from './errors';
import { applyParamOverrides, compileOrExplain, readPreset } from './preset';

/** The options of every command that runs a preset over images (for parseCommandArgs). */
export const PIPELINE_OPTIONS = {
  workers: { type: 'string' },
  backend: { type: 'string' },
  param: { type: 'string', multiple: true },
  models: { type: 'string' },
} as const;

/** Their help lines. */
export const PIPELINE_HELP = `  --workers <n>           worker threads (default: number of cores)
  --backend <name>        ${BACKENDS.join(' | ')} (default: the fastest available)
  --param node.name=val   override a node's param (repeatable)
  --models <dir>          read model files from this folder before node_modules`;

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

/** --workers, --backend and --models, checked. */
export function runOptions(values: { workers?: string; backend?: string; models?: string }) {
  return { backend: parseBackend(values.backend), workers: parseWorkers(values.workers), modelDir: values.models };
}

/** The preset with its --param overrides, compiled (errors name the file), and the run options. */
export async function loadPresetRun(presetFile: string, values: { workers?: string; backend?: string; models?: string; param?: string[] }) {
  const run = runOptions(values);
  const pipeline = applyParamOverrides(await readPreset(presetFile), values.param ?? []);
  return { pipeline, plan: compileOrExplain(pipeline, presetFile), run };
}
