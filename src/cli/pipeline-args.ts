import path from 'node:path';
import { registry } from '../../nodes/index.js';
import type { SimilarityMetric } from '../eval/similarity.js';
import type { Pipeline } from '../graph/schema.js';
import { PRESET_READ_PARAMS } from '../graph/preset-paths.js';
import { FileAccessError } from '../io/file-policy.js';
import { checkFileAccess, presetRunPolicy, setFileAccessPolicy, type FileAccessPolicy } from '../io/file-policy-nodejs.js';
import { setMaxImagePixels } from '../io/nodejs-io.js';
import type { NodeRegistry } from '../graph/registry.js';
import { BACKENDS, type BackendName } from '../runtime/backend.js';
import { withPlugins } from '../runtime/plugins-nodejs.js';
import { UsageError } from './errors.js';
import { applyParamOverrides, compileOrExplain, readPreset } from '../runtime/preset.js';

/** The options of every command that runs a preset over images (for parseCommandArgs). */
export const PIPELINE_OPTIONS = {
  workers: { type: 'string' },
  batch: { type: 'string' },
  backend: { type: 'string' },
  param: { type: 'string', multiple: true },
  models: { type: 'string' },
  'allow-path': { type: 'string', multiple: true },
  'max-pixels': { type: 'string' },
  plugin: { type: 'string', multiple: true },
} as const;

/** The help line of --plugin (docs/library.md). */
export const PLUGIN_HELP = `  --plugin <module>       add the node types an ES module exports, e.g. ./my-node.js (repeatable;
                          worker threads load it too; docs/library.md)`;

/** Their help lines. */
export const PIPELINE_HELP = `  --workers <n>           worker threads (default: number of cores)
  --batch <n>             images each worker takes through the graph together: the detector and the
                          embedding network run once on all of them (default 16 on a GPU, 4 on wasm/cpu)
  --backend <name>        ${BACKENDS.join(' | ')} (default: the fastest available)
  --param node.name=val   override a node's param (repeatable)
  --models <dir>          read model files from this folder before node_modules
  --allow-path <dir>      let the preset read files under this folder too (repeatable; by default
                          only its own folder, the bundled presets and the paths given here)
  --max-pixels <n>        refuse images larger than this many pixels, from their header (default 40000000)
${PLUGIN_HELP}`;

export function parseBackend(value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!(BACKENDS as readonly string[]).includes(value)) throw new UsageError(`--backend ${value}: expected one of ${BACKENDS.join(', ')}`);
  return value as BackendName;
}

/** `--metric cosine|euclidean` (default cosine). */
export function parseMetric(value: string | undefined): SimilarityMetric {
  const metric = (value ?? 'cosine') as SimilarityMetric;
  if (metric !== 'cosine' && metric !== 'euclidean') throw new UsageError(`--metric ${value}: expected cosine or euclidean`);
  return metric;
}

export function parseBatch(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--batch ${value}: expected a whole number from 1 to 1024`);
  return n;
}

export function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--workers ${value}: expected a whole number from 1 to 64`);
  return n;
}

/** --max-pixels, checked and applied to this process (worker threads get it when they start). */
export function applyMaxPixels(value: string | undefined): void {
  if (value === undefined) return;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000_000) throw new UsageError(`--max-pixels ${value}: expected a whole number from 1 to 1000000000`);
  setMaxImagePixels(n);
}

/** The built-in node types plus those of the --plugin modules. */
export function pluginRegistry(values: { plugin?: string[] }): Promise<NodeRegistry> {
  return withPlugins(registry, values.plugin ?? []);
}

/** --workers, --batch, --backend and --models, checked; with the node registry (built-ins + --plugin), what runs in this process need (nodejsRun). */
export async function runOptions(values: { workers?: string; batch?: string; backend?: string; models?: string; plugin?: string[] }) {
  return { backend: parseBackend(values.backend), workers: parseWorkers(values.workers), batch: parseBatch(values.batch), modelDir: values.models, registry: await pluginRegistry(values) };
}

/** Paths the user named on the command line: a preset may read them (they are the user's choice, not the preset's). */
const NAMED_PATH_OPTIONS = ['input', 'images', 'pairs', 'gallery', 'data', 'val-images', 'pairs-val', 'init'] as const;

/**
 * Set this process's file access policy for a preset run (src/io/file-policy-nodejs.ts) and check
 * every file the preset names against it before anything runs: a file outside the allowed
 * folders, a device or FIFO, or one over its size cap fails now, in one line. Files that do not
 * exist yet are left to the node that reads them.
 */
export async function applyFilePolicy(presetFile: string | undefined, pipeline: Pipeline | undefined, values: Record<string, unknown>): Promise<FileAccessPolicy> {
  const named = NAMED_PATH_OPTIONS.map((k) => values[k]).filter((v): v is string => typeof v === 'string');
  for (const o of (values.param as string[] | undefined) ?? []) {
    const m = /^[^.=]+\.([^=]+)=(.*)$/s.exec(o);
    if (!m || !(PRESET_READ_PARAMS as readonly string[]).includes(m[1]) || !m[2]) continue;
    const value = m[2].replace(/^"(.*)"$/, '$1');
    // a weights manifest or model.json named on the command line brings its folder (its .bin files lie beside it)
    named.push(m[1] === 'weights' || m[1] === 'occlusionWeights' || m[1] === 'model' ? path.dirname(value) : value);
  }
  const policy = presetRunPolicy({ presetFile, allowPaths: values['allow-path'] as string[] | undefined, named });
  setFileAccessPolicy(policy);
  for (const node of pipeline?.nodes ?? []) {
    for (const name of PRESET_READ_PARAMS) {
      const ref = Object.hasOwn(node.params, name) ? node.params[name] : undefined;
      if (typeof ref !== 'string' || ref === '' || /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(ref)) continue;
      try {
        await checkFileAccess(ref, undefined, policy);
      } catch (e) {
        if (e instanceof FileAccessError && e.rule === 'missing') continue;
        throw new UsageError(`${presetFile}: node "${node.id}" param "${name}": ${(e as Error).message}`);
      }
    }
  }
  return policy;
}

/** The preset with its --param overrides, compiled (errors name the file), and the run options; sets the file policy and pixel cap. */
export async function loadPresetRun(presetFile: string, values: { workers?: string; batch?: string; backend?: string; models?: string; param?: string[]; 'allow-path'?: string[]; 'max-pixels'?: string; plugin?: string[] }) {
  const run = await runOptions(values);
  applyMaxPixels(values['max-pixels']);
  const pipeline = applyParamOverrides(await readPreset(presetFile), values.param ?? [], run.registry);
  const plan = compileOrExplain(pipeline, presetFile, run.registry);
  await applyFilePolicy(presetFile, pipeline, values);
  return { pipeline, plan, run };
}
