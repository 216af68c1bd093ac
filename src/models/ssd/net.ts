import * as tf from '@tensorflow/tfjs';
import type { NamedWeight } from '../dlib/manifest.js';

/**
 * SSD MobileNet v1 face detector (face-api's `ssd_mobilenetv1_model`, trained on WIDER FACE),
 * rebuilt from tfjs ops: MobileNet v1 (depthwise + pointwise, batch norm folded, ReLU6), four
 * extra feature layers, six box predictors (3 anchors on the 32x32 map of Conv2d_11, 6 on
 * 16x16 ... 1x1) over the manifest's 5,118 anchors. Input: the image padded to a square at its
 * bottom/right with black and resized to 512x512, scaled to [-1, 1].
 */
export const SSD_INPUT_SIZE = 512;
const BN_EPSILON = 0.0010000000474974513;

interface Conv { filter: tf.Tensor4D; bias: tf.Tensor1D }

function need(weights: Map<string, NamedWeight>, name: string): NamedWeight {
  const w = weights.get(name);
  if (!w) throw new Error(`ssd_mobilenetv1 weights: missing ${name}`);
  return w;
}

function conv(weights: Map<string, NamedWeight>, filter: string, bias: string): Conv {
  const f = need(weights, filter);
  const b = need(weights, bias);
  return { filter: tf.tensor4d(f.values, f.shape as [number, number, number, number]), bias: tf.tensor1d(b.values) };
}

/** Depthwise conv + frozen batch norm folded into filter and bias: BN(dw(x)) = dw(x, W s) + (beta - mean s). */
function depthwiseBn(weights: Map<string, NamedWeight>, prefix: string): Conv {
  const f = need(weights, `${prefix}/depthwise_weights`);
  const gamma = need(weights, `${prefix}/BatchNorm/gamma`).values;
  const beta = need(weights, `${prefix}/BatchNorm/beta`).values;
  const mean = need(weights, `${prefix}/BatchNorm/moving_mean`).values;
  const variance = need(weights, `${prefix}/BatchNorm/moving_variance`).values;
  const c = f.shape[2];
  const s = new Float32Array(c);
  const bias = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    s[i] = gamma[i] / Math.sqrt(variance[i] + BN_EPSILON);
    bias[i] = beta[i] - mean[i] * s[i];
  }
  const filter = new Float32Array(f.values.length);
  for (let i = 0; i < filter.length; i++) filter[i] = f.values[i] * s[i % c];
  return { filter: tf.tensor4d(filter, f.shape as [number, number, number, number]), bias: tf.tensor1d(bias) };
}

/** Raw network outputs for one image: decoded boxes [n, 4] as (ymin, xmin, ymax, xmax) in [0, 1] of the padded square, face scores [n]. */
export interface SsdRaw { boxes: Float32Array; scores: Float32Array; count: number }

export class SsdMobileNetV1 {
  private readonly pointwise: Conv[] = [];
  private readonly depthwise: Conv[] = [];
  private readonly extra: Conv[] = [];
  private readonly boxHeads: Conv[] = [];
  private readonly classHeads: Conv[] = [];
  private readonly anchors: tf.Tensor2D;

  constructor(weights: Map<string, NamedWeight>) {
    for (let i = 0; i <= 13; i++) {
      this.pointwise.push(conv(weights, `MobilenetV1/Conv2d_${i}_pointwise/weights`, `MobilenetV1/Conv2d_${i}_pointwise/convolution_bn_offset`));
      if (i > 0) this.depthwise.push(depthwiseBn(weights, `MobilenetV1/Conv2d_${i}_depthwise`));
    }
    for (let i = 0; i <= 7; i++) this.extra.push(conv(weights, `Prediction/Conv2d_${i}_pointwise/weights`, `Prediction/Conv2d_${i}_pointwise/convolution_bn_offset`));
    for (let i = 0; i <= 5; i++) {
      this.boxHeads.push(conv(weights, `Prediction/BoxPredictor_${i}/BoxEncodingPredictor/weights`, `Prediction/BoxPredictor_${i}/BoxEncodingPredictor/biases`));
      this.classHeads.push(conv(weights, `Prediction/BoxPredictor_${i}/ClassPredictor/weights`, `Prediction/BoxPredictor_${i}/ClassPredictor/biases`));
    }
    const a = need(weights, 'Output/extra_dim');
    this.anchors = tf.tensor2d(a.values, [a.shape[1], 4]);
  }

