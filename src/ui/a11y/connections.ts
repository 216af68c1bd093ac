import type { NodeRegistry } from '../../graph/registry.js';
import { checkConnection } from '../../graph/validate.js';
import type { Pipeline, PortRef } from '../../graph/schema.js';
import { nodeName } from './describe.js';

export interface ConnectionChoice {
  from: PortRef;
  to: PortRef;
  /** "MTCNN detector detections to Annotate detections detections (Detections)". */
  label: string;
  /** True when the input already has a source that this connection replaces. */
  replaces: boolean;
}

/**
 * Every connection the node can take part in that the graph would accept: from the other nodes'
 * outputs to its inputs, then from its outputs to the other nodes' fitting inputs.
 * Edges already there are left out; inputs already fed come after free ones.
 */
export function connectionChoices(d: Pipeline, registry: NodeRegistry, nodeId: string): ConnectionChoice[] {
  const self = d.nodes.find((n) => n.id === nodeId);
  const def = self && registry.get(self.type);
  if (!self || !def) return [];
  const title = (t: string) => registry.get(t)?.title;
  const exists = (from: PortRef, to: PortRef) => d.edges.some((e) => e.from.node === from.node && e.from.port === from.port && e.to.node === to.node && e.to.port === to.port);
  const fed = (to: PortRef) => d.edges.some((e) => e.to.node === to.node && e.to.port === to.port);
  const out: ConnectionChoice[] = [];
  const consider = (from: PortRef, to: PortRef) => {
    if (exists(from, to) || checkConnection(d, registry, from, to)) return;
    const a = d.nodes.find((n) => n.id === from.node)!;
    const b = d.nodes.find((n) => n.id === to.node)!;
    const type = registry.get(a.type)?.outputs[from.port]?.type;
    out.push({ from, to, label: `${nodeName(a, title)} ${from.port} to ${nodeName(b, title)} ${to.port}${type ? ` (${type})` : ''}`, replaces: fed(to) });
  };
  // Its inputs first (a node just added is usually fed next), then its outputs.
  for (const port of Object.keys(def.inputs)) {
    for (const other of d.nodes) {
      if (other.id === nodeId) continue;
      for (const outPort of Object.keys(registry.get(other.type)?.outputs ?? {})) consider({ node: other.id, port: outPort }, { node: nodeId, port });
    }
  }
  for (const port of Object.keys(def.outputs)) {
    for (const other of d.nodes) {
      if (other.id === nodeId) continue;
      for (const inPort of Object.keys(registry.get(other.type)?.inputs ?? {})) consider({ node: nodeId, port }, { node: other.id, port: inPort });
    }
  }
  return out.sort((x, y) => Number(x.replaces) - Number(y.replaces));
}
