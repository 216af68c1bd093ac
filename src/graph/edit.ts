import type { NodeRegistry } from './registry.js';
import { edgeId, type Pipeline, type PipelineEdge, type PipelineNode, type PortRef } from './schema.js';

/**
 * The graph-editing toolkit: pure edits of the pipeline document, for the editor (its store records
 * each in the history), training, evaluation and the lab's derived pipelines. Each returns a new document.
 */

export function freshId(doc: Pipeline, type: string): string {
  const stem = /^[A-Za-z_]/.test(type) ? type.replace(/[^A-Za-z0-9_-]/g, '_') : `n_${type.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const taken = new Set(doc.nodes.map((n) => n.id));
  if (!taken.has(stem)) return stem;
  let i = 2;
  while (taken.has(`${stem}${i}`)) i++;
  return `${stem}${i}`;
}

export function addNode(doc: Pipeline, registry: NodeRegistry, type: string, position: { x: number; y: number }): { doc: Pipeline; id: string } {
  const id = freshId(doc, type);
  // stamped with its type's params version, so later migrations know where it started
  const version = registry.get(type)?.paramsVersion ?? 1;
  const node: PipelineNode = { id, type, params: registry.defaultParams(type), position: roundPos(position), ...(version > 1 ? { paramsVersion: version } : {}) };
  return { doc: { ...doc, nodes: [...doc.nodes, node] }, id };
}

/** Connect an output to an input, replacing whatever fed that input before. */
export function connect(doc: Pipeline, from: PortRef, to: PortRef): Pipeline {
  const edges = doc.edges.filter((e) => !(e.to.node === to.node && e.to.port === to.port));
  return { ...doc, edges: [...edges, { from, to }] };
}

export function removeElements(doc: Pipeline, nodeIds: Iterable<string>, edgeIds: Iterable<string> = []): Pipeline {
  const nodes = new Set(nodeIds);
  const edges = new Set(edgeIds);
  if (!nodes.size && !edges.size) return doc;
  return {
    ...doc,
    nodes: doc.nodes.filter((n) => !nodes.has(n.id)),
    edges: doc.edges.filter((e) => !edges.has(edgeId(e)) && !nodes.has(e.from.node) && !nodes.has(e.to.node)),
  };
}

export function moveNodes(doc: Pipeline, positions: Map<string, { x: number; y: number }>): Pipeline {
  return { ...doc, nodes: doc.nodes.map((n) => (positions.has(n.id) ? { ...n, position: roundPos(positions.get(n.id)!) } : n)) };
}

export function updateNode(doc: Pipeline, id: string, patch: (n: PipelineNode) => PipelineNode): Pipeline {
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? patch(n) : n)) };
}

export function setParam(doc: Pipeline, id: string, key: string, value: unknown): Pipeline {
  return updateNode(doc, id, (n) => ({ ...n, params: { ...n.params, [key]: value } }));
}

/** The selected nodes and the edges between them: what copy puts on the clipboard. */
export interface Fragment {
  kind: 'faceflow/fragment';
  nodes: PipelineNode[];
  edges: PipelineEdge[];
}

export function copyFragment(doc: Pipeline, nodeIds: Iterable<string>): Fragment {
  const ids = new Set(nodeIds);
  return {
    kind: 'faceflow/fragment',
    nodes: doc.nodes.filter((n) => ids.has(n.id)),
    edges: doc.edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node)),
  };
}

/** Paste a fragment with fresh ids (clahe -> clahe2), shifted by `offset`; returns the new node ids. */
export function pasteFragment(doc: Pipeline, frag: Fragment, offset: { x: number; y: number }): { doc: Pipeline; ids: string[] } {
  let next = doc;
  const rename = new Map<string, string>();
  for (const n of frag.nodes) {
    const id = freshId(next, n.id.replace(/\d+$/, ''));
    rename.set(n.id, id);
    next = { ...next, nodes: [...next.nodes, { ...n, id, position: roundPos({ x: n.position.x + offset.x, y: n.position.y + offset.y }) }] };
  }
  const edges = frag.edges.map((e) => ({ from: { ...e.from, node: rename.get(e.from.node)! }, to: { ...e.to, node: rename.get(e.to.node)! } }));
  return { doc: { ...next, edges: [...next.edges, ...edges] }, ids: [...rename.values()] };
}

/** A stable string of what affects results (not positions or labels): a change means a re-run. */
export function runSignature(doc: Pipeline): string {
  return JSON.stringify([doc.nodes.map((n) => [n.id, n.type, n.params]), doc.edges.map(edgeId)]);
}

function roundPos(p: { x: number; y: number }) {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

/** The nodes `roots` depend on, the roots included. */
export function upstreamOf(edges: readonly PipelineEdge[], roots: Iterable<string>): Set<string> {
  const seen = new Set(roots);
  const stack = [...seen];
  while (stack.length) {
    const id = stack.pop()!;
    for (const e of edges) if (e.to.node === id && !seen.has(e.from.node)) {
      seen.add(e.from.node);
      stack.push(e.from.node);
    }
  }
  return seen;
}

/** The document cut down to the nodes in `keep` and the edges between them. */
export function subgraph(doc: Pipeline, keep: ReadonlySet<string>): Pipeline {
  return { ...doc, nodes: doc.nodes.filter((n) => keep.has(n.id)), edges: doc.edges.filter((e) => keep.has(e.from.node) && keep.has(e.to.node)) };
}

/**
 * Insert `node` on output `at`: it reads `at` through its input `inPort`, and everything that read
 * `at` reads the node's output `outPort` instead.
 */
export function insertAfter(doc: Pipeline, at: PortRef, node: PipelineNode, inPort: string, outPort: string): Pipeline {
  const edges = doc.edges.map((e) => (e.from.node === at.node && e.from.port === at.port ? { ...e, from: { node: node.id, port: outPort } } : e));
  return { ...doc, nodes: [...doc.nodes, node], edges: [...edges, { from: at, to: { node: node.id, port: inPort } }] };
}
