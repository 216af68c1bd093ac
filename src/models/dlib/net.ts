import * as tf from '@tensorflow/tfjs';
import type { NamedWeight } from './manifest.js';

/** dlib's per-channel mean (R, G, B), subtracted before dividing by 256 as dlib's input layer does. */
export const DLIB_MEAN_RGB = [122.782, 117.001, 104.298] as const;
export const DLIB_INPUT_SIZE = 150;

/** The 29-conv ResNet of dlib_face_recognition_resnet_model_v1, in the order its blocks run. */
export const DLIB_BLOCKS = [
  'conv32_1', 'conv32_2', 'conv32_3',
  'conv64_down', 'conv64_1', 'conv64_2', 'conv64_3',
  'conv128_down', 'conv128_1', 'conv128_2',
  'conv256_down', 'conv256_1', 'conv256_2',
  'conv256_down_out',
] as const;
export type DlibTap = (typeof DLIB_BLOCKS)[number];

interface Conv { filter: tf.Tensor4D; bias: tf.Tensor1D }

/**
 * Fold conv bias and the affine "scale" layer (dlib's frozen batch norm) into the filter:
 * (conv(x, W) + b) * s + t = conv(x, W * s) + (b * s + t).
 */
function foldConv(weights: Map<string, NamedWeight>, prefix: string): Conv {
  const get = (n: string) => {
    const w = weights.get(`${prefix}/${n}`);
    if (!w) throw new Error(`dlib ResNet weights: missing ${prefix}/${n}`);
    return w;
  };
  const f = get('conv/filters');
  const b = get('conv/bias').values;
  const s = get('scale/weights').values;
  const t = get('scale/biases').values;
  const out = f.shape[3];
  const filter = new Float32Array(f.values.length);
  for (let i = 0; i < f.values.length; i++) filter[i] = f.values[i] * s[i % out];
  const bias = new Float32Array(out);
  for (let o = 0; o < out; o++) bias[o] = b[o] * s[o] + t[o];
  return { filter: tf.tensor4d(filter, f.shape as [number, number, number, number]), bias: tf.tensor1d(bias) };
}

/** dlib's face recognition ResNet (128-D metric embedding) on face-api's weights, from tfjs ops. */
export class DlibResNet {
  readonly inputSize = DLIB_INPUT_SIZE;
  readonly embeddingSize: number;
  private readonly convs = new Map<string, Conv>();
  private readonly fc: tf.Tensor2D;

  constructor(weights: Map<string, NamedWeight>) {
    this.convs.set('conv32_down', foldConv(weights, 'conv32_down'));
    for (const b of DLIB_BLOCKS) {
      this.convs.set(`${b}/conv1`, foldConv(weights, `${b}/conv1`));
      this.convs.set(`${b}/conv2`, foldConv(weights, `${b}/conv2`));
    }
    const fc = weights.get('fc');
    if (!fc) throw new Error('dlib ResNet weights: missing fc');
    this.fc = tf.tensor2d(fc.values, fc.shape as [number, number]);
    this.embeddingSize = fc.shape[1];
  }

  private conv(x: tf.Tensor4D, name: string, stride: 1 | 2, relu: boolean): tf.Tensor4D {
    const c = this.convs.get(name)!;
    return tf.fused.conv2d({ x, filter: c.filter, bias: c.bias, strides: stride, pad: stride === 2 ? 'valid' : 'same', activation: relu ? 'relu' : 'linear' });
  }

  private residual(x: tf.Tensor4D, block: string): tf.Tensor4D {
    const out = this.conv(this.conv(x, `${block}/conv1`, 1, true), `${block}/conv2`, 1, false);
    return tf.relu(tf.add(out, x)) as tf.Tensor4D;
  }

  /** Downsampling block: strided valid convs; the shortcut is a 2x2 average pool, zero-padded in channels and (where the conv path is a pixel short) the conv path in space. */
  private residualDown(x: tf.Tensor4D, block: string): tf.Tensor4D {
    let out = this.conv(this.conv(x, `${block}/conv1`, 2, true), `${block}/conv2`, 1, false);
    let pooled = tf.avgPool(x, 2, 2, 'valid');
    const [, ph, pw] = pooled.shape;
    const [, oh, ow, oc] = out.shape;
    if (oh !== ph || ow !== pw) out = tf.pad(out, [[0, 0], [0, ph - oh], [0, pw - ow], [0, 0]]);
    if (pooled.shape[3] !== oc) pooled = tf.pad(pooled, [[0, 0], [0, 0], [0, 0], [0, oc - pooled.shape[3]]]);
    return tf.relu(tf.add(pooled, out)) as tf.Tensor4D;
  }

  /** RGB [n, 150, 150, 3] in 0..255 -> raw embeddings [n, 128] and the output of block `tap`. */
  forward(rgb: tf.Tensor4D, tap: DlibTap = 'conv256_down_out'): { embeddings: tf.Tensor2D; featureMap: tf.Tensor4D } {
    return tf.tidy(() => {
      const mean = tf.tensor1d([...DLIB_MEAN_RGB]);
      let x = tf.div(tf.sub(tf.cast(rgb, 'float32'), mean), 256) as tf.Tensor4D;
      x = this.conv(x, 'conv32_down', 2, true);
      x = tf.maxPool(x, 3, 2, 'valid');
      let featureMap: tf.Tensor4D | undefined;
      for (const b of DLIB_BLOCKS) {
        x = b.endsWith('_down') || b === 'conv256_down_out' ? this.residualDown(x, b) : this.residual(x, b);
        if (b === tap) featureMap = x;
      }
      const embeddings = tf.matMul(tf.mean(x, [1, 2]) as tf.Tensor2D, this.fc) as tf.Tensor2D;
      return { embeddings, featureMap: featureMap! };
    });
  }

  dispose(): void {
    for (const c of this.convs.values()) {
      c.filter.dispose();
      c.bias.dispose();
    }
    this.convs.clear();
    this.fc.dispose();
  }
}
