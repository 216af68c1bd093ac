import type { AnyNodeDefinition } from './node-definition.js';
import type { NodeRegistry } from './registry.js';
import type { Pipeline, PortRef } from './schema.js';
import { validatePipeline, type GraphIssue } from './validate.js';
import { UserError } from './errors.js';
import { migratedParams } from './param-migrations.js';

export interface PlanStep {
  nodeId: string;
  def: AnyNodeDefinition;
  /** Params after defaults were applied. */
  params: Record<string, unknown>;
  /** For each connected input port, where its value comes from. */
  inputs: Record<string, PortRef>;
  /**
   * 'item' steps that depend on no aggregate can run anywhere (in worker threads, one
   * item at a time); every other step runs after all items, where the aggregates are.
   */
  phase: 'items' | 'final';
  /** Nodes no other node reads from. */
  sink: boolean;
}

export interface Plan {
  steps: PlanStep[];
}

export class GraphError extends UserError {
  constructor(readonly issues: GraphIssue[]) {
    super(issues.map((i) => i.message).join('; '));
    this.name = 'GraphError';
  }
}

/** Validate and order the graph (topological, stable in document order). Throws GraphError on an invalid graph. */
export function compilePipeline(p: Pipeline, registry: NodeRegistry): Plan {
  const issues = validatePipeline(p, registry);
  if (issues.length) throw new GraphError(issues);

  const indegree = new Map(p.nodes.map((n) => [n.id, 0]));
  for (const e of p.edges) indegree.set(e.to.node, (indegree.get(e.to.node) ?? 0) + 1);
  const order: string[] = [];
  const ready = p.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const e of p.edges) {
      if (e.from.node !== id) continue;
      const d = indegree.get(e.to.node)! - 1;
      indegree.set(e.to.node, d);
      if (d === 0) ready.push(e.to.node);
    }
  }

  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const phase = new Map<string, PlanStep['phase']>();
  const steps = order.map((id): PlanStep => {
    const node = byId.get(id)!;
    const def = registry.get(node.type)!;
    const inputs: Record<string, PortRef> = {};
    // defineProperty: a port name is data, never a setter such as __proto__ (validation refuses those anyway)
    for (const e of p.edges) if (e.to.node === id) Object.defineProperty(inputs, e.to.port, { value: e.from, enumerable: true, writable: true, configurable: true });
    const upstreamFinal = Object.values(inputs).some((ref) => phase.get(ref.node) === 'final');
    const stepPhase = def.mode === 'aggregate' || upstreamFinal ? 'final' : 'items';
    phase.set(id, stepPhase);
    return {
      nodeId: id,
      def,
      params: def.params.parse(migratedParams(node, def)) as Record<string, unknown>,
      inputs,
      phase: stepPhase,
      sink: !p.edges.some((e) => e.from.node === id),
    };
  });
  return { steps };
}
