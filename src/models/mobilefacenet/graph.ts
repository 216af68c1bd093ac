import { tensorFloat32, type TFLiteModel, type TFLiteOperator } from '../tflite/reader.js';

/**
 * MobileFaceNet's TFLite graph turned into a short program of layers the net runs with its
 * own tfjs ops. Convolutions carry folded batch-norm biases; each PReLU is written in the
 * file as five primitive ops, relu(x) + c * (x - |x|), i.e. PReLU with alpha = 2c, and is
 * fused into the convolution before it.
 */

export interface ConvStep {
  kind: 'conv';
  depthwise: boolean;
  input: number;
  output: number;
  /** HWIO for conv2d, [h, w, c, 1] for depthwise. */
  filter: { shape: [number, number, number, number]; values: Float32Array };
  bias: Float32Array;
  stride: number;
  padding: 'same' | 'valid';
  /** PReLU slopes per channel, when a PReLU follows. */
  alpha?: Float32Array;
  /** The file's name for this step's output tensor. */
  name: string;
}

export interface AddStep { kind: 'add'; a: number; b: number; output: number; name: string }
export interface ReshapeStep { kind: 'reshape'; input: number; output: number; name: string }
export type Step = ConvStep | AddStep | ReshapeStep;

export interface MobileFaceNetGraph {
  input: number;
  output: number;
  steps: Step[];
  /** Tensor id of the last 7x7x512 map (input of the global depthwise conv). */
  tap: number;
  tapName: string;
  embeddingSize: number;
  inputSize: number;
}

function constant(model: TFLiteModel, id: number): Float32Array {
  return tensorFloat32(model, model.tensors[id]);
}

/** OHWI -> HWIO. */
function ohwiToHwio(values: Float32Array, [o, h, w, i]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let oo = 0; oo < o; oo++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ii = 0; ii < i; ii++) {
    out[((y * w + x) * i + ii) * o + oo] = values[((oo * h + y) * w + x) * i + ii];
  }
  return out;
}

/** Match relu(x) + c * (x - |x|) starting at operator k, reading x = `x`. Returns alpha and the result tensor. */
function matchPrelu(model: TFLiteModel, ops: TFLiteOperator[], k: number, x: number): { alpha: Float32Array; output: number; next: number } | undefined {
  const [relu, abs, sub, mul, add] = ops.slice(k, k + 5);
  if (!add || relu.opcode !== 'RELU' || abs.opcode !== 'ABS' || sub.opcode !== 'SUB' || mul.opcode !== 'MUL' || add.opcode !== 'ADD') return undefined;
  if (relu.inputs[0] !== x || abs.inputs[0] !== x || sub.inputs[0] !== x || sub.inputs[1] !== abs.outputs[0]) return undefined;
  const cId = mul.inputs.find((i) => i !== sub.outputs[0])!;
  if (!model.tensors[cId]?.data || !mul.inputs.includes(sub.outputs[0])) return undefined;
  if (!add.inputs.includes(relu.outputs[0]) || !add.inputs.includes(mul.outputs[0])) return undefined;
  const c = constant(model, cId);
  return { alpha: c.map((v) => 2 * v), output: add.outputs[0], next: k + 5 };
}

/** Read the layer program from the parsed file; throws on any op this builder does not know. */
export function buildMobileFaceNetGraph(model: TFLiteModel): MobileFaceNetGraph {
  const ops = model.operators;
  const steps: Step[] = [];
  let tap = -1;
  let k = 0;
  while (k < ops.length) {
    const op = ops[k];
    if (op.opcode === 'CONV_2D' || op.opcode === 'DEPTHWISE_CONV_2D') {
      if (op.options.activation !== 'NONE') throw new Error(`MobileFaceNet: op ${k} has fused activation ${op.options.activation}`);
      if (op.options.strideW !== op.options.strideH) throw new Error(`MobileFaceNet: op ${k} has unequal strides`);
      const w = model.tensors[op.inputs[1]];
      const depthwise = op.opcode === 'DEPTHWISE_CONV_2D';
      const raw = constant(model, op.inputs[1]);
      const filter: ConvStep['filter'] = depthwise
        ? { shape: [w.shape[1], w.shape[2], w.shape[3], 1], values: raw } // [1,H,W,C] is already H,W,C order
        : { shape: [w.shape[1], w.shape[2], w.shape[3], w.shape[0]], values: ohwiToHwio(raw, w.shape) };
      if (depthwise && (op.options.depthMultiplier !== 1 || w.shape[0] !== 1)) throw new Error(`MobileFaceNet: op ${k} depth multiplier is not 1`);
      if (depthwise && w.shape[1] === 7 && op.options.padding === 'VALID') tap = op.inputs[0];
      const step: ConvStep = {
        kind: 'conv', depthwise, input: op.inputs[0], output: op.outputs[0], filter,
        bias: op.inputs[2] >= 0 ? constant(model, op.inputs[2]) : new Float32Array(filter.shape[depthwise ? 2 : 3]),
        stride: op.options.strideW as number, padding: op.options.padding === 'VALID' ? 'valid' : 'same',
        name: model.tensors[op.outputs[0]].name,
      };
      const prelu = matchPrelu(model, ops, k + 1, op.outputs[0]);
      if (prelu) {
        step.alpha = prelu.alpha;
        step.output = prelu.output;
        step.name = model.tensors[prelu.output].name;
        k = prelu.next;
      } else k++;
      steps.push(step);
    } else if (op.opcode === 'ADD' && op.inputs.every((i) => !model.tensors[i].data)) {
      steps.push({ kind: 'add', a: op.inputs[0], b: op.inputs[1], output: op.outputs[0], name: model.tensors[op.outputs[0]].name });
      k++;
    } else if (op.opcode === 'RESHAPE') {
      steps.push({ kind: 'reshape', input: op.inputs[0], output: op.outputs[0], name: model.tensors[op.outputs[0]].name });
      k++;
    } else {
      throw new Error(`MobileFaceNet: unexpected ${op.opcode} at op ${k} (not part of a conv + PReLU block)`);
    }
  }
  if (tap < 0) throw new Error('MobileFaceNet: no 7x7 global depthwise conv found');
  const input = model.inputs[0];
  const output = model.outputs[0];
  return {
    input, output, steps, tap, tapName: model.tensors[tap].name,
    embeddingSize: model.tensors[output].shape.at(-1)!, inputSize: model.tensors[input].shape[1],
  };
}
