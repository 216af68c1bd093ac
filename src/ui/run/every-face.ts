import type { Pipeline } from '../../graph/schema.js';

/**
 * What the lab runs on its one image: the document with every align node keeping all faces.
 * Presets pick the central face (`select: "central"`) because a pairs evaluation compares one
 * face per image; the lab shows what the pipeline sees, so every detected face is aligned,
 * embedded and drawn. Dataset runs and the CLI run the document as it is.
 */
export function everyFace(p: Pipeline): Pipeline {
  if (!p.nodes.some((n) => n.type === 'align' && n.params.select === 'central')) return p;
  return { ...p, nodes: p.nodes.map((n) => (n.type === 'align' && n.params.select === 'central' ? { ...n, params: { ...n.params, select: 'all' } } : n)) };
}
