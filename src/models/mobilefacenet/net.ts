import * as tf from '@tensorflow/tfjs';
import type { MobileFaceNetGraph, Step } from './graph.js';
import type { SimdMobileFaceNet } from './simd-net.js';

interface ConvWeights { filter: tf.Tensor4D; bias: tf.Tensor1D; alpha?: tf.Tensor1D }

/**
 * MobileFaceNet (Chen et al. 2018) on its TFLite weights, run layer by layer with tfjs fused
 * convolutions, or, given `simd`, on the CPU backends' generated SIMD kernels (same layers and
 * weights; the tfjs weights stay for the fine-tuned student, which trains on them).
 */
export class MobileFaceNet {
  readonly inputSize: number;
  readonly embeddingSize: number;
  readonly tapName: string;
  private readonly weights = new Map<Step, ConvWeights>();

  constructor(private readonly graph: MobileFaceNetGraph, private readonly simd?: SimdMobileFaceNet) {
    this.inputSize = graph.inputSize;
    this.embeddingSize = graph.embeddingSize;
    this.tapName = graph.tapName;
    for (const s of graph.steps) {
      if (s.kind !== 'conv') continue;
      this.weights.set(s, {
        filter: tf.tensor4d(s.filter.values, s.filter.shape),
        bias: tf.tensor1d(s.bias),
        alpha: s.alpha && tf.tensor1d(s.alpha),
      });
    }
  }

  /**
   * RGB input [n, 112, 112, 3] in 0..255 -> raw (not normalised) embeddings [n, 192] and
   * the last 7x7x512 feature map. Call inside tf.tidy or dispose both.
   */
  forward(rgb: tf.Tensor4D): { embeddings: tf.Tensor2D; featureMap: tf.Tensor4D } {
    if (this.simd) {
      const [embeddings, featureMap] = this.simdRun(rgb, [this.graph.output, this.graph.tap]);
      return { embeddings: embeddings as tf.Tensor2D, featureMap: featureMap as tf.Tensor4D };
    }
    return tf.tidy(() => {
      const values = this.run(rgb);
      return { embeddings: values.get(this.graph.output) as tf.Tensor2D, featureMap: values.get(this.graph.tap) as tf.Tensor4D };
    });
  }

  /** The frozen front of a fine-tuned student: RGB in 0..255 -> the map with tensor id `stopAt`. Call inside tf.tidy. */
  forwardTo(rgb: tf.Tensor4D, stopAt: number): tf.Tensor4D {
    if (this.simd) return this.simdRun(rgb, [stopAt])[0] as tf.Tensor4D;
    return this.run(rgb, stopAt).get(stopAt) as tf.Tensor4D;
  }

  /** The SIMD engine's tensors `ids` for `rgb`: [n, h, w, c] maps, [n, c] for the flat embedding. */
  private simdRun(rgb: tf.Tensor4D, ids: number[]): tf.Tensor[] {
    const n = rgb.shape[0];
    const x = rgb.dtype === 'float32' ? (rgb.dataSync() as Float32Array) : Float32Array.from(rgb.dataSync());
    return this.simd!.run(x, n, ids).map((data, i) => {
      const [h, w, c] = this.simd!.shapeOf(ids[i]);
      return ids[i] === this.graph.output ? tf.tensor2d(data, [n, c]) : tf.tensor4d(data, [n, h, w, c]);
    });
  }

  private run(rgb: tf.Tensor4D, stopAt?: number): Map<number, tf.Tensor> {
    const values = new Map<number, tf.Tensor>();
    values.set(this.graph.input, tf.div(tf.sub(tf.cast(rgb, 'float32'), 127.5), 128));
    for (const s of this.graph.steps) {
      if (stopAt !== undefined && values.has(stopAt)) break;
      if (s.kind === 'conv') {
        const w = this.weights.get(s)!;
        const x = values.get(s.input) as tf.Tensor4D;
        const args = { x, filter: w.filter, strides: s.stride, pad: s.padding, bias: w.bias, activation: (w.alpha ? 'prelu' : 'linear') as tf.fused.Activation, preluActivationWeights: w.alpha };
        values.set(s.output, s.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args));
      } else if (s.kind === 'add') {
        values.set(s.output, tf.add(values.get(s.a)!, values.get(s.b)!));
      } else {
        const x = values.get(s.input)!;
        values.set(s.output, tf.reshape(x, [x.shape[0], -1]));
      }
    }
    return values;
  }

  /** The layer program this net runs (for a student built on it). */
  get layers(): MobileFaceNetGraph {
    return this.graph;
  }

  dispose(): void {
    for (const w of this.weights.values()) {
      w.filter.dispose();
      w.bias.dispose();
      w.alpha?.dispose();
    }
    this.weights.clear();
  }
}
