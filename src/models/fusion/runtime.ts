import type { HostIO } from '../../graph/node-definition.js';
import type { EmbeddingsValue } from '../../graph/values.js';
import type { ContextValue } from '../../context/vector.js';
import { Rng } from '../../util/rng.js';
import type { WeightsValue } from '../../graph/values.js';
import { BackendKeyedCache, holdModelTensors } from '../held-tensors.js';
import { loadTrainedWeights } from '../trained-weights.js';
import { checkFusionWeights, defaultFusionConfig, fusedDim, initFusion, type FusionConfig, type FusionKind, type Weights } from './index.js';
import { fastFusion, type HostWeights } from './fast.js';

export interface LoadedFusion {
  cfg: FusionConfig;
  weights: Weights;
  /** The same weights as float32 arrays, for the per-face inference loops (fast.ts). */
  host: HostWeights;
  /** "untrained (seed s)" or the weights file. */
  origin: string;
}

const cache = new BackendKeyedCache<LoadedFusion>();

/**
 * The fusion module for a node: from a weights file written by `faceflow train` (read through
 * the host, so a path in Node and a URL in the app), or, with no file, freshly initialised from
 * `seed` (the untrained module, which behaves like the plain embedding). Cached per backend.
 */
export function getFusion(io: HostIO, kind: FusionKind, weightsPath: string, embeddingDim: number, contextDim: number, seed: number): Promise<LoadedFusion> {
  return cache.get([kind, weightsPath, embeddingDim, contextDim, weightsPath ? '' : seed].join('|'), async () => {
    if (!weightsPath) {
      const cfg = defaultFusionConfig(kind, embeddingDim, contextDim);
      const weights = holdModelTensors(() => initFusion(cfg, new Rng(seed))).value;
      return { cfg, weights, host: await toHost(weights), origin: `untrained (seed ${seed})` };
    }
    const { config: cfg, weights } = await loadTrainedWeights<FusionConfig>(io, weightsPath, (k, c, w) => {
      if (k !== `fusion-${kind}` || c?.kind !== kind) throw new Error(`holds "${k}" weights, not fusion-${kind}`);
      if (c.embeddingDim !== embeddingDim) throw new Error(`trained for ${c.embeddingDim}-D embeddings, got ${embeddingDim}-D`);
      if (c.contextDim !== contextDim) throw new Error(`trained for ${c.contextDim}-D context, got ${contextDim}-D`);
      checkFusionWeights(c, w);
    });
    return { cfg, weights, host: await toHost(weights), origin: weightsPath };
  });
}

/** Float32 copies of the weights for the inference loops (read asynchronously, as webgpu needs). */
export async function toHost(w: Weights): Promise<HostWeights> {
  const entries = await Promise.all(Object.entries(w).map(async ([k, t]) => [k, Float32Array.from((await t.data()) as Float32Array)] as const));
  return Object.fromEntries(entries);
}

/** Fuse one item's embeddings with its context vectors (row i with row i), with the plain-loop inference. */
export function fuseValues(f: LoadedFusion, emb: EmbeddingsValue, ctx: ContextValue): { embeddings: EmbeddingsValue; weights: WeightsValue } {
  if (emb.count !== ctx.count) throw new Error(`${emb.count} embeddings but ${ctx.count} context vectors: connect both from the same faces`);
  const n = emb.count;
  const r = fastFusion(f.cfg, f.host, emb.data, ctx.data, n);
  const kind = `fusion-${f.cfg.kind}`;
  const axes = f.cfg.kind === 'concat' ? ['component'] : f.cfg.kind === 'attention' ? ['face', 'component'] : ['face', 'head', 'query', 'key'];
  const labels = f.cfg.kind === 'transformer' ? ['embedding', ...ctx.names] : [...ctx.names];
  return {
    embeddings: { ...emb, dim: fusedDim(f.cfg), data: r.fused, model: `${emb.model}+${kind}` },
    weights: { kind, shape: r.weightsShape, data: r.weights, axes, labels },
  };
}
