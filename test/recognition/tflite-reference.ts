import * as tf from '@tensorflow/tfjs';
import { tensorFloat32, type TFLiteModel } from '../../src/models/tflite/reader.js';

/**
 * A literal op-by-op interpreter of a float TFLite graph (conv, depthwise conv, relu, abs,
 * sub, mul, add, reshape), with no fusion: the reference the project's nets are checked against.
 */
export function runTFLiteReference(model: TFLiteModel, input: tf.Tensor, upTo?: number): Map<number, tf.Tensor> {
  const v = new Map<number, tf.Tensor>();
  v.set(model.inputs[0], input);
  const get = (id: number) => {
    const t = v.get(id);
    if (t) return t;
    const m = model.tensors[id];
    const c = tf.tensor(tensorFloat32(model, m), m.shape.length ? m.shape : []);
    v.set(id, c);
    return c;
  };
  for (const op of model.operators.slice(0, upTo)) {
    const o = op.options;
    const pad = o.padding === 'VALID' ? 'valid' : 'same';
    let out: tf.Tensor;
    switch (op.opcode) {
      case 'CONV_2D': {
        const w = get(op.inputs[1]).transpose([1, 2, 3, 0]) as tf.Tensor4D; // OHWI -> HWIO
        out = tf.conv2d(get(op.inputs[0]) as tf.Tensor4D, w, [o.strideH as number, o.strideW as number], pad).add(get(op.inputs[2]));
        break;
      }
      case 'DEPTHWISE_CONV_2D': {
        const w = get(op.inputs[1]).transpose([1, 2, 3, 0]) as tf.Tensor4D; // [1,H,W,C] -> [H,W,C,1]
        out = tf.depthwiseConv2d(get(op.inputs[0]) as tf.Tensor4D, w, [o.strideH as number, o.strideW as number], pad).add(get(op.inputs[2]));
        break;
      }
      case 'RELU': out = tf.relu(get(op.inputs[0])); break;
      case 'ABS': out = tf.abs(get(op.inputs[0])); break;
      case 'SUB': out = tf.sub(get(op.inputs[0]), get(op.inputs[1])); break;
      case 'MUL': out = tf.mul(get(op.inputs[0]), get(op.inputs[1])); break;
      case 'ADD': out = tf.add(get(op.inputs[0]), get(op.inputs[1])); break;
      case 'RESHAPE': out = get(op.inputs[0]).reshape([input.shape[0], -1]); break;
      default: throw new Error(`reference interpreter: no ${op.opcode}`);
    }
    v.set(op.outputs[0], out);
  }
  return v;
}
