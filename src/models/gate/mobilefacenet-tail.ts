import * as tf from '@tensorflow/tfjs';
import type { HostIO } from '../../graph/node-definition.js';
import { holdModelTensors } from '../held-tensors.js';
import { buildMobileFaceNetGraph, type MobileFaceNetGraph } from '../mobilefacenet/index.js';
import type { ConvStep, Step } from '../mobilefacenet/graph.js';
import { readTFLite } from '../tflite/reader.js';
import { MODEL_ASSETS, readPinnedAsset } from '../weights.js';

/**
 * MobileFaceNet from its 7x7x512 tap to the raw 192-D embedding (global depthwise conv, 1x1
 * convs, flatten), run with the same layer program the recognition code builds from the TFLite
 * file: the frozen backbone continuation after the attention gate.
 */
export class MobileFaceNetTail {
  readonly tapShape: [number, number, number];
  private readonly steps: { step: Step; filter?: tf.Tensor4D; bias?: tf.Tensor1D; alpha?: tf.Tensor1D }[] = [];

  constructor(private readonly graph: MobileFaceNetGraph) {
    const known = new Set([graph.tap]);
    for (const s of graph.steps) {
      const inputs = s.kind === 'add' ? [s.a, s.b] : [s.input];
      if (!inputs.every((i) => known.has(i))) continue;
      known.add(s.output);
      if (s.kind === 'conv') {
        this.steps.push({ step: s, filter: tf.tensor4d(s.filter.values, s.filter.shape), bias: tf.tensor1d(s.bias), alpha: s.alpha && tf.tensor1d(s.alpha) });
      } else this.steps.push({ step: s });
    }
    if (!known.has(graph.output)) throw new Error('MobileFaceNet tail: the output does not depend on the tap alone');
    const first = this.steps.find((s) => s.step.kind === 'conv')?.step as ConvStep | undefined;
    this.tapShape = [first?.filter.shape[0] ?? 7, first?.filter.shape[1] ?? 7, first?.filter.shape[2] ?? 512];
  }

  /**
   * Features at the tap [n, 7, 7, 512] -> raw embeddings [n, 192] (not normalised). The global
   * depthwise conv is written as multiply + sum and the 1x1 convs as matMuls: same arithmetic,
   * and differentiable on every backend (tfjs-wasm lacks the depthwise input gradient).
   */
  run(features: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const values = new Map<number, tf.Tensor>([[this.graph.tap, features]]);
      for (const { step: s, filter, bias, alpha } of this.steps) {
        if (s.kind === 'conv') values.set(s.output, this.conv(s, values.get(s.input) as tf.Tensor4D, filter!, bias!, alpha));
        else if (s.kind === 'add') values.set(s.output, tf.add(values.get(s.a)!, values.get(s.b)!));
        else {
          const x = values.get(s.input)!;
          values.set(s.output, tf.reshape(x, [x.shape[0], -1]));
        }
      }
      return values.get(this.graph.output) as tf.Tensor2D;
    });
  }

  private conv(s: ConvStep, x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, alpha?: tf.Tensor1D): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    const [kh, kw] = filter.shape;
    let y: tf.Tensor4D;
    if (s.depthwise && s.padding === 'valid' && kh === h && kw === w) {
      y = tf.reshape(tf.sum(tf.mul(x, tf.reshape(filter, [1, kh, kw, c])), [1, 2]), [n, 1, 1, c]);
    } else if (!s.depthwise && kh === 1 && kw === 1 && s.stride === 1) {
      y = tf.reshape(tf.matMul(tf.reshape(x, [n * h * w, c]), tf.reshape(filter, [c, -1])), [n, h, w, -1]);
    } else {
      y = s.depthwise ? tf.depthwiseConv2d(x, filter, s.stride, s.padding) : tf.conv2d(x, filter, s.stride, s.padding);
    }
    y = tf.add(y, bias);
    return alpha ? (tf.prelu(y, alpha as tf.Tensor) as tf.Tensor4D) : y;
  }

  dispose(): void {
    for (const s of this.steps) for (const t of [s.filter, s.bias, s.alpha]) t?.dispose();
    this.steps.length = 0;
  }
}

const cache = new Map<string, Promise<MobileFaceNetTail>>();

/** Read MobileFaceNet.tflite (sha256-pinned) and build the tail once per backend. */
export function loadMobileFaceNetTail(io: HostIO): Promise<MobileFaceNetTail> {
  const backend = tf.getBackend();
  let p = cache.get(backend);
  if (!p) {
    p = (async () => {
      const bytes = await readPinnedAsset(io, MODEL_ASSETS.mobilefacenet);
      const graph = buildMobileFaceNetGraph(readTFLite(bytes, 'MobileFaceNet.tflite'));
      return holdModelTensors(() => new MobileFaceNetTail(graph)).value;
    })();
    cache.set(backend, p);
    p.catch(() => cache.delete(backend));
  }
  return p;
}
