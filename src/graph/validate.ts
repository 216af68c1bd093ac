import { canConnect } from './ports.js';
import type { NodeRegistry } from './registry.js';
import type { Pipeline } from './schema.js';
import { formatZodIssue, ownValue } from './errors.js';
import { migrateNodeParams } from './param-migrations.js';

export interface GraphIssue {
  /** The node the problem belongs to, when there is one. */
  nodeId?: string;
  /** The param or port involved, when there is one. */
  field?: string;
  message: string;
}

/** Every problem that stops the graph from running, each naming the node and field. Empty when the graph is valid. */
export function validatePipeline(p: Pipeline, registry: NodeRegistry): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  if (nodes.size !== p.nodes.length) {
    const seen = new Set<string>();
    for (const n of p.nodes) {
      if (seen.has(n.id)) issues.push({ nodeId: n.id, message: `duplicate node id "${n.id}"` });
      seen.add(n.id);
    }
  }

  for (const n of p.nodes) {
    const def = registry.get(n.type);
    if (!def) {
      issues.push({ nodeId: n.id, field: 'type', message: `node "${n.id}": unknown node type "${n.type}"` });
      continue;
    }
    // params saved at an earlier version of the node type are checked as they migrate
    const migrated = migrateNodeParams(n, def);
    if (migrated.error !== undefined) {
      issues.push({ nodeId: n.id, field: 'paramsVersion', message: migrated.error });
      continue;
    }
    const parsed = def.params.strict().safeParse(migrated.params);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
        issues.push({ nodeId: n.id, field, message: `node "${n.id}" (${n.type}): ${formatZodIssue(issue, 'params')}` });
      }
    }
  }

  const fedInputs = new Set<string>();
  for (const e of p.edges) {
    const from = nodes.get(e.from.node);
    const to = nodes.get(e.to.node);
    const label = `edge ${e.from.node}.${e.from.port} -> ${e.to.node}.${e.to.port}`;
    if (!from || !to) {
      issues.push({ nodeId: (from ? e.to : e.from).node, message: `${label}: no node "${(from ? e.to : e.from).node}"` });
      continue;
    }
    const fromDef = registry.get(from.type);
    const toDef = registry.get(to.type);
    if (!fromDef || !toDef) continue; // already reported as unknown type
    // own properties only: a port named `toString` or `__proto__` must not find an inherited member
    const out = ownValue(fromDef.outputs, e.from.port);
    const inp = ownValue(toDef.inputs, e.to.port);
    if (!out) {
      issues.push({ nodeId: from.id, field: e.from.port, message: `${label}: ${from.type} has no output "${e.from.port}" (outputs: ${Object.keys(fromDef.outputs).join(', ') || 'none'})` });
      continue;
    }
    if (!inp) {
      issues.push({ nodeId: to.id, field: e.to.port, message: `${label}: ${to.type} has no input "${e.to.port}" (inputs: ${Object.keys(toDef.inputs).join(', ') || 'none'})` });
      continue;
    }
    if (!canConnect(out.type, inp.type)) {
      issues.push({ nodeId: to.id, field: e.to.port, message: `${label}: cannot connect ${out.type} to ${inp.type}` });
    }
    const key = `${e.to.node}.${e.to.port}`;
    if (fedInputs.has(key)) issues.push({ nodeId: to.id, field: e.to.port, message: `node "${to.id}": input "${e.to.port}" has more than one incoming edge` });
    fedInputs.add(key);
  }

  for (const n of p.nodes) {
    const def = registry.get(n.type);
    if (!def) continue;
    for (const [port, spec] of Object.entries(def.inputs)) {
      if (!spec.optional && !fedInputs.has(`${n.id}.${port}`)) {
        issues.push({ nodeId: n.id, field: port, message: `node "${n.id}" (${n.type}): required input "${port}" (${spec.type}) is not connected` });
      }
    }
  }

  const cycle = findCycle(p);
  if (cycle) issues.push({ nodeId: cycle[0], message: `cycle: ${cycle.join(' -> ')}` });
  return issues;
}

/** A list of node ids forming a cycle (first repeated at the end), or undefined. */
export function findCycle(p: Pipeline): string[] | undefined {
  const next = new Map<string, string[]>(p.nodes.map((n) => [n.id, []]));
  for (const e of p.edges) next.get(e.from.node)?.push(e.to.node);
  const state = new Map<string, 1 | 2>(); // 1 = on stack, 2 = done
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    stack.push(id);
    for (const m of next.get(id) ?? []) {
      if (state.get(m) === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const n of p.nodes) {
    if (!state.has(n.id)) {
      const c = visit(n.id);
      if (c) return c;
    }
  }
  return undefined;
}

/** Would adding this edge be valid? Used by the editor to refuse a connection with a reason. */
export function checkConnection(p: Pipeline, registry: NodeRegistry, from: { node: string; port: string }, to: { node: string; port: string }): string | undefined {
  const candidate: Pipeline = { ...p, edges: [...p.edges.filter((e) => !(e.to.node === to.node && e.to.port === to.port)), { from, to }] };
  if (from.node === to.node) return 'a node cannot feed itself';
  const fromNode = p.nodes.find((n) => n.id === from.node);
  const toNode = p.nodes.find((n) => n.id === to.node);
  const out = fromNode && ownValue(registry.get(fromNode.type)?.outputs, from.port);
  const inp = toNode && ownValue(registry.get(toNode.type)?.inputs, to.port);
  if (!out || !inp) return 'unknown port';
  if (!canConnect(out.type, inp.type)) return `cannot connect ${out.type} to ${inp.type}`;
  const cycle = findCycle(candidate);
  if (cycle) return `would create a cycle: ${cycle.join(' -> ')}`;
  return undefined;
}
