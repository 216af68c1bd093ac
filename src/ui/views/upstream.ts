import type { PipelineEdge } from '../../graph/schema.js';
import { isImageValue, type ImageValue } from '../../graph/values.js';
import type { NodeOutputs } from '../../runtime/executor.js';

/** The nearest output value feeding `nodeId` (breadth-first up the edges) that `pick` accepts, as `pick` maps it. */
export function upstreamValue<T>(edges: PipelineEdge[], outputs: Record<string, NodeOutputs>, nodeId: string, pick: (value: unknown) => T | undefined): T | undefined {
  const seen = new Set([nodeId]);
  let frontier = [nodeId];
  while (frontier.length) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const e of edges) {
        if (e.to.node !== id || seen.has(e.from.node)) continue;
        const found = pick(outputs[e.from.node]?.[e.from.port]);
        if (found !== undefined) return found;
        seen.add(e.from.node);
        next.push(e.from.node);
      }
    }
    frontier = next;
  }
  return undefined;
}

/** The nearest Image value feeding `nodeId` (or a pyramid's image), for views that draw over it. */
export function upstreamImage(edges: PipelineEdge[], outputs: Record<string, NodeOutputs>, nodeId: string): ImageValue | undefined {
  return upstreamValue(edges, outputs, nodeId, (value) => {
    if (isImageValue(value)) return value;
    const pyramid = (value as { image?: unknown } | undefined)?.image;
    return isImageValue(pyramid) ? pyramid : undefined;
  });
}
