import * as tf from '@tensorflow/tfjs';
import type { TFLiteModel, TFLiteOperator, TFLiteTensor } from '../../src/models/tflite/reader.js';

/**
 * A float32 TFLite graph (as read by src/models/tflite/reader.ts) run op by op with tfjs ops:
 * the subset that image embedding nets are made of (convolutions, pooling, fully connected,
 * element-wise arithmetic and activations, reshapes, concatenation, padding, normalisation).
 * The batch size the file declares is ignored (reshapes keep the batch dimension), so any
 * number of faces runs in one call. An op outside the subset is refused when the file is
 * loaded, naming it.
 */

type Act = (x: tf.Tensor) => tf.Tensor;
const ACTIVATIONS: Record<string, Act> = {
  NONE: (x) => x,
  RELU: (x) => tf.relu(x),
  RELU6: (x) => tf.relu6(x),
  RELU_N1_TO_1: (x) => tf.clipByValue(x, -1, 1),
  TANH: (x) => tf.tanh(x),
};

/** OHWI (TFLite conv) -> HWIO (tfjs conv2d). */
function ohwiToHwio(t: tf.Tensor): tf.Tensor4D {
  return tf.transpose(t, [1, 2, 3, 0]) as tf.Tensor4D;
}

type Env = (id: number) => tf.Tensor;
type OpRun = (op: TFLiteOperator, get: Env, constInts: (id: number) => number[]) => tf.Tensor;

const conv = (op: TFLiteOperator, get: Env, depthwise: boolean): tf.Tensor => {
  const o = op.options;
  const x = get(op.inputs[0]) as tf.Tensor4D;
  const w = get(op.inputs[1]);
  const strides: [number, number] = [o.strideH as number, o.strideW as number];
  const dilations: [number, number] = [(o.dilationH as number) || 1, (o.dilationW as number) || 1];
  const pad = o.padding === 'VALID' ? 'valid' : 'same';
  // depthwise filters are [1, H, W, C * multiplier]; tfjs wants [H, W, C, multiplier]
  const y = depthwise
    ? tf.depthwiseConv2d(x, tf.reshape(w, [w.shape[1]!, w.shape[2]!, x.shape[3], (w.shape[3]! / x.shape[3])]) as tf.Tensor4D, strides, pad, 'NHWC', dilations)
    : tf.conv2d(x, ohwiToHwio(w), strides, pad, 'NHWC', dilations);
  const b = op.inputs[2] >= 0 ? tf.add(y, get(op.inputs[2])) : y;
  return ACTIVATIONS[o.activation as string](b);
};

const binary = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpRun => (op, get) =>
  ACTIVATIONS[(op.options.activation as string | undefined) ?? 'NONE'](f(get(op.inputs[0]), get(op.inputs[1])));
const unary = (f: (a: tf.Tensor) => tf.Tensor): OpRun => (op, get) => f(get(op.inputs[0]));
const pool = (f: typeof tf.avgPool): OpRun => (op, get) => {
  const o = op.options;
  const y = f(get(op.inputs[0]) as tf.Tensor4D, [o.filterH as number, o.filterW as number], [o.strideH as number, o.strideW as number], o.padding === 'VALID' ? 'valid' : 'same');
  return ACTIVATIONS[o.activation as string](y);
};
/** A target shape with the file's batch size replaced by the actual one. */
const withBatch = (shape: number[], x: tf.Tensor): number[] => {
  if (shape.length === 0) return [x.shape[0]!, -1];
  const rest = shape.slice(1);
  return rest.includes(-1) ? [x.shape[0]!, ...rest] : [-1, ...rest];
};
const axesOf = (ids: number[], x: tf.Tensor): number[] => ids.map((a) => (a < 0 ? a + x.rank : a));

const OPS: Record<string, OpRun> = {
  CONV_2D: (op, get) => conv(op, get, false),
  DEPTHWISE_CONV_2D: (op, get) => conv(op, get, true),
  FULLY_CONNECTED: (op, get) => {
    const x = get(op.inputs[0]);
    const w = get(op.inputs[1]); // [out, in]
    const flat = tf.reshape(x, [-1, w.shape[1]!]);
    const y = tf.matMul(flat, w, false, true);
    return ACTIVATIONS[op.options.activation as string](op.inputs[2] >= 0 ? tf.add(y, get(op.inputs[2])) : y);
  },
  ADD: binary(tf.add),
  SUB: binary(tf.sub),
  MUL: binary(tf.mul),
  DIV: binary(tf.div),
  MAXIMUM: binary(tf.maximum),
  MINIMUM: binary(tf.minimum),
  SQUARED_DIFFERENCE: binary(tf.squaredDifference),
  RELU: unary(tf.relu),
  RELU6: unary(tf.relu6),
  ABS: unary(tf.abs),
  NEG: unary(tf.neg),
  LOGISTIC: unary(tf.sigmoid),
  TANH: unary(tf.tanh),
  EXP: unary(tf.exp),
  SQRT: unary(tf.sqrt),
  RSQRT: unary(tf.rsqrt),
  SQUARE: unary(tf.square),
  HARD_SWISH: unary((x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6))),
  PRELU: (op, get) => tf.prelu(get(op.inputs[0]), get(op.inputs[1])),
  LEAKY_RELU: (op, get) => tf.leakyRelu(get(op.inputs[0]), op.options.alpha as number),
  DEQUANTIZE: unary((x) => tf.cast(x, 'float32')),
  AVERAGE_POOL_2D: pool(tf.avgPool),
  MAX_POOL_2D: pool(tf.maxPool),
  RESHAPE: (op, get, ints) => {
    const x = get(op.inputs[0]);
    const shape = op.inputs[1] !== undefined && op.inputs[1] >= 0 ? ints(op.inputs[1]) : (op.options.newShape as number[]);
    return tf.reshape(x, withBatch(shape, x));
  },
  SQUEEZE: (op, get) => {
    const x = get(op.inputs[0]);
    const dims = (op.options.squeezeDims as number[] | undefined)?.filter((d) => d !== 0);
    return tf.squeeze(x, dims && dims.length ? axesOf(dims, x) : x.shape.map((d, i) => (d === 1 && i > 0 ? i : -1)).filter((i) => i > 0));
  },
  MEAN: (op, get, ints) => { const x = get(op.inputs[0]); return tf.mean(x, axesOf(ints(op.inputs[1]), x), op.options.keepDims as boolean); },
  SUM: (op, get, ints) => { const x = get(op.inputs[0]); return tf.sum(x, axesOf(ints(op.inputs[1]), x), op.options.keepDims as boolean); },
  REDUCE_MAX: (op, get, ints) => { const x = get(op.inputs[0]); return tf.max(x, axesOf(ints(op.inputs[1]), x), op.options.keepDims as boolean); },
  CONCATENATION: (op, get) => {
    const xs = op.inputs.map(get);
    return ACTIVATIONS[op.options.activation as string](tf.concat(xs, axesOf([op.options.axis as number], xs[0])[0]));
  },
  PAD: (op, get, ints) => {
    const p = ints(op.inputs[1]);
    return tf.pad(get(op.inputs[0]), Array.from({ length: p.length / 2 }, (_, i) => [p[2 * i], p[2 * i + 1]] as [number, number]));
  },
  SOFTMAX: (op, get) => tf.softmax(tf.mul(get(op.inputs[0]), (op.options.beta as number) || 1)),
  L2_NORMALIZATION: (op, get) => { const x = get(op.inputs[0]); return tf.div(x, tf.maximum(tf.norm(x, 'euclidean', -1, true), 1e-12)); },
};

