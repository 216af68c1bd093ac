import { edgeId, type Pipeline, type PipelineEdge, type PipelineNode } from '../../graph/schema.js';

/** How a node is named to people: its label, else its type's title, and its id when they differ. */
export function nodeName(n: PipelineNode, title: (type: string) => string | undefined): string {
  return n.label ?? title(n.type) ?? n.type;
}

/** "MTCNN detector detections to Annotate detections detections": an edge in the words a screen reader reads. */
export function edgeName(d: Pipeline, e: PipelineEdge, title: (type: string) => string | undefined): string {
  const name = (id: string) => {
    const n = d.nodes.find((x) => x.id === id);
    return n ? nodeName(n, title) : id;
  };
  return `${name(e.from.node)} ${e.from.port} to ${name(e.to.node)} ${e.to.port}`;
}

const list = (xs: string[]) => (xs.length <= 2 ? xs.join(' and ') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/**
 * What changed between two documents, in a sentence for the live region ("connected MTCNN detector
 * detections to Annotate detections detections"), or undefined when nothing worth saying changed
 * (a move: React Flow announces keyboard moves itself).
 */
export function describeChange(prev: Pipeline, next: Pipeline, title: (type: string) => string | undefined): string | undefined {
  if (prev === next) return undefined;
  const parts: string[] = [];
  const prevNodes = new Map(prev.nodes.map((n) => [n.id, n]));
  const nextNodes = new Map(next.nodes.map((n) => [n.id, n]));
  const added = next.nodes.filter((n) => !prevNodes.has(n.id));
  const removed = prev.nodes.filter((n) => !nextNodes.has(n.id));
  if (prev.name !== next.name && added.length + removed.length > 2) return `loaded ${next.name}, ${next.nodes.length} nodes`;
  if (added.length) parts.push(`added ${list(added.map((n) => nodeName(n, title)))}`);
  if (removed.length) parts.push(`deleted ${list(removed.map((n) => nodeName(n, title)))}`);
  const prevEdges = new Set(prev.edges.map(edgeId));
  const nextEdges = new Set(next.edges.map(edgeId));
  const connected = next.edges.filter((e) => !prevEdges.has(edgeId(e)));
  // Edges that went with a deleted node are not worth a word of their own.
  const gone = new Set(removed.map((n) => n.id));
  const disconnected = prev.edges.filter((e) => !nextEdges.has(edgeId(e)) && !gone.has(e.from.node) && !gone.has(e.to.node));
  if (connected.length) parts.push(`connected ${list(connected.map((e) => edgeName(next, e, title)))}`);
  if (disconnected.length) parts.push(`disconnected ${list(disconnected.map((e) => edgeName(prev, e, title)))}`);
  for (const n of next.nodes) {
    const p = prevNodes.get(n.id);
    if (!p || p === n) continue;
    for (const key of new Set([...Object.keys(p.params ?? {}), ...Object.keys(n.params ?? {})])) {
      const a = (p.params ?? {})[key];
      const b = (n.params ?? {})[key];
      if (JSON.stringify(a) !== JSON.stringify(b)) parts.push(`set ${nodeName(n, title)} ${key} to ${b === undefined ? 'its default' : JSON.stringify(b)}`);
    }
    if (p.label !== n.label) parts.push(`renamed ${nodeName(p, title)} to ${nodeName(n, title)}`);
  }
  if (prev.name !== next.name) parts.push(`renamed the pipeline to ${next.name}`);
  return parts.length ? parts.join('; ') : undefined;
}