  private pw(x: tf.Tensor4D, c: Conv, stride: 1 | 2): tf.Tensor4D {
    return tf.fused.conv2d({ x, filter: c.filter, bias: c.bias, strides: stride, pad: 'same', activation: 'relu6' });
  }

  /** Normalised [1, 512, 512, 3] input in [-1, 1] -> decoded boxes and face scores over all anchors. */
  forward(x: tf.Tensor4D): { boxes: tf.Tensor2D; scores: tf.Tensor1D } {
    return tf.tidy(() => {
      let out = this.pw(x, this.pointwise[0], 2);
      let conv11: tf.Tensor4D | null = null;
      for (let i = 1; i <= 13; i++) {
        const d = this.depthwise[i - 1];
        const stride = [2, 4, 6, 12].includes(i) ? 2 : 1;
        out = tf.fused.depthwiseConv2d({ x: out, filter: d.filter, bias: d.bias, strides: stride, pad: 'same', activation: 'relu6' });
        out = this.pw(out, this.pointwise[i], 1);
        if (i === 11) conv11 = out;
      }
      const maps: tf.Tensor4D[] = [conv11!, out];
      let e = out;
      for (let i = 0; i <= 7; i++) {
        e = this.pw(e, this.extra[i], i % 2 ? 2 : 1);
        if (i % 2) maps.push(e);
      }
      const head = (m: tf.Tensor4D, c: Conv, k: number) =>
        tf.reshape(tf.fused.conv2d({ x: m, filter: c.filter, bias: c.bias, strides: 1, pad: 'same' }), [-1, k]);
      const enc = tf.concat(maps.map((m, i) => head(m, this.boxHeads[i], 4)), 0) as tf.Tensor2D;
      const cls = tf.concat(maps.map((m, i) => head(m, this.classHeads[i], 3)), 0) as tf.Tensor2D;
      const scores = tf.sigmoid(tf.reshape(tf.slice(cls, [0, 1], [-1, 1]), [-1])) as tf.Tensor1D;
      // box decoding (TF object detection's faster-rcnn coder, scales 10, 10, 5, 5)
      const [a0, a1, a2, a3] = tf.unstack(this.anchors, 1);
      const [t0, t1, t2, t3] = tf.unstack(enc, 1);
      const s0 = tf.sub(a2, a0), s1 = tf.sub(a3, a1);
      const c0 = tf.add(a0, tf.div(s0, 2)), c1 = tf.add(a1, tf.div(s1, 2));
      const h0 = tf.div(tf.mul(tf.exp(tf.div(t2, 5)), s0), 2);
      const m0 = tf.add(tf.mul(tf.div(t0, 10), s0), c0);
      const h1 = tf.div(tf.mul(tf.exp(tf.div(t3, 5)), s1), 2);
      const m1 = tf.add(tf.mul(tf.div(t1, 10), s1), c1);
      const boxes = tf.stack([tf.sub(m0, h0), tf.sub(m1, h1), tf.add(m0, h0), tf.add(m1, h1)], 1) as tf.Tensor2D;
      return { boxes, scores };
    });
  }

  dispose(): void {
    for (const c of [...this.pointwise, ...this.depthwise, ...this.extra, ...this.boxHeads, ...this.classHeads]) {
      c.filter.dispose();
      c.bias.dispose();
    }
    this.anchors.dispose();
  }
}
