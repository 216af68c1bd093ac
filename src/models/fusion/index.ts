import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng.js';
import { attentionFusion, attentionShapes, initAttention, type AttentionConfig } from './attention.js';
import { checkWeights, type Weights } from './common.js';
import { concatFusion, concatShapes, initConcat, type ConcatConfig } from './concat.js';
import { initTransformer, transformerFusion, transformerShapes, type TransformerConfig } from './transformer.js';

export type { AttentionConfig, ConcatConfig, TransformerConfig, Weights };
export type FusionConfig = ConcatConfig | AttentionConfig | TransformerConfig;
export type FusionKind = FusionConfig['kind'];
export const FUSION_KINDS: readonly FusionKind[] = ['concat', 'attention', 'transformer'];

/** The paper's settings (d = 64; 1 block, 4 heads, key dim 64) for an embedding of width D and a C-D context. */
export function defaultFusionConfig(kind: FusionKind, embeddingDim: number, contextDim: number): FusionConfig {
  switch (kind) {
    case 'concat':
      return { kind, embeddingDim, contextDim, projDim: 32 };
    case 'attention':
      return { kind, embeddingDim, contextDim, attnDim: 64, valueDim: 32 };
    case 'transformer':
      return { kind, embeddingDim, contextDim, modelDim: 64, heads: 4, keyDim: 64, ffnDim: 128 };
  }
}

export function fusionShapes(cfg: FusionConfig): Record<string, number[]> {
  switch (cfg.kind) {
    case 'concat': return concatShapes(cfg);
    case 'attention': return attentionShapes(cfg);
    case 'transformer': return transformerShapes(cfg);
  }
}

export function initFusion(cfg: FusionConfig, rng: Rng): Weights {
  switch (cfg.kind) {
    case 'concat': return initConcat(cfg, rng);
    case 'attention': return initAttention(cfg, rng);
    case 'transformer': return initTransformer(cfg, rng);
  }
}

/** Width of the fused vector. */
export function fusedDim(cfg: FusionConfig): number {
  switch (cfg.kind) {
    case 'concat': return cfg.embeddingDim + cfg.projDim;
    case 'attention': return cfg.embeddingDim + cfg.valueDim;
    case 'transformer': return cfg.embeddingDim;
  }
}

export interface FusionResult {
  /** L2-normalised fused vectors [n, fusedDim]. */
  fused: tf.Tensor2D;
  /**
   * The weights to display: concat [C] (mean |W| per context component); attention [n, C]
   * (softmax over components); transformer [n, heads, 1 + C, 1 + C] (per-head attention).
   */
  weights: tf.Tensor;
}

/** Fused vectors for embeddings e [n, D] and context c [n, C]; differentiable in `w`. */
export function runFusion(cfg: FusionConfig, w: Weights, e: tf.Tensor2D, c: tf.Tensor2D): FusionResult {
  switch (cfg.kind) {
    case 'concat': {
      const r = concatFusion(cfg, w, e, c);
      return { fused: r.fused, weights: r.componentWeight };
    }
    case 'attention': {
      const r = attentionFusion(cfg, w, e, c);
      return { fused: r.fused, weights: r.attention };
    }
    case 'transformer': {
      const r = transformerFusion(cfg, w, e, c);
      return { fused: r.fused, weights: r.attention };
    }
  }
}

export function checkFusionWeights(cfg: FusionConfig, w: Weights): void {
  checkWeights(cfg.kind, w, fusionShapes(cfg));
}
