import * as tf from '@tensorflow/tfjs';
import { constantTensors, type TFLiteModel } from '../tflite/reader.js';

/**
 * P-Net, R-Net and O-Net of MTCNN (Zhang et al. 2016) as tfjs ops, built from the TFLite
 * weights of the Caffe -> facenet lineage. Three layout facts are dealt with once, here:
 *  - conv kernels are stored OHWI (tfjs wants HWIO), FC weights [out, in] (matMul wants [in, out]);
 *  - the nets were trained on transposed images; swapping kh<->kw in every kernel and permuting
 *    the rows of the first FC layer (flattened as (w, h, c)) lets them run on upright images;
 *  - the input normalisation (x - 127.5) / 128 is folded into the first conv, so the nets take
 *    raw 0..255 RGB (its convs are VALID, so the fold is exact, and crops padded with 0 are black).
 * The two or three heads of each net are merged into one conv/matMul whose first channel is the
 * face logit difference (softmax p1 = sigmoid(l1 - l0)), then box regression, then landmarks.
 */

type Weights = Map<string, { shape: number[]; values: Float32Array }>;

const INPUT_MEAN = 127.5;
const INPUT_SCALE = 1 / 128;

interface ConvPrelu {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  alpha: tf.Tensor1D;
}

interface DensePrelu {
  weights: tf.Tensor2D;
  bias: tf.Tensor1D;
  alpha: tf.Tensor1D;
}

interface Head<W extends tf.Tensor> {
  weights: W;
  bias: tf.Tensor1D;
}

function get(weights: Weights, name: string, net: string) {
  const w = weights.get(name);
  if (!w) throw new Error(`${net}.tflite: tensor "${name}" not found`);
  return w;
}

/** OHWI kernel (for transposed images) -> HWIO kernel for upright images: K[h][w][i][o] = W[o][w][h][i]. */
export function uprightKernel(values: Float32Array, shape: number[]): { values: Float32Array; shape: [number, number, number, number] } {
  const [O, KH, KW, I] = shape;
  const out = new Float32Array(values.length);
  // Output kernel has height KW and width KH.
  for (let o = 0; o < O; o++) {
    for (let p = 0; p < KH; p++) {
      for (let q = 0; q < KW; q++) {
        for (let i = 0; i < I; i++) out[((q * KH + p) * I + i) * O + o] = values[((o * KH + p) * KW + q) * I + i];
      }
    }
  }
  return { values: out, shape: [KW, KH, I, O] };
}

/**
 * FC weights [out, in] whose input was flattened from a transposed map [W, H, C] -> matrix
 * [in, out] for an upright map [H, W, C] flattened row-major.
 */
export function uprightDense(values: Float32Array, shape: number[], h: number, w: number, c: number): Float32Array {
  const [O, I] = shape;
  if (I !== h * w * c) throw new Error(`dense layer expects ${I} inputs, not ${h}x${w}x${c}`);
  const out = new Float32Array(values.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        const ours = (y * w + x) * c + ch;
        const theirs = (x * h + y) * c + ch;
        for (let o = 0; o < O; o++) out[ours * O + o] = values[o * I + theirs];
      }
    }
  }
  return out;
}

function convPrelu(weights: Weights, net: string, conv: string, prelu: string, first = false): ConvPrelu {
  const w = get(weights, `${net}/${conv}/weights/read`, net);
  const b = get(weights, `${net}/${conv}/Conv2D_bias`, net);
  const a = get(weights, `${net}/${prelu}/alpha/read`, net);
  const k = uprightKernel(w.values, w.shape);
  const bias = Float32Array.from(b.values);
  if (first) foldInputNormalisation(k.values, k.shape, bias);
  return { filter: tf.tensor4d(k.values, k.shape), bias: tf.tensor1d(bias), alpha: tf.tensor1d(a.values) };
}

