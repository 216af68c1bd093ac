import type { Plan } from '../graph/compile.js';
import type { RunItem } from '../graph/node-definition.js';
import type { Pipeline } from '../graph/schema.js';
import type { EmbeddingsValue } from '../graph/values.js';
import { faceVectorOf } from './adaptive.js';
import { nodejsRun, type NodejsRunOptions } from '../runtime/nodejs-host.js';
import { runPipeline, throwIfRunFailed, type PipelineRun } from '../runtime/run.js';

/**
 * Node-only: run a preset's per-item phase on images and take each image's first embedding
 * from the preset's sink Embeddings output (presets for one face per image use align select=central).
 */

export interface ItemEmbedding {
  /** Undefined when the run failed or no face (not even a fallback crop) came out. */
  embedding?: Float32Array;
  /** With a masked-twin node: the face's mask flag, twin and twin weight (see adaptive.ts). */
  masked?: boolean;
  twin?: ArrayLike<number>;
  twinWeight?: number;
  /** The face was a fallback crop, or there was none: a failed detection. */
  failedDetection: boolean;
  error?: string;
}

export interface EmbeddedItems {
  items: ItemEmbedding[];
  run: PipelineRun;
  /** The backbone that made the embeddings ('' when none came out). */
  model: string;
  dim: number;
  embeddingNode: string;
}

/** The item-phase node whose Embeddings output is the preset's result: the last one that no other item node reads. */
export function findEmbeddingsOutput(plan: Plan): { nodeId: string; port: string } {
  const consumed = new Set(plan.steps.filter((s) => s.phase === 'items').flatMap((s) => Object.values(s.inputs).map((r) => `${r.node}.${r.port}`)));
  const found: { nodeId: string; port: string }[] = [];
  for (const s of plan.steps) {
    if (s.phase !== 'items') continue;
    for (const [port, spec] of Object.entries(s.def.outputs)) {
      if (spec.type === 'Embeddings' && !consumed.has(`${s.nodeId}.${port}`)) found.push({ nodeId: s.nodeId, port });
    }
  }
  if (!found.length) throw new Error('the preset has no per-image node with an unconnected Embeddings output (add a backbone such as mobilefacenet)');
  return found[found.length - 1];
}

export async function embedItems(pipeline: Pipeline, plan: Plan, items: RunItem[], opts: NodejsRunOptions): Promise<EmbeddedItems> {
  const target = findEmbeddingsOutput(plan);
  const run = throwIfRunFailed(await runPipeline(pipeline, items, nodejsRun(opts)));
  let model = '';
  let dim = 0;
  const out: ItemEmbedding[] = items.map(() => ({ failedDetection: false }));
  for (const r of run.items) {
    if (r.error) {
      out[r.index] = { failedDetection: false, error: r.error.message };
      continue;
    }
    const e = r.outputs[target.nodeId]?.[target.port] as EmbeddingsValue | undefined;
    if (!e?.count) {
      out[r.index] = { failedDetection: true };
      continue;
    }
    model ||= e.model;
    dim ||= e.dim;
    out[r.index] = { ...faceVectorOf(e), embedding: e.data.subarray(0, e.dim), failedDetection: e.fallback[0] };
  }
  return { items: out, run, model, dim, embeddingNode: target.nodeId };
}
