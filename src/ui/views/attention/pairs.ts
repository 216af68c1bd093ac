import type { NodeRegistry } from '../../../graph/registry';
import type { Pipeline, PortRef } from '../../../graph/schema';
import { freshId } from '../../editor/graph-ops';

/** Where an attention gate's faces come from: the backbone that feeds it, and the Faces port feeding that backbone. */
export interface GateSource {
  gateId: string;
  embedId: string;
  faces: PortRef;
}

export function gateSource(doc: Pipeline, gateId: string): GateSource | undefined {
  const feat = doc.edges.find((e) => e.to.node === gateId && e.to.port === 'features');
  if (!feat) return undefined;
  const faces = doc.edges.find((e) => e.to.node === feat.from.node && e.to.port === 'faces');
  return faces && { gateId, embedId: feat.from.node, faces: faces.from };
}

export interface AttentionPair {
  /** The gate on the unoccluded faces, and those faces. */
  clean?: GateSource;
  /** The gate on occluded faces (an occlusion node between), and the occlusion node. */
  occluded?: GateSource & { occlusionId: string };
  /** The clean faces (also known when only the occluded gate exists: the occlusion node's input). */
  cleanFaces?: PortRef;
}

const same = (a?: PortRef, b?: PortRef) => !!a && !!b && a.node === b.node && a.port === b.port;

/**
 * The gate `gateId` and its twin: the same gate on the same faces with or without an occlusion
 * node in between, so the view can show clean and occluded attention side by side.
 */
export function attentionPair(doc: Pipeline, gateId: string): AttentionPair {
  const typeOf = new Map(doc.nodes.map((n) => [n.id, n.type]));
  const occlusionInput = (id: string) => doc.edges.find((e) => e.to.node === id && e.to.port === 'faces')?.from;
  const describe = (src: GateSource): AttentionPair => {
    if (typeOf.get(src.faces.node) === 'occlusion') return { occluded: { ...src, occlusionId: src.faces.node }, cleanFaces: occlusionInput(src.faces.node) };
    return { clean: src, cleanFaces: src.faces };
  };
  const me = gateSource(doc, gateId);
  if (!me) return {};
  const pair = describe(me);
  for (const n of doc.nodes) {
    if (n.type !== 'attention-gate' || n.id === gateId) continue;
    const other = gateSource(doc, n.id);
    if (!other) continue;
    const d = describe(other);
    if (!pair.clean && d.clean && same(d.cleanFaces, pair.cleanFaces)) pair.clean = d.clean;
    if (!pair.occluded && d.occluded && same(d.cleanFaces, pair.cleanFaces)) pair.occluded = d.occluded;
  }
  return pair;
}

/**
 * Add an occluded twin of a clean gate: occlusion on the same faces, a copy of the backbone
 * and a copy of the gate (same params, so the same weights), placed below the originals.
 */
export function addOccludedBranch(doc: Pipeline, registry: NodeRegistry, gateId: string): { doc: Pipeline; gateId: string } | undefined {
  const src = gateSource(doc, gateId);
  if (!src || typeOf(doc, src.faces.node) === 'occlusion') return undefined;
  const embed = doc.nodes.find((n) => n.id === src.embedId)!;
  const gate = doc.nodes.find((n) => n.id === gateId)!;
  const below = (p: { x: number; y: number }) => ({ x: p.x, y: p.y + 260 });
  let d = doc;
  const occId = freshId(d, 'occlusion');
  d = { ...d, nodes: [...d.nodes, { id: occId, type: 'occlusion', params: registry.defaultParams('occlusion'), position: below({ x: (embed.position?.x ?? 0) - 260, y: embed.position?.y ?? 0 }) }] };
  const embedId = freshId(d, embed.type);
  d = { ...d, nodes: [...d.nodes, { ...embed, id: embedId, label: undefined, params: { ...embed.params, tap: true }, position: below(embed.position ?? { x: 0, y: 0 }) }] };
  const gate2 = freshId(d, 'attention-gate');
  d = { ...d, nodes: [...d.nodes, { ...gate, id: gate2, label: undefined, params: { ...gate.params }, position: below(gate.position ?? { x: 0, y: 0 }) }] };
  d = {
    ...d,
    edges: [
      ...d.edges,
      { from: src.faces, to: { node: occId, port: 'faces' } },
      { from: { node: occId, port: 'faces' }, to: { node: embedId, port: 'faces' } },
      { from: { node: embedId, port: 'features' }, to: { node: gate2, port: 'features' } },
      { from: { node: embedId, port: 'embeddings' }, to: { node: gate2, port: 'embeddings' } },
    ],
  };
  return { doc: d, gateId: gate2 };
}

function typeOf(doc: Pipeline, id: string): string | undefined {
  return doc.nodes.find((n) => n.id === id)?.type;
}