/** conv(K, (x - m) * s) = conv(K * s, x) - m * s * sum(K) for VALID convs. */
function foldInputNormalisation(kernel: Float32Array, shape: number[], bias: Float32Array): void {
  const O = shape[3];
  const sums = new Float64Array(O);
  for (let j = 0; j < kernel.length; j++) sums[j % O] += kernel[j];
  for (let j = 0; j < kernel.length; j++) kernel[j] *= INPUT_SCALE;
  for (let o = 0; o < O; o++) bias[o] -= INPUT_MEAN * INPUT_SCALE * sums[o];
}

/**
 * Merge the heads into one [in, out] matrix: column 0 = face logit minus background logit,
 * then the other heads' columns in order.
 */
function mergedHead(weights: Weights, net: string, prob: string, others: string[], conv: boolean): { values: Float32Array; bias: Float32Array; inputs: number } {
  const suffix = conv ? 'weights/read' : 'weights/read/transpose';
  const biasName = (l: string) => (conv ? `${net}/${l}/Conv2D_bias` : `${net}/${l}/${l}/MatMul_bias`);
  const p = get(weights, `${net}/${prob}/${suffix}`, net);
  const inputs = p.shape[p.shape.length - 1];
  const rows = [p, ...others.map((l) => get(weights, `${net}/${l}/${suffix}`, net))];
  const biases = [prob, ...others].map((l) => get(weights, biasName(l), net).values);
  const outs = 1 + rows.slice(1).reduce((n, r) => n + r.shape[0], 0);
  const values = new Float32Array(inputs * outs);
  const bias = new Float32Array(outs);
  for (let i = 0; i < inputs; i++) values[i * outs] = p.values[inputs + i] - p.values[i];
  bias[0] = biases[0][1] - biases[0][0];
  let col = 1;
  rows.slice(1).forEach((r, k) => {
    for (let o = 0; o < r.shape[0]; o++, col++) {
      for (let i = 0; i < inputs; i++) values[i * outs + col] = r.values[o * inputs + i];
      bias[col] = biases[k + 1][o];
    }
  });
  return { values, bias, inputs };
}

function applyConv(x: tf.Tensor4D, l: ConvPrelu): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: l.filter, strides: 1, pad: 'valid', bias: l.bias, activation: 'prelu', preluActivationWeights: l.alpha });
}

function applyDense(x: tf.Tensor2D, l: DensePrelu): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: l.weights, bias: l.bias, activation: 'prelu', preluActivationWeights: l.alpha }) as tf.Tensor2D;
}

function disposeAll(obj: object): void {
  for (const v of Object.values(obj)) {
    if (v instanceof tf.Tensor) v.dispose();
    else if (v && typeof v === 'object') disposeAll(v);
  }
}

/** P-Net: fully convolutional, stride 2, 12x12 cells. Output [n, h', w', 5]: face logit diff, dx1, dy1, dx2, dy2. */
export class PNet {
  private readonly conv1: ConvPrelu;
  private readonly conv2: ConvPrelu;
  private readonly conv3: ConvPrelu;
  private readonly head: Head<tf.Tensor4D>;

  constructor(model: TFLiteModel) {
    const w = constantTensors(model);
    this.conv1 = convPrelu(w, 'pnet', 'conv1', 'PReLU1', true);
    this.conv2 = convPrelu(w, 'pnet', 'conv2', 'PReLU2');
    this.conv3 = convPrelu(w, 'pnet', 'conv3', 'PReLU3');
    const h = mergedHead(w, 'pnet', 'conv4-1', ['conv4-2'], true);
    this.head = { weights: tf.tensor4d(h.values, [1, 1, h.inputs, 5]), bias: tf.tensor1d(h.bias) };
  }