/** The graph's constants as tensors (kept by the caller as model weights) and a forward pass over them. */
export interface TFLiteGraph {
  inputShape: number[];
  /** Output tensor names, in the file's order. */
  outputs: string[];
  forward(x: tf.Tensor4D, output: string): tf.Tensor;
  dispose(): void;
}

function constantTensor(t: TFLiteTensor): tf.Tensor | undefined {
  if (!t.data || !t.data.length) return undefined;
  const bytes = t.data.slice(); // aligned copy (file data need not be)
  const shape = t.shape;
  if (t.type === 'float32') return tf.tensor(new Float32Array(bytes.buffer), shape, 'float32');
  if (t.type === 'int32') return tf.tensor(new Int32Array(bytes.buffer), shape, 'int32');
  if (t.type === 'int64') return tf.tensor(Int32Array.from(new BigInt64Array(bytes.buffer), Number), shape, 'int32');
  if (t.type === 'float16') return tf.tensor(float16ToFloat32(new Uint16Array(bytes.buffer)), shape, 'float32');
  return undefined;
}

function float16ToFloat32(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const s = h[i] & 0x8000 ? -1 : 1;
    const e = (h[i] >> 10) & 0x1f;
    const f = h[i] & 0x3ff;
    out[i] = s * (e === 0 ? f * 2 ** -24 : e === 31 ? (f ? NaN : Infinity) : (1 + f / 1024) * 2 ** (e - 15));
  }
  return out;
}

/** Refuse a file this runner cannot execute (an unknown op, quantized activations), naming the op. Pure. */
export function checkTFLiteGraph(model: TFLiteModel, name: string): void {
  const input = model.tensors[model.inputs[0]];
  if (!input || input.shape.length !== 4) throw new Error(`${name}: expected one image input [batch, height, width, channels], got [${input?.shape ?? ''}]`);
  for (const op of model.operators) {
    if (!OPS[op.opcode]) throw new Error(`${name}: operator ${op.index} is ${op.opcode}, which the TFLite runner does not support (supported: ${Object.keys(OPS).join(', ')})`);
  }
  for (const id of model.inputs.concat(model.outputs)) {
    const t = model.tensors[id];
    if (t.type !== 'float32') throw new Error(`${name}: tensor "${t.name}" is ${t.type}: only float32 models run here (no quantized inputs or outputs)`);
  }
}

/** Make the constants tensors (synchronously, so the caller can count them as held) and return the runner. */
export function buildTFLiteGraph(model: TFLiteModel): TFLiteGraph {
  const consts = new Map<number, tf.Tensor>();
  model.tensors.forEach((t, id) => {
    const c = constantTensor(t);
    if (c) consts.set(id, c);
  });
  const ints = (id: number): number[] => {
    const t = model.tensors[id];
    if (!t.data) throw new Error(`TFLite: tensor "${t.name}" should be a constant`);
    const bytes = t.data.slice();
    return t.type === 'int64' ? Array.from(new BigInt64Array(bytes.buffer), Number) : Array.from(new Int32Array(bytes.buffer));
  };
  const outputs = model.outputs.map((id) => model.tensors[id].name);
  return {
    inputShape: model.tensors[model.inputs[0]].shape,
    outputs,
    forward(x, output) {
      const want = output ? model.outputs[outputs.indexOf(output)] : model.outputs[0];
      const values = new Map<number, tf.Tensor>([[model.inputs[0], x]]);
      const get: Env = (id) => {
        const v = values.get(id) ?? consts.get(id);
        if (!v) throw new Error(`TFLite: tensor "${model.tensors[id]?.name ?? id}" is used before it is computed`);
        return v;
      };
      for (const op of model.operators) {
        values.set(op.outputs[0], OPS[op.opcode](op, get, ints));
        if (op.outputs[0] === want) break;
      }
      return get(want);
    },
    dispose: () => tf.dispose([...consts.values()]),
  };
}
