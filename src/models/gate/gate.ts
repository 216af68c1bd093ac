import * as tf from '@tensorflow/tfjs';

/**
 * Spatial attention gate (the paper's section 3.2) on a backbone feature map x [n, h, w, c]:
 *   a   = sigmoid(x k + b)        a 1x1 conv to one channel: the weight map [n, h, w, 1], in (0, 1)
 *   out = x * a / sigmoid(b0)     features re-weighted per position
 * The constant 1 / sigmoid(b0) (b0 the initial bias) makes the untrained gate (k = 0, b = b0) the
 * identity exactly, while b0 = 3 keeps the sigmoid out of saturation: its slope there is 0.045,
 * against 4.5e-5 for the usual "large bias" (b = 10) pass-through init, so training can move it.
 * After training a_ij < sigmoid(b0) suppresses a position and a_ij > sigmoid(b0) amplifies it.
 */
export interface GateConfig {
  kind: 'gate';
  /** Channels c of the tapped feature map (MobileFaceNet's last map: 512). */
  channels: number;
  /** Initial bias b0; also fixes the output scale 1 / sigmoid(b0). */
  initBias: number;
}

export function defaultGateConfig(channels: number): GateConfig {
  return { kind: 'gate', channels, initBias: 3 };
}

export function gateShapes(cfg: GateConfig): Record<string, number[]> {
  return { kernel: [1, 1, cfg.channels, 1], bias: [1] };
}

export function initGate(cfg: GateConfig): Record<string, tf.Tensor> {
  return { kernel: tf.zeros([1, 1, cfg.channels, 1]), bias: tf.fill([1], cfg.initBias) };
}

export interface GateOutput {
  /** The re-weighted features [n, h, w, c]. */
  features: tf.Tensor4D;
  /** The weight map [n, h, w, 1], in (0, 1), for heatmaps. */
  weightMap: tf.Tensor4D;
}

export function applyGate(cfg: GateConfig, w: Record<string, tf.Tensor>, x: tf.Tensor4D): GateOutput {
  if (x.rank !== 4 || x.shape[3] !== cfg.channels) throw new Error(`gate: feature map must be [n, h, w, ${cfg.channels}], got [${x.shape}]`);
  const scale = 1 / sigmoid(cfg.initBias);
  return tf.tidy(() => {
    // A 1x1 conv is a matMul over the channel axis (which also has a gradient on wasm).
    const [n, h, wd, c] = x.shape;
    const z = tf.add(tf.matMul(tf.reshape(x, [n * h * wd, c]), tf.reshape(w.kernel, [c, 1])), w.bias);
    const weightMap = tf.reshape(tf.sigmoid(z), [n, h, wd, 1]) as tf.Tensor4D;
    const features = tf.mul(x, tf.mul(weightMap, scale)) as tf.Tensor4D;
    return { features, weightMap };
  });
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
