import { FlatBuffer, type FlatTable } from './flatbuffer.js';

/**
 * Reader for TFLite model files (schema v3): tensors with their names, shapes and weights,
 * and operators with their opcodes, inputs, outputs and common builtin options. Enough to
 * rebuild a float32 network from its own ops; it does not execute anything.
 */

/** TensorType enum of the schema, by value. */
const TENSOR_TYPES = ['float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8', 'float64', 'complex128', 'uint64', 'resource', 'variant', 'uint32', 'uint16', 'int4'] as const;
export type TFLiteTensorType = (typeof TENSOR_TYPES)[number];

/** BuiltinOperator enum of the schema, by value (0..126). */
const BUILTIN_OPERATORS = (
  'ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP FLOOR ' +
  'FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION ' +
  'LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH ' +
  'CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER ' +
  'BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE ' +
  'BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ' +
  'ARG_MAX MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE ' +
  'TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK ' +
  'LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD ' +
  'RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N ' +
  'GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE ' +
  'NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL'
).split(' ');

const ACTIVATIONS = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const;
const PADDINGS = ['SAME', 'VALID'] as const;

export type TFLiteOptionValue = number | boolean | string | number[];
export type TFLiteOptions = Record<string, TFLiteOptionValue>;

/** Decoders for the BuiltinOptions union members that conv nets use, keyed by union type. */
const OPTION_DECODERS: Record<number, (t: FlatTable) => TFLiteOptions> = {
  // Conv2DOptions
  1: (t) => ({
    padding: PADDINGS[t.int8(0)], strideW: t.int32(1), strideH: t.int32(2),
    activation: ACTIVATIONS[t.int8(3)], dilationW: t.int32(4, 1), dilationH: t.int32(5, 1),
  }),
  // DepthwiseConv2DOptions
  2: (t) => ({
    padding: PADDINGS[t.int8(0)], strideW: t.int32(1), strideH: t.int32(2), depthMultiplier: t.int32(3),
    activation: ACTIVATIONS[t.int8(4)], dilationW: t.int32(5, 1), dilationH: t.int32(6, 1),
  }),
  // Pool2DOptions
  5: (t) => ({
    padding: PADDINGS[t.int8(0)], strideW: t.int32(1), strideH: t.int32(2),
    filterW: t.int32(3), filterH: t.int32(4), activation: ACTIVATIONS[t.int8(5)],
  }),
  // FullyConnectedOptions
  8: (t) => ({ activation: ACTIVATIONS[t.int8(0)], keepNumDims: t.bool(2) }),
  // SoftmaxOptions
  9: (t) => ({ beta: t.float32(0) }),
  // ConcatenationOptions
  10: (t) => ({ axis: t.int32(0), activation: ACTIVATIONS[t.int8(1)] }),
  // AddOptions, MulOptions, SubOptions, DivOptions
  11: (t) => ({ activation: ACTIVATIONS[t.int8(0)] }),
  21: (t) => ({ activation: ACTIVATIONS[t.int8(0)] }),
  28: (t) => ({ activation: ACTIVATIONS[t.int8(0)] }),
  29: (t) => ({ activation: ACTIVATIONS[t.int8(0)] }),
  // ReshapeOptions
  17: (t) => ({ newShape: t.int32s(0) }),
  // ReducerOptions (MEAN, SUM, REDUCE_MAX, ...)
  27: (t) => ({ keepDims: t.bool(0) }),
  // SqueezeOptions
  30: (t) => ({ squeezeDims: t.int32s(0) }),
  // LeakyReluOptions
  75: (t) => ({ alpha: t.float32(0) }),
};

export interface TFLiteTensor {
  index: number;
  name: string;
  shape: number[];
  type: TFLiteTensorType;
  /** Raw little-endian bytes for constant tensors (a view into the file); undefined for activations. */
  data?: Uint8Array;
}

