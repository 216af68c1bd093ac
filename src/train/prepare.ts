import type { TrainableModule } from '../graph/node-definition.js';
import { insertAfter, subgraph, upstreamOf } from '../graph/edit.js';
import type { NodeRegistry } from '../graph/registry.js';
import type { Pipeline, PortRef } from '../graph/schema.js';

/**
 * Pipeline surgery for `faceflow train`: find what to train in a preset, and derive the
 * pipeline that computes the frozen inputs once (the cache pass) and, for augmentation, the same
 * pipeline with a synthetic occluder drawn on the aligned faces.
 */
export type TrainTargetKind = TrainableModule | 'occlusion';

export interface TrainTarget {
  kind: TrainTargetKind;
  /** The node whose weights are trained. */
  nodeId: string;
  /** Where its frozen inputs come from, by input port (embeddings + context, or features). */
  sources: Record<string, PortRef>;
}

type ModuleKind = TrainableModule;

/** The module a node of this type trains (its definition's `trainable`); undefined for other nodes. */
export function trainedModuleOf(nodeType: string, registry: NodeRegistry): ModuleKind | undefined {
  return registry.get(nodeType)?.trainable;
}

/** The `kind` a module's weights file records, which the gate / fusion loaders check: "gate" or "fusion-<kind>". */
export function weightsKindOf(kind: ModuleKind): string {
  return kind === 'gate' ? 'gate' : `fusion-${kind}`;
}

/** The trainable node of the preset: the one of `kind` when given, else the only gate or fusion node. */
export function findTrainTarget(p: Pipeline, registry: NodeRegistry, kind?: TrainTargetKind): TrainTarget {
  if (kind === 'occlusion') return occlusionTarget(p);
  const candidates = p.nodes.flatMap((n) => {
    const k = trainedModuleOf(n.type, registry);
    return k ? [{ node: n, kind: k }] : [];
  });
  const chosen = kind ? candidates.filter((c) => c.kind === kind) : candidates;
  if (!chosen.length) {
    throw new Error(kind ? `the preset has no ${kind === 'gate' ? 'attention-gate' : `fusion-${kind}`} node` : 'the preset has no attention-gate or fusion-* node to train');
  }
  if (chosen.length > 1) throw new Error(`the preset has several trainable nodes (${chosen.map((c) => c.node.id).join(', ')}): pick one with --module`);
  return targetOf(p, chosen[0].node.id, chosen[0].kind);
}

function targetOf(p: Pipeline, nodeId: string, kind: ModuleKind): TrainTarget {
  const ports = kind === 'gate' ? ['features'] : ['embeddings', 'context'];
  const sources: Record<string, PortRef> = {};
  for (const port of ports) {
    const e = p.edges.find((x) => x.to.node === nodeId && x.to.port === port);
    if (!e) throw new Error(`node "${nodeId}" has no "${port}" input connected`);
    sources[port] = e.from;
  }
  return { kind, nodeId, sources };
}

/**
 * The training target for one gate or fusion node picked by id (the app trains the node the
 * inspector shows). Its inputs must come from aligned faces: an align node upstream.
 */
export function trainTargetForNode(p: Pipeline, nodeId: string, registry: NodeRegistry): TrainTarget {
  const node = p.nodes.find((n) => n.id === nodeId);
  if (!node) throw new Error(`no node "${nodeId}" in the pipeline`);
  const kind = trainedModuleOf(node.type, registry);
  if (!kind) throw new Error(`"${nodeId}" (${node.type}) is not an attention-gate or fusion node`);
  const target = targetOf(p, nodeId, kind);
  const up = upstreamOf(p.edges, Object.values(target.sources).map((s) => s.node));
  if (!p.nodes.some((n) => up.has(n.id) && n.type === 'align')) throw new Error(`no face node upstream of "${nodeId}": its inputs must come from aligned faces (mtcnn -> align -> ...)`);
  return target;
}

/**
 * The occlusion classifier belongs to the context node and learns from the aligned faces that
 * feed it, taken before any synthetic occlusion node (the trainer draws its own occluders).
 */
function occlusionTarget(p: Pipeline): TrainTarget {
  const ctx = p.nodes.filter((n) => n.type === 'context');
  if (ctx.length !== 1) throw new Error(ctx.length ? 'the preset has several context nodes' : 'the preset has no context node (the occlusion classifier is its part)');
  let src = p.edges.find((e) => e.to.node === ctx[0].id && e.to.port === 'faces')?.from;
  while (src && p.nodes.find((n) => n.id === src!.node)?.type === 'occlusion') {
    const up: PortRef | undefined = p.edges.find((e) => e.to.node === src!.node && e.to.port === 'faces')?.from;
    src = up;
  }
  if (!src) throw new Error(`context node "${ctx[0].id}" has no aligned faces connected`);
  return { kind: 'occlusion', nodeId: ctx[0].id, sources: { faces: src } };
}

/**
 * The cache pass: only the nodes the target's inputs depend on, so those inputs are the
 * pipeline's sinks (the runner keeps sink outputs). For the gate, the backbone's feature tap is
 * switched on.
 */
export function cachePipeline(p: Pipeline, t: TrainTarget): Pipeline {
  const sourceNodes = [...new Set(Object.values(t.sources).map((s) => s.node))];
  const cut = subgraph(p, upstreamOf(p.edges, sourceNodes));
  for (const s of sourceNodes) {
    const consumer = cut.edges.find((e) => e.from.node === s);
    if (consumer) throw new Error(`"${s}" feeds "${consumer.to.node}", which the trained node also depends on: its outputs would not be kept`);
  }
  const nodes = cut.nodes.map((n) => (t.kind === 'gate' && n.id === t.sources.features.node ? { ...n, params: { ...n.params, tap: true } } : n));
  return { ...cut, name: `${p.name} (training cache)`, nodes };
}

/**
 * The same pipeline with synthetic occlusion on the aligned faces: an existing occlusion node
 * gets these params; otherwise one is inserted after every align node, and everything that read
 * the aligned faces reads the occluded ones.
 */
export function withOcclusion(p: Pipeline, params: { kind: string; probability: number; seed: number }): Pipeline {
  if (p.nodes.some((n) => n.type === 'occlusion')) {
    return { ...p, nodes: p.nodes.map((n) => (n.type === 'occlusion' ? { ...n, params: { ...n.params, ...params } } : n)) };
  }
  const aligns = p.nodes.filter((n) => n.type === 'align');
  if (!aligns.length) throw new Error('synthetic occlusion needs an align node in the preset');
  let d = p;
  for (const a of aligns) {
    let id = `${a.id}_occlusion`;
    while (d.nodes.some((n) => n.id === id)) id += '_';
    d = insertAfter(d, { node: a.id, port: 'faces' }, { id, type: 'occlusion', params: { ...params }, position: { x: a.position.x + 120, y: a.position.y + 80 } }, 'faces', 'faces');
  }
  return d;
}
