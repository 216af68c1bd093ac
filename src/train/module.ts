import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from '../models/fusion/common.js';
import { runFusion, type FusionConfig } from '../models/fusion/index.js';
import { applyGate, type GateConfig } from '../models/gate/gate.js';
import { weightsKindOf } from './prepare.js';

/** What a module reads from a batch of cached per-image vectors. */
export interface TrainBatch {
  /** Frozen backbone embeddings [n, D]. */
  embeddings?: tf.Tensor2D;
  /** Context vectors [n, C]. */
  context?: tf.Tensor2D;
  /** Backbone feature maps at the gate's tap [n, h, w, c]. */
  featureMaps?: tf.Tensor4D;
}

export type BatchField = keyof TrainBatch;

/**
 * A trainable head on top of a frozen backbone: its variables and a forward pass from cached
 * inputs to L2-normalised vectors (differentiable in the variables only; inputs are constants).
 */
export interface TrainableModule {
  kind: string;
  /** Saved beside the weights so a loader can rebuild the module. */
  config: object;
  variables: Record<string, tf.Variable>;
  needs: BatchField[];
  forward(batch: TrainBatch): tf.Tensor2D;
  dispose(): void;
}

function toVariables(prefix: string, w: Record<string, tf.Tensor>): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [k, t] of Object.entries(w)) {
    out[k] = tf.variable(t, true, `${prefix}/${k}_${uniq++}`);
    t.dispose();
  }
  return out;
}
let uniq = 0;

function disposeAll(vars: Record<string, tf.Variable>): void {
  for (const v of Object.values(vars)) v.dispose();
}

function need<T>(value: T | undefined, what: string, kind: string): T {
  if (!value) throw new Error(`${kind}: the batch has no ${what}`);
  return value;
}

/** A fusion module; takes ownership of `weights` (they become variables). */
export function fusionModule(cfg: FusionConfig, weights: Record<string, tf.Tensor>): TrainableModule {
  const variables = toVariables(`fusion-${cfg.kind}`, weights);
  return {
    kind: weightsKindOf(cfg.kind),
    config: cfg,
    variables,
    needs: ['embeddings', 'context'],
    forward(b) {
      return tf.tidy(() => {
        const r = runFusion(cfg, variables, need(b.embeddings, 'embeddings', cfg.kind), need(b.context, 'context', cfg.kind));
        return r.fused;
      });
    },
    dispose: () => disposeAll(variables),
  };
}

/**
 * The backbone's tail from the gate's tap to the raw embedding, e.g. MobileFaceNet's global
 * depthwise conv and 1x1 convs after the 7x7x512 map. Frozen: its weights are not trained here.
 */
export type BackboneTail = (features: tf.Tensor4D) => tf.Tensor2D;

/** An attention gate in front of a frozen backbone tail; takes ownership of `weights`. */
export function gateModule(cfg: GateConfig, weights: Record<string, tf.Tensor>, tail: BackboneTail): TrainableModule {
  const variables = toVariables('gate', weights);
  return {
    kind: weightsKindOf('gate'),
    config: cfg,
    variables,
    needs: ['featureMaps'],
    forward(b) {
      return tf.tidy(() => l2Normalize(tail(applyGate(cfg, variables, need(b.featureMaps, 'feature maps', 'gate')).features)));
    },
    dispose: () => disposeAll(variables),
  };
}

/**
 * Gate and fusion trained together: the gated embedding (instead of the cached one) feeds the
 * fusion. Variable names are prefixed "gate/" and "fusion/".
 */
export function gatedFusionModule(gate: TrainableModule, fusion: TrainableModule): TrainableModule {
  const variables: Record<string, tf.Variable> = {};
  for (const [k, v] of Object.entries(gate.variables)) variables[`gate/${k}`] = v;
  for (const [k, v] of Object.entries(fusion.variables)) variables[`fusion/${k}`] = v;
  return {
    kind: `gate+${fusion.kind}`,
    config: { gate: gate.config, fusion: fusion.config },
    variables,
    needs: ['featureMaps', 'context'],
    forward(b) {
      return tf.tidy(() => fusion.forward({ context: b.context, embeddings: gate.forward(b) }));
    },
    dispose() {
      gate.dispose();
      fusion.dispose();
    },
  };
}