export interface TFLiteOperator {
  index: number;
  /** Builtin operator name, e.g. 'CONV_2D', or 'CUSTOM:<code>'. */
  opcode: string;
  builtinCode: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  /** Decoded builtin options for common ops (padding, strides, filter size, activation, ...); {} otherwise. */
  options: TFLiteOptions;
}

export interface TFLiteModel {
  version: number;
  description: string;
  tensors: TFLiteTensor[];
  operators: TFLiteOperator[];
  /** Tensor indices of the (first) subgraph's inputs and outputs. */
  inputs: number[];
  outputs: number[];
}

/** Parse a .tflite file. Only the first subgraph is read (the main graph). */
export function readTFLite(bytes: Uint8Array, name = 'model'): TFLiteModel {
  const fb = new FlatBuffer(bytes);
  if (fb.identifier !== 'TFL3') throw new Error(`${name}: not a TFLite v3 flatbuffer (identifier "${fb.identifier}")`);
  const model = fb.root();
  const version = model.uint32(0);
  const opcodes = model.tables(1).map((c) => {
    // Older files store the code only in the int8 deprecated field; newer ones in both.
    const code = Math.max(c.int8(0), c.int32(3));
    return { code, name: code === 32 ? `CUSTOM:${c.string(1) ?? ''}` : BUILTIN_OPERATORS[code] ?? `BUILTIN_${code}` };
  });
  const buffers = model.tables(4).map((b) => {
    const data = b.bytes(0);
    if (data && data.length) return data;
    const offset = b.uint64(1);
    const size = b.uint64(2);
    return offset > 1 && size ? bytes.subarray(offset, offset + size) : undefined;
  });
  const subgraph = model.tables(2)[0];
  if (!subgraph) throw new Error(`${name}: the model has no subgraph`);
  const tensors = subgraph.tables(0).map((t, index): TFLiteTensor => {
    const type = TENSOR_TYPES[t.int8(1)];
    if (!type) throw new Error(`${name}: tensor ${index} has unknown type ${t.int8(1)}`);
    return { index, name: t.string(3) ?? `tensor_${index}`, shape: t.int32s(0), type, data: buffers[t.uint32(2)] };
  });
  const operators = subgraph.tables(3).map((op, index): TFLiteOperator => {
    const opcode = opcodes[op.uint32(0)];
    if (!opcode) throw new Error(`${name}: operator ${index} has an invalid opcode index`);
    const optionsTable = op.table(4);
    const decode = OPTION_DECODERS[op.uint8(3)];
    return {
      index,
      opcode: opcode.name,
      builtinCode: opcode.code,
      inputs: op.int32s(1),
      outputs: op.int32s(2),
      options: optionsTable && decode ? decode(optionsTable) : {},
    };
  });
  return { version, description: model.string(3) ?? '', tensors, operators, inputs: subgraph.int32s(1), outputs: subgraph.int32s(2) };
}

/** A float32 constant tensor's values, copied into a fresh (aligned) Float32Array. */
export function tensorFloat32(_model: TFLiteModel, tensor: TFLiteTensor): Float32Array {
  if (tensor.type !== 'float32') throw new Error(`tensor "${tensor.name}" is ${tensor.type}, expected float32`);
  if (!tensor.data) throw new Error(`tensor "${tensor.name}" has no constant data`);
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (tensor.data.byteLength !== count * 4) {
    throw new Error(`tensor "${tensor.name}": ${tensor.data.byteLength} bytes for shape [${tensor.shape}]`);
  }
  // slice() copies into a new ArrayBuffer, so the view is 4-byte aligned (file data need not be).
  // TFLite stores little-endian; every platform tfjs runs on is little-endian too.
  return new Float32Array(tensor.data.slice().buffer);
}

/** Every float32 constant tensor by name, values copied. */
export function constantTensors(model: TFLiteModel): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of model.tensors) {
    if (t.type === 'float32' && t.data && t.data.length) out.set(t.name, { shape: t.shape, values: tensorFloat32(model, t) });
  }
  return out;
}
