import { registry as defaultRegistry } from '../../../../nodes/index.js';
import type { NodeRegistry } from '../../../graph/registry.js';
import type { Pipeline, PortRef } from '../../../graph/schema.js';
import { freshId } from '../../../graph/edit.js';

/**
 * Where a map node's faces come from: the nearest Faces output upstream of it, and the nodes
 * between (the chain, top to bottom, ending with the node): [backbone, gate] for an attention
 * gate, [node] for a node fed by faces directly (occlusion sensitivity, a backbone with a gate map).
 */
export interface MapSource {
  nodeId: string;
  faces: PortRef;
  chain: string[];
}

/** How far up (in nodes) a map node's faces are looked for. */
const MAX_DEPTH = 3;

function outputType(doc: Pipeline, reg: NodeRegistry, ref: PortRef): string | undefined {
  const type = doc.nodes.find((n) => n.id === ref.node)?.type;
  return type ? reg.get(type)?.outputs[ref.port]?.type : undefined;
}

export function mapSource(doc: Pipeline, nodeId: string, reg: NodeRegistry = defaultRegistry): MapSource | undefined {
  // Breadth-first up the edges; `below[id]` is the node that `id` feeds on the way down to nodeId.
  const below = new Map<string, string | undefined>([[nodeId, undefined]]);
  let frontier = [nodeId];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length; depth++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const e of doc.edges) {
        if (e.to.node !== id) continue;
        if (outputType(doc, reg, e.from) === 'Faces') {
          const chain: string[] = [];
          for (let c: string | undefined = id; c !== undefined; c = below.get(c)) chain.push(c);
          return { nodeId, faces: e.from, chain };
        }
        if (!below.has(e.from.node)) {
          below.set(e.from.node, id);
          next.push(e.from.node);
        }
      }
    }
    frontier = next;
  }
  return undefined;
}

export interface MapPair {
  /** The map node on the unoccluded faces, and those faces. */
  clean?: MapSource;
  /** The same kind of node on occluded faces (an occlusion node between), and the occlusion node. */
  occluded?: MapSource & { occlusionId: string };
  /** The clean faces (also known when only the occluded node exists: the occlusion node's input). */
  cleanFaces?: PortRef;
}

const same = (a?: PortRef, b?: PortRef) => !!a && !!b && a.node === b.node && a.port === b.port;
const sameParams = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The map node `nodeId` (attention gate, occlusion sensitivity, ...) and its twin: a node of the
 * same type on the same faces with or without an occlusion node in between (one with the same
 * params first), so the view can show clean and occluded maps side by side and their difference.
 */
export function attentionPair(doc: Pipeline, nodeId: string, reg: NodeRegistry = defaultRegistry): MapPair {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const occlusionInput = (id: string) => doc.edges.find((e) => e.to.node === id && e.to.port === 'faces')?.from;
  const describe = (src: MapSource): MapPair => {
    if (byId.get(src.faces.node)?.type === 'occlusion') return { occluded: { ...src, occlusionId: src.faces.node }, cleanFaces: occlusionInput(src.faces.node) };
    return { clean: src, cleanFaces: src.faces };
  };
  const me = mapSource(doc, nodeId, reg);
  const self = byId.get(nodeId);
  if (!me || !self) return {};
  const pair = describe(me);
  const others = doc.nodes.filter((n) => n.type === self.type && n.id !== nodeId);
  others.sort((a, b) => Number(!sameParams(a.params, self.params)) - Number(!sameParams(b.params, self.params)));
  for (const n of others) {
    const other = mapSource(doc, n.id, reg);
    if (!other) continue;
    const d = describe(other);
    if (!pair.clean && d.clean && same(d.cleanFaces, pair.cleanFaces)) pair.clean = d.clean;
    if (!pair.occluded && d.occluded && same(d.cleanFaces, pair.cleanFaces)) pair.occluded = d.occluded;
  }
  return pair;
}

/**
 * Add an occluded twin of a clean map node: an occlusion node on the same faces, and a copy of
 * every node from the faces down to the map node (for a gate: the backbone and the gate; for
 * occlusion sensitivity: the node), same params (so the same weights), placed below the
 * originals. Inputs from outside the chain (e.g. context) stay connected to the same sources.
 */
export function addOccludedBranch(doc: Pipeline, registry: NodeRegistry, nodeId: string): { doc: Pipeline; nodeId: string } | undefined {
  const src = mapSource(doc, nodeId, registry);
  if (!src || typeOf(doc, src.faces.node) === 'occlusion') return undefined;
  const below = (p: { x: number; y: number }) => ({ x: p.x, y: p.y + 260 });
  const first = doc.nodes.find((n) => n.id === src.chain[0])!;
  let d = doc;
  const occId = freshId(d, 'occlusion');
  d = { ...d, nodes: [...d.nodes, { id: occId, type: 'occlusion', params: registry.defaultParams('occlusion'), position: below({ x: (first.position?.x ?? 0) - 260, y: first.position?.y ?? 0 }) }] };
  const copyOf = new Map<string, string>();
  for (const id of src.chain) {
    const n = doc.nodes.find((m) => m.id === id)!;
    const copy = freshId(d, n.type);
    copyOf.set(id, copy);
    d = { ...d, nodes: [...d.nodes, { ...n, id: copy, label: undefined, params: { ...n.params }, position: below(n.position ?? { x: 0, y: 0 }) }] };
  }
  const added = doc.edges
    .filter((e) => copyOf.has(e.to.node))
    .map((e) => ({
      from: same(e.from, src.faces) ? { node: occId, port: 'faces' } : copyOf.has(e.from.node) ? { ...e.from, node: copyOf.get(e.from.node)! } : e.from,
      to: { ...e.to, node: copyOf.get(e.to.node)! },
    }));
  d = { ...d, edges: [...d.edges, { from: src.faces, to: { node: occId, port: 'faces' } }, ...added] };
  return { doc: d, nodeId: copyOf.get(nodeId)! };
}

function typeOf(doc: Pipeline, id: string): string | undefined {
  return doc.nodes.find((n) => n.id === id)?.type;
}
