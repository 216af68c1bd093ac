import { existsSync } from 'node:fs';
import path from 'node:path';
import { compilePipeline, GraphError, type Plan } from '../graph/compile.js';
import { UserError } from '../graph/errors.js';
import { loadPipelineText, type LoadResult } from '../graph/load.js';
import { resolvePresetPaths } from '../graph/preset-paths.js';
import { migratePipelineParams } from '../graph/param-migrations.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { Pipeline } from '../graph/schema.js';
import { BUNDLED_PRESETS_DIR, readFileWithPolicy } from '../io/file-policy-nodejs.js';

/**
 * Read, migrate and validate a preset file; errors name the file. Relative weights paths in
 * it (src/graph/preset-paths.ts) are resolved against the preset's folder, or when no such file
 * is there, against the bundled presets/ folder (the lab exports bundled weights as
 * `weights/...`, so an exported preset runs wherever it is saved); `--param` values applied
 * afterwards stay relative to the working directory.
 */
export async function readPreset(file: string): Promise<Pipeline> {
  // the preset is named by the user: only the file-type and size rules apply to it
  const text = new TextDecoder().decode(await readFileWithPolicy(file, 'preset', { roots: undefined }));
  return resolvedPreset(loadPipelineText(text), file, path.dirname(path.resolve(file)));
}

/** A loaded preset (errors named by `label`) with its relative weights paths resolved against `dir`, as readPreset does. */
export function resolvedPreset(loaded: LoadResult, label: string, dir: string): Pipeline {
  if (!loaded.ok) throw new UserError(`${label}: ${loaded.error}`);
  return resolvePresetPaths(loaded.pipeline, (ref) => {
    const local = path.resolve(dir, ref);
    const bundled = path.resolve(BUNDLED_PRESETS_DIR, ref);
    return existsSync(local) || !existsSync(bundled) ? local : bundled;
  });
}

/** Apply `--param nodeId.name=value` overrides (value read as JSON when it parses, else as a string) to the params migrated to their current version. */
export function applyParamOverrides(p: Pipeline, overrides: string[], registry: NodeRegistry): Pipeline {
  // overrides name the params of the node types as they are now: migrate older params first
  const nodes = migratePipelineParams(p, registry).nodes.map((n) => ({ ...n, params: { ...n.params } }));
  for (const o of overrides) {
    const m = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(o);
    if (!m) throw new UserError(`--param ${o}: expected nodeId.name=value`);
    const [, nodeId, name, raw] = m;
    const node = nodes.find((n) => n.id === nodeId);
    // own properties only: a name such as `toString` is not a param
    if (!node) throw new UserError(`--param ${o}: no node "${nodeId}" in the preset (nodes: ${nodes.map((n) => n.id).join(', ')})`);
    const def = registry.get(node.type);
    const known = def ? Object.keys(def.params.shape) : [];
    if (!known.includes(name)) throw new UserError(`--param ${o}: unknown param "${name}" for ${node.type} (params: ${known.join(', ') || 'none'})`);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a bare string such as a path */
    }
    node.params[name] = value;
  }
  return { ...p, nodes };
}

export function compileOrExplain(p: Pipeline, file: string, registry: NodeRegistry): Plan {
  try {
    return compilePipeline(p, registry);
  } catch (e) {
    if (e instanceof GraphError) throw new UserError(`${file}: ${e.issues[0].message}${e.issues.length > 1 ? ` (and ${e.issues.length - 1} more)` : ''}`);
    throw e;
  }
}
