import * as tf from '@tensorflow/tfjs';
import type { EmbeddingsValue, FacesValue, FeatureMapValue } from '../../src/graph/values.js';

/** The faces batch as an RGB float tensor [n, size, size, 3], resized bilinearly when the crop size differs. */
export function facesTensor(faces: FacesValue, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const x = tf.tensor4d(Float32Array.from(faces.data), [faces.count, faces.size, faces.size, 3]);
    return faces.size === size ? x : tf.image.resizeBilinear(x, [size, size], false, true);
  });
}

/**
 * Run a backbone on every face of one image in one batch: L2-normalised embeddings and,
 * when asked, the tapped feature map (of the unflipped faces). With `flip`, each face's
 * embedding is the sum of its own and its mirror image's raw embeddings (the test-time
 * flip of the InsightFace / MobileFaceNet_TF verification protocol). No tensor outlives the call.
 */
export async function embedFaces(
  faces: FacesValue,
  model: string,
  inputSize: number,
  dim: number,
  forward: (x: tf.Tensor4D) => { embeddings: tf.Tensor2D; featureMap: tf.Tensor4D; attention?: tf.Tensor4D | null },
  tap: { layer: string; keep: boolean },
  flip = false,
): Promise<{ embeddings: EmbeddingsValue; features: FeatureMapValue | null; attention: { shape: [number, number, number]; data: Float32Array } | null }> {
  if (!faces.count) {
    return { embeddings: { dim, count: 0, data: new Float32Array(0), model, fallback: [], source: faces.source }, features: null, attention: null };
  }
  const { emb, fmap, att } = tf.tidy(() => {
    const x = facesTensor(faces, inputSize);
    const out = forward(flip ? tf.concat([x, tf.reverse(x, 2)]) : x);
    const n = faces.count;
    const raw = flip ? tf.add(tf.slice(out.embeddings, [0, 0], [n, dim]), tf.slice(out.embeddings, [n, 0], [n, dim])) : out.embeddings;
    const unit = tf.div(raw, tf.maximum(tf.norm(raw, 'euclidean', 1, true), 1e-12));
    const fmap = flip ? tf.slice(out.featureMap, 0, n) : out.featureMap;
    // The attention map of the faces as given (not of their mirror images).
    const att = out.attention ? (flip ? tf.slice(out.attention, 0, n) : out.attention) : undefined;
    return { emb: unit, fmap: tap.keep ? fmap : undefined, att };
  });
  try {
    const data = (await emb.data()) as Float32Array;
    const features: FeatureMapValue | null = fmap
      ? { shape: fmap.shape as [number, number, number, number], data: (await fmap.data()) as Float32Array, layer: tap.layer }
      : null;
    const attention = att ? { shape: att.shape.slice(0, 3) as [number, number, number], data: (await att.data()) as Float32Array } : null;
    return { embeddings: { dim, count: faces.count, data, model, fallback: [...faces.fallback], source: faces.source }, features, attention };
  } finally {
    tf.dispose([emb, fmap, att].filter((t): t is tf.Tensor => !!t));
  }
}

/** The face's subset (by index) of an aligned-faces batch. */
export function pickFaces(faces: FacesValue, idx: number[]): FacesValue {
  const stride = faces.size * faces.size * 3;
  const data = new Uint8Array(idx.length * stride);
  idx.forEach((i, k) => data.set(faces.data.subarray(i * stride, (i + 1) * stride), k * stride));
  return { ...faces, count: idx.length, data, transforms: idx.map((i) => faces.transforms[i]), boxes: idx.map((i) => faces.boxes[i]), fallback: idx.map((i) => faces.fallback[i]) };
}

/** Several images' aligned faces as one batch (same crop size and template), in order. */
export function concatFaces(list: FacesValue[]): FacesValue {
  const [first] = list;
  for (const f of list) {
    if (f.size !== first.size || f.template !== first.template) throw new Error(`faces of ${f.size}px (${f.template}) cannot batch with ${first.size}px (${first.template})`);
  }
  const data = new Uint8Array(list.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of list) {
    data.set(f.data, at);
    at += f.data.length;
  }
  return {
    ...first, count: list.reduce((n, f) => n + f.count, 0), data,
    transforms: list.flatMap((f) => f.transforms), boxes: list.flatMap((f) => f.boxes), fallback: list.flatMap((f) => f.fallback),
  };
}

/** Rows [start, start + count) of a batch's result, as that image's own faces would have given. */
export function sliceEmbedded(out: Embedded, faces: FacesValue, start: number): Embedded {
  const { count } = faces;
  const rows = <T extends { data: Float32Array }>(v: T, shape: number[]) => {
    const size = shape.slice(1).reduce((a, b) => a * b, 1);
    return { ...v, shape: [count, ...shape.slice(1)], data: v.data.slice(start * size, (start + count) * size) };
  };
  const e = out.embeddings;
  return {
    embeddings: { ...e, count, data: e.data.slice(start * e.dim, (start + count) * e.dim), fallback: [...faces.fallback], source: faces.source },
    features: out.features && (rows(out.features, out.features.shape) as FeatureMapValue),
    attention: out.attention && (rows(out.attention, out.attention.shape) as Embedded['attention']),
  };
}

export type Embedded = Awaited<ReturnType<typeof embedFaces>>;
