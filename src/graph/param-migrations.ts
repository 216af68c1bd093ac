import type { AnyNodeDefinition } from './node-definition.js';
import type { NodeRegistry } from './registry.js';
import type { Pipeline, PipelineNode } from './schema.js';

/**
 * One step of a node type's params, from version `from` to `from + 1` (e.g. a renamed param).
 * A node type at version n carries steps from 1 to n - 1, in order, with no gaps (NodeRegistry
 * checks), so a preset, PNG or experiment saved at any earlier version still loads.
 */
export interface ParamMigration {
  from: number;
  migrate(params: Record<string, unknown>): Record<string, unknown>;
}

/** A node's params version: what its document says, 1 when it says nothing (written before versions). */
export const paramsVersionOf = (node: Pick<PipelineNode, 'paramsVersion'>): number => node.paramsVersion ?? 1;

/** The problem with a node type's migration steps, or undefined when they run 1, 2, ... up to its version. */
export function migrationStepsProblem(def: AnyNodeDefinition): string | undefined {
  const version = def.paramsVersion ?? 1;
  const steps = def.paramMigrations ?? [];
  if (!Number.isInteger(version) || version < 1) return `params version ${version}: expected a whole number >= 1`;
  if (steps.length !== version - 1 || steps.some((s, i) => s.from !== i + 1)) {
    return `params version ${version} needs migration steps from 1 to ${version - 1} in order (has ${steps.map((s) => s.from).join(', ') || 'none'})`;
  }
  return undefined;
}

/** A node's params brought to its type's current version: `{ params }`, or `{ error }` naming the node and step. */
export function migrateNodeParams(node: PipelineNode, def: AnyNodeDefinition): { params: Record<string, unknown>; error?: undefined } | { error: string } {
  const current = def.paramsVersion ?? 1;
  const from = paramsVersionOf(node);
  if (from > current) return { error: `node "${node.id}" (${node.type}): params version ${from} is newer than this FaceFlow Lab understands (${current}); update the app` };
  let params = node.params;
  for (const step of (def.paramMigrations ?? []).filter((s) => s.from >= from)) {
    try {
      params = step.migrate({ ...params });
    } catch (e) {
      return { error: `node "${node.id}" (${node.type}): migrating params version ${step.from} to ${step.from + 1}: ${(e as Error).message}` };
    }
  }
  return { params };
}

/**
 * The document with every node's params at its type's current version (stamped with it when
 * above 1); nodes of unknown types, and ones whose migration fails, are left for validation to report.
 */
export function migratePipelineParams(p: Pipeline, registry: NodeRegistry): Pipeline {
  let changed = false;
  const nodes = p.nodes.map((n) => {
    const def = registry.get(n.type);
    const current = def?.paramsVersion ?? 1;
    if (!def || paramsVersionOf(n) === current) return n;
    const m = migrateNodeParams(n, def);
    if (m.error !== undefined) return n;
    changed = true;
    return { ...n, params: m.params, paramsVersion: current };
  });
  return changed ? { ...p, nodes } : p;
}

/** The node's params at its type's current version; throws when a step fails (validation reports it first). */
export function migratedParams(node: PipelineNode, def: AnyNodeDefinition): Record<string, unknown> {
  const m = migrateNodeParams(node, def);
  if (m.error !== undefined) throw new Error(m.error);
  return m.params;
}
