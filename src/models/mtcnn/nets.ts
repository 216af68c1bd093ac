import * as tf from '@tensorflow/tfjs';
import { constantTensors, type TFLiteModel } from '../tflite/reader.js';
import { type CnnLayer, SimdCnn } from '../../wasm/cnn.js';

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

function convLayer(weights: Weights, net: string, conv: string, prelu: string, first = false): CnnLayer {
  const w = get(weights, `${net}/${conv}/weights/read`, net);
  const b = get(weights, `${net}/${conv}/Conv2D_bias`, net);
  const a = get(weights, `${net}/${prelu}/alpha/read`, net);
  const k = uprightKernel(w.values, w.shape);
  const bias = Float32Array.from(b.values);
  if (first) foldInputNormalisation(k.values, k.shape, bias);
  return { op: 'conv', filter: k.values, shape: k.shape, bias, alpha: a.values };
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

/** P-Net: fully convolutional, stride 2, 12x12 cells. Output [n, h', w', 5]: face logit diff, dx1, dy1, dx2, dy2. */
export function pnetLayers(model: TFLiteModel): CnnLayer[] {
  const w = constantTensors(model);
  const h = mergedHead(w, 'pnet', 'conv4-1', ['conv4-2'], true);
  return [
    convLayer(w, 'pnet', 'conv1', 'PReLU1', true),
    { op: 'pool', size: 2, pad: 'same' },
    convLayer(w, 'pnet', 'conv2', 'PReLU2'),
    convLayer(w, 'pnet', 'conv3', 'PReLU3'),
    { op: 'conv', filter: h.values, shape: [1, 1, h.inputs, 5], bias: h.bias },
  ];
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
function refineLayers(model: TFLiteModel, spec: RefineSpec): CnnLayer[] {
  const w = constantTensors(model);
  const { net } = spec;
  const layers: CnnLayer[] = [];
  spec.convs.forEach(([conv, prelu], i) => {
    layers.push(convLayer(w, net, conv, prelu, i === 0));
    if (i < spec.convs.length - 1) layers.push({ op: 'pool', size: REFINE_POOLS[i][0], pad: REFINE_POOLS[i][1] });
  });
  const fc = get(w, `${net}/${spec.fc[0]}/weights/read/transpose`, net);
  const [h, wd, c] = spec.flat;
  layers.push({
    op: 'dense', weights: uprightDense(fc.values, fc.shape, h, wd, c), shape: [h * wd * c, fc.shape[0]],
    bias: get(w, `${net}/${spec.fc[0]}/${spec.fc[0]}/MatMul_bias`, net).values,
    alpha: get(w, `${net}/${spec.fc[1]}/alpha/read`, net).values,
  });
  const [prob, ...others] = spec.heads;
  const m = mergedHead(w, net, prob, others, false);
  layers.push({ op: 'dense', weights: m.values, shape: [m.inputs, m.values.length / m.inputs], bias: m.bias });
  return layers;
}

/** R-Net on 24x24 crops. Output [n, 5]: face logit diff, dx1, dy1, dx2, dy2. */
export function rnetLayers(model: TFLiteModel): CnnLayer[] {
  return refineLayers(model, {
    net: 'rnet', convs: [['conv1', 'prelu1'], ['conv2', 'prelu2'], ['conv3', 'prelu3']], fc: ['conv4', 'prelu4'],
    flat: [3, 3, 64], heads: ['conv5-1', 'conv5-2'],
  });
}

/** O-Net on 48x48 crops. Output [n, 15]: face logit diff, dx1, dy1, dx2, dy2, x1..x5, y1..y5 (relative to the box). */
export function onetLayers(model: TFLiteModel): CnnLayer[] {
  return refineLayers(model, {
    net: 'onet', convs: [['conv1', 'prelu1'], ['conv2', 'prelu2'], ['conv3', 'prelu3'], ['conv4', 'prelu4']], fc: ['conv5', 'prelu5'],
    flat: [3, 3, 128], heads: ['conv6-1', 'conv6-2', 'conv6-3'],
  });
}

/** One of the three nets, on [n, h, w, 3] RGB 0..255: P-Net gives [n, h', w', 5], R-Net and O-Net [n, outputs]. */
export interface MtcnnNet {
  forward(x: tf.Tensor4D): tf.Tensor;
  dispose(): void;
}

type TfLayer =
  | { op: 'conv'; filter: tf.Tensor4D; bias: tf.Tensor1D; alpha?: tf.Tensor1D }
  | { op: 'pool'; size: number; pad: 'same' | 'valid' }
  | { op: 'dense'; weights: tf.Tensor2D; bias: tf.Tensor1D; alpha?: tf.Tensor1D };

/** The net as tfjs ops, on whatever backend is current (weights live there). */
export class TfNet implements MtcnnNet {
  private readonly layers: TfLayer[];

  constructor(layers: CnnLayer[]) {
    this.layers = layers.map((l): TfLayer => {
      const alpha = l.op !== 'pool' && l.alpha ? tf.tensor1d(l.alpha) : undefined;
      if (l.op === 'conv') return { op: 'conv', filter: tf.tensor4d(l.filter, l.shape), bias: tf.tensor1d(l.bias), alpha };
      if (l.op === 'dense') return { op: 'dense', weights: tf.tensor2d(l.weights, l.shape), bias: tf.tensor1d(l.bias), alpha };
      return l;
    });
  }

  forward(x: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      let y: tf.Tensor = x;
      for (const l of this.layers) {
        const activation = l.op !== 'pool' && l.alpha ? 'prelu' : 'linear';
        if (l.op === 'pool') y = tf.maxPool(y as tf.Tensor4D, l.size, 2, l.pad);
        else if (l.op === 'conv') {
          y = tf.fused.conv2d({ x: y as tf.Tensor4D, filter: l.filter, strides: 1, pad: 'valid', bias: l.bias, activation, preluActivationWeights: l.alpha });
        } else {
          y = tf.fused.matMul({ a: tf.reshape(y, [x.shape[0], -1]), b: l.weights, bias: l.bias, activation, preluActivationWeights: l.alpha });
        }
      }
      return y;
    });
  }

  dispose(): void {
    for (const l of this.layers) if (l.op !== 'pool') tf.dispose(Object.values(l).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
  }
}

/**
 * Activation bytes per run at most for a fully convolutional net (P-Net on a big photo's first
 * pyramid levels): larger inputs go through in bands of rows, so memory stays bounded.
 */
const MAX_BAND_BYTES = 48 << 20;

/** Rows of output a fully convolutional net's band gives: output row r reads input rows [r * stride, r * stride + field). */
export interface RowBands {
  stride: number;
  field: number;
}

/** P-Net's geometry: 12x12 windows every 2 pixels. */
export const PNET_BANDS: RowBands = { stride: 2, field: 12 };

/** The net on generated WebAssembly SIMD kernels (CPU backends): tensors in, tensors out, no weight tensors held. */
export class SimdNet implements MtcnnNet {
  private constructor(private readonly cnn: SimdCnn, private readonly bands?: RowBands, private readonly maxBandBytes = MAX_BAND_BYTES) {}

  /** `bands` for a fully convolutional net whose output rows may be computed in bands (exactly: same sums in the same order). */
  static async compile(layers: CnnLayer[], bands?: RowBands, maxBandBytes?: number): Promise<SimdNet> {
    return new SimdNet(await SimdCnn.compile(layers, 3), bands, maxBandBytes);
  }

  /** Milliseconds spent in the kernels since compile. */
  get elapsedMs(): number {
    return this.cnn.elapsedMs;
  }

  forward(x: tf.Tensor4D): tf.Tensor {
    const [n, h, w] = x.shape;
    const data = x.dataSync() as Float32Array;
    const shapes = this.cnn.shapes(n, h, w);
    const elements = Math.max(...shapes.map((s) => s[0] * s[1] * s[2] * s[3]));
    if (!this.bands || elements * 4 <= this.maxBandBytes) {
      const out = this.cnn.run(data, n, h, w);
      return tf.tensor(out.data, out.shape);
    }
    const { stride, field } = this.bands;
    const out = shapes[shapes.length - 1];
    const [, oh, ow, oc] = out;
    const result = new Float32Array(n * oh * ow * oc);
    // output rows per band, from the activation elements per input row
    const perRow = Math.max(1, Math.floor((this.maxBandBytes / 4 / (elements / (n * h)) - field) / stride) + 1);
    for (let k = 0; k < n; k++) {
      for (let r0 = 0; r0 < oh; r0 += perRow) {
        const top = r0 * stride;
        const bottom = Math.min(h, (Math.min(r0 + perRow, oh) - 1) * stride + field);
        const band = this.cnn.run(data.subarray((k * h + top) * w * 3, (k * h + bottom) * w * 3), 1, bottom - top, w);
        result.set(band.data.subarray(0, Math.min(perRow, oh - r0) * ow * oc), ((k * oh + r0) * ow) * oc);
      }
    }
    return tf.tensor(result, out);
  }

  dispose(): void {}
}
