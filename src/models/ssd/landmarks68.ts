import * as tf from '@tensorflow/tfjs';
import type { NamedWeight } from '../dlib/manifest.js';

/**
 * face-api's 68-point landmark net (`face_landmark_68_model`): four densely connected blocks of
 * depthwise-separable convs (32, 64, 128, 256 channels, each block halving the size), 7x7
 * average pool, FC 256 -> 136 (x, y interleaved, in [0, 1] of the 112x112 input). Input: the face
 * crop padded to a centred square with black, resized to 112, dlib's mean RGB subtracted, / 255.
 */
export const LANDMARKS68_INPUT_SIZE = 112;
export const LANDMARKS68_MEAN_RGB = [122.782, 117.001, 104.298] as const;

interface SepConv { depthwise: tf.Tensor4D; pointwise: tf.Tensor4D; bias: tf.Tensor1D }

export class FaceLandmark68Net {
  private readonly first: { filter: tf.Tensor4D; bias: tf.Tensor1D };
  private readonly blocks: SepConv[][] = [];
  private readonly fcW: tf.Tensor2D;
  private readonly fcB: tf.Tensor1D;

  constructor(weights: Map<string, NamedWeight>) {
    const need = (n: string) => {
      const w = weights.get(n);
      if (!w) throw new Error(`face_landmark_68 weights: missing ${n}`);
      return w;
    };
    const t4 = (n: string) => tf.tensor4d(need(n).values, need(n).shape as [number, number, number, number]);
    this.first = { filter: t4('dense0/conv0/filters'), bias: tf.tensor1d(need('dense0/conv0/bias').values) };
    for (let b = 0; b < 4; b++) {
      const convs: SepConv[] = [];
      for (let c = b === 0 ? 1 : 0; c < 4; c++) {
        const p = `dense${b}/conv${c}`;
        convs.push({ depthwise: t4(`${p}/depthwise_filter`), pointwise: t4(`${p}/pointwise_filter`), bias: tf.tensor1d(need(`${p}/bias`).values) });
      }
      this.blocks.push(convs);
    }
    const fc = need('fc/weights');
    this.fcW = tf.tensor2d(fc.values, fc.shape as [number, number]);
    this.fcB = tf.tensor1d(need('fc/bias').values);
  }

  private sep(x: tf.Tensor4D, c: SepConv, stride: 1 | 2): tf.Tensor4D {
    return tf.add(tf.separableConv2d(x, c.depthwise, c.pointwise, stride, 'same'), c.bias);
  }

  private dense(x: tf.Tensor4D, b: number): tf.Tensor4D {
    const convs = this.blocks[b];
    const out1 = b === 0
      ? tf.relu(tf.add(tf.conv2d(x, this.first.filter, 2, 'same'), this.first.bias)) as tf.Tensor4D
      : tf.relu(this.sep(x, convs[0], 2)) as tf.Tensor4D;
    const k = b === 0 ? 0 : 1;
    const out2 = this.sep(out1, convs[k], 1);
    const in3 = tf.relu(tf.add(out1, out2)) as tf.Tensor4D;
    const out3 = this.sep(in3, convs[k + 1], 1);
    const in4 = tf.relu(tf.add(out1, tf.add(out2, out3))) as tf.Tensor4D;
    const out4 = this.sep(in4, convs[k + 2], 1);
    return tf.relu(tf.add(out1, tf.add(out2, tf.add(out3, out4)))) as tf.Tensor4D;
  }

  /** [n, 112, 112, 3] normalised faces -> [n, 136] landmark coordinates in [0, 1] of the input. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let out = x;
      for (let b = 0; b < 4; b++) out = this.dense(out, b);
      const pooled = tf.avgPool(out, [7, 7], [2, 2], 'valid');
      return tf.add(tf.matMul(tf.reshape(pooled, [pooled.shape[0], -1]), this.fcW), this.fcB) as tf.Tensor2D;
    });
  }

  dispose(): void {
    this.first.filter.dispose();
    this.first.bias.dispose();
    for (const c of this.blocks.flat()) {
      c.depthwise.dispose();
      c.pointwise.dispose();
      c.bias.dispose();
    }
    this.fcW.dispose();
    this.fcB.dispose();
  }
}
