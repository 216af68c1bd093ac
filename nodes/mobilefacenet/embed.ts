import * as tf from '@tensorflow/tfjs';
import type { EmbeddingsValue, FacesValue, FeatureMapValue } from '../../src/graph/values';

/** The faces batch as an RGB float tensor [n, size, size, 3], resized bilinearly when the crop size differs. */
export function facesTensor(faces: FacesValue, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(faces.data), [faces.count, faces.size, faces.size, 3]);
    return faces.size === size ? x : tf.image.resizeBilinear(x, [size, size], false, true);
  });
}

/**
 * Run a backbone on every face of one image in one batch: L2-normalised embeddings and,
 * when asked, the tapped feature map. No tensor outlives the call.
 */
export async function embedFaces(
  faces: FacesValue,
  model: string,
  inputSize: number,
  dim: number,
  forward: (x: tf.Tensor4D) => { embeddings: tf.Tensor2D; featureMap: tf.Tensor4D },
  tap: { layer: string; keep: boolean },
): Promise<{ embeddings: EmbeddingsValue; features: FeatureMapValue | null }> {
  if (!faces.count) {
    return { embeddings: { dim, count: 0, data: new Float32Array(0), model, fallback: [], source: faces.source }, features: null };
  }
  const [emb, fmap] = tf.tidy(() => {
    const out = forward(facesTensor(faces, inputSize));
    const unit = tf.div(out.embeddings, tf.maximum(tf.norm(out.embeddings, 'euclidean', 1, true), 1e-12));
    return tap.keep ? [unit, out.featureMap] : [unit];
  });
  try {
    const data = (await emb.data()) as Float32Array;
    const features: FeatureMapValue | null = fmap
      ? { shape: fmap.shape as [number, number, number, number], data: (await fmap.data()) as Float32Array, layer: tap.layer }
      : null;
    return { embeddings: { dim, count: faces.count, data, model, fallback: [...faces.fallback], source: faces.source }, features };
  } finally {
    emb.dispose();
    fmap?.dispose();
  }
}
