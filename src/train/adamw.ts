import * as tf from '@tensorflow/tfjs';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay (Loshchilov & Hutter): theta -= lr * wd * theta, apart from the gradient step. */
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-5 };

/**
 * Adam with decoupled weight decay, written on tf.Variables (not tfjs's AdamOptimizer, which has
 * no weight decay). Per variable: m, v moving moments, bias-corrected, then
 *   theta <- theta - lr * (m_hat / (sqrt(v_hat) + eps) + wd * theta).
 * `lr` is the base rate; a schedule passes its multiplier to `step`, which scales both terms
 * (as PyTorch's AdamW does). Owns its moment tensors: call `dispose()`.
 */
export class AdamW {
  readonly config: AdamWConfig;
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(config: Partial<AdamWConfig> = {}) {
    this.config = { ...ADAMW_DEFAULTS, ...config };
  }

  get iterations(): number {
    return this.t;
  }

  /** One update of `vars` with `grads` (same names); `lrScale` is the schedule's multiplier. */
  step(vars: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, lrScale = 1): void {
    const { lr, beta1, beta2, epsilon, weightDecay } = this.config;
    this.t++;
    const rate = lr * lrScale;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (const [name, theta] of Object.entries(vars)) {
      const g = grads[name];
      if (!g) continue;
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = tf.tidy(() => tf.variable(tf.zerosLike(theta), false));
        v = tf.tidy(() => tf.variable(tf.zerosLike(theta), false));
        this.m.set(name, m);
        this.v.set(name, v);
      }
      tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), epsilon));
        const decayed = tf.mul(theta, 1 - rate * weightDecay);
        m.assign(m1);
        v.assign(v1);
        theta.assign(tf.sub(decayed, tf.mul(update, rate)));
      });
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