  /** `x`: [n, h, w, 3] RGB 0..255, h and w >= 12. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = applyConv(x, this.conv1);
      y = tf.maxPool(y, 2, 2, 'same');
      y = applyConv(y, this.conv2);
      y = applyConv(y, this.conv3);
      return tf.fused.conv2d({ x: y, filter: this.head.weights, strides: 1, pad: 'valid', bias: this.head.bias });
    });
  }

  dispose(): void {
    disposeAll(this);
  }
}

/** How R-Net and O-Net differ: their layers' names, the flattened map the FC layer reads, the heads. */
interface RefineSpec {
  net: 'rnet' | 'onet';
  /** [conv, PReLU] layer names in order. */
  convs: [string, string][];
  /** FC layer and its PReLU. */
  fc: [string, string];
  /** The map the FC layer flattens, [h, w, c]. */
  flat: [number, number, number];
  /** Face-probability head first, then the others in output order. */
  heads: [string, ...string[]];
}

/** Max pools after conv 1, 2 and 3 (the last conv is never pooled): [size, padding], stride 2. */
const REFINE_POOLS: [number, 'same' | 'valid'][] = [[3, 'same'], [3, 'valid'], [2, 'same']];

/** R-Net and O-Net: convs with PReLU and max pools, an FC layer with PReLU, merged heads. */
class RefineNet {
  private readonly convs: ConvPrelu[];
  private readonly fc: DensePrelu;
  private readonly head: Head<tf.Tensor2D>;

  constructor(model: TFLiteModel, spec: RefineSpec) {
    const w = constantTensors(model);
    const { net } = spec;
    this.convs = spec.convs.map(([conv, prelu], i) => convPrelu(w, net, conv, prelu, i === 0));
    const fc = get(w, `${net}/${spec.fc[0]}/weights/read/transpose`, net);
    const [h, wd, c] = spec.flat;
    this.fc = {
      weights: tf.tensor2d(uprightDense(fc.values, fc.shape, h, wd, c), [h * wd * c, fc.shape[0]]),
      bias: tf.tensor1d(get(w, `${net}/${spec.fc[0]}/${spec.fc[0]}/MatMul_bias`, net).values),
      alpha: tf.tensor1d(get(w, `${net}/${spec.fc[1]}/alpha/read`, net).values),
    };
    const [prob, ...others] = spec.heads;
    const m = mergedHead(w, net, prob, others, false);
    this.head = { weights: tf.tensor2d(m.values, [m.inputs, m.values.length / m.inputs]), bias: tf.tensor1d(m.bias) };
  }

  /** `x`: [n, size, size, 3] RGB 0..255 crops. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let y = x;
      this.convs.forEach((l, i) => {
        y = applyConv(y, l);
        if (i < this.convs.length - 1) y = tf.maxPool(y, REFINE_POOLS[i][0], 2, REFINE_POOLS[i][1]);
      });
      const f = applyDense(tf.reshape(y, [x.shape[0], -1]), this.fc);
      return tf.fused.matMul({ a: f, b: this.head.weights, bias: this.head.bias }) as tf.Tensor2D;
    });
  }

  dispose(): void {
    disposeAll(this);
  }
}

/** R-Net on 24x24 crops. Output [n, 5]: face logit diff, dx1, dy1, dx2, dy2. */
export class RNet extends RefineNet {
  constructor(model: TFLiteModel) {
    super(model, {
      net: 'rnet', convs: [['conv1', 'prelu1'], ['conv2', 'prelu2'], ['conv3', 'prelu3']], fc: ['conv4', 'prelu4'],
      flat: [3, 3, 64], heads: ['conv5-1', 'conv5-2'],
    });
  }
}

/** O-Net on 48x48 crops. Output [n, 15]: face logit diff, dx1, dy1, dx2, dy2, x1..x5, y1..y5 (relative to the box). */
export class ONet extends RefineNet {
  constructor(model: TFLiteModel) {
    super(model, {
      net: 'onet', convs: [['conv1', 'prelu1'], ['conv2', 'prelu2'], ['conv3', 'prelu3'], ['conv4', 'prelu4']], fc: ['conv5', 'prelu5'],
      flat: [3, 3, 128], heads: ['conv6-1', 'conv6-2', 'conv6-3'],
    });
  }
}
