import type { PipelineEdge } from '../../graph/schema';
import { isImageValue, type ImageValue } from '../../graph/values';
import type { NodeOutputs } from '../../runtime/executor';

/** The nearest Image value feeding `nodeId` (breadth-first up the edges), for views that draw over it. */
export function upstreamImage(edges: PipelineEdge[], outputs: Record<string, NodeOutputs>, nodeId: string): ImageValue | undefined {
  const seen = new Set([nodeId]);
  let frontier = [nodeId];
  while (frontier.length) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const e of edges) {
        if (e.to.node !== id || seen.has(e.from.node)) continue;
        const value = outputs[e.from.node]?.[e.from.port];
        if (isImageValue(value)) return value;
        const pyramid = (value as { image?: unknown } | undefined)?.image;
        if (isImageValue(pyramid)) return pyramid;
        seen.add(e.from.node);
        next.push(e.from.node);
      }
    }
    frontier = next;
  }
  return undefined;
}
