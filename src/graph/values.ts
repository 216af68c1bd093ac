/**
 * The plain data that flows between nodes. Kernels use tensors inside themselves and
 * hand on only typed arrays, so values are structured-cloneable (they cross worker
 * boundaries and sit in the cache without holding GPU memory).
 */

/** An image in row-major HWC layout. 8-bit data is 0..255; float data is whatever the producing node documents. */
export interface ImageValue {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array | Float32Array;
  /** Where it came from (file name or URL), for labels and output names. */
  source?: string;
}

export type Box = [x1: number, y1: number, x2: number, y2: number];
export type Point = [x: number, y: number];

/** Detector output in source-image pixels. */
export interface DetectionsValue {
  imageWidth: number;
  imageHeight: number;
  boxes: Box[];
  scores: number[];
  /** Five points per face: left eye, right eye, nose, left mouth corner, right mouth corner (empty before O-Net). */
  landmarks: Point[][];
}

export function isImageValue(v: unknown): v is ImageValue {
  const o = v as ImageValue;
  return !!o && typeof o === 'object' && typeof o.width === 'number' && typeof o.height === 'number'
    && (o.channels === 1 || o.channels === 3) && (o.data instanceof Uint8Array || o.data instanceof Float32Array);
}

/** 2x3 affine matrix [a, b, tx, c, d, ty] mapping source pixels to crop pixels: x' = a x + b y + tx, y' = c x + d y + ty. */
export type Affine = [number, number, number, number, number, number];

/** A batch of aligned face crops (each `size` x `size`, 8-bit RGB, row-major [n, size, size, 3]). */
export interface FacesValue {
  size: number;
  count: number;
  data: Uint8Array;
  /** Per face: the source -> crop transform. */
  transforms: Affine[];
  /** Per face: the detector box it came from (source pixels), or the crop's extent for a centre crop. */
  boxes: Box[];
  /** Per face: true when no face was detected and the crop is a centre-crop fallback. */
  fallback: boolean[];
  /** The alignment template's name, e.g. "arcface-112" or "dlib-150" or "center". */
  template: string;
  source?: string;
}

/** A batch of L2-normalised embeddings, row-major [count, dim]. */
export interface EmbeddingsValue {
  dim: number;
  count: number;
  data: Float32Array;
  /** The backbone that produced them, e.g. "mobilefacenet" (embeddings of different models never compare). */
  model: string;
  /** Carried over from the faces: true where the face was a fallback crop. */
  fallback: boolean[];
  source?: string;
  /** Occlusion-adaptive matching (the masked-twin node): how each face compares with a face of the other kind. */
  twins?: MaskedTwins;
}

/**
 * For each face: whether the context calls it masked, and its "masked twin", the embedding of
 * the same face with a synthetic mask drawn on it (a masked face is its own twin), [count, dim].
 * A pair with one masked and one unmasked face then also compares like with like.
 */
export interface MaskedTwins {
  masked: boolean[];
  data: Float32Array;
  /** Share of the like-with-like score in such a pair's score (0: plain cosine, 1: twin only). */
  weight: number;
}

/** A batch of feature maps, row-major [n, h, w, c], named by the layer it was tapped at. */
export interface FeatureMapValue {
  shape: [number, number, number, number];
  data: Float32Array;
  layer: string;
}

/** An image pyramid for a detector: the source image and the levels to scan (described, not resampled). */
export interface PyramidValue {
  image: ImageValue;
  /** Largest first; `scale` maps source pixels to level pixels. */
  levels: { scale: number; width: number; height: number }[];
}

/** Face candidates between detector stages, in source-image pixels. */
export interface CandidatesValue {
  imageWidth: number;
  imageHeight: number;
  /** The windows the stage scored. */
  boxes: Box[];
  scores: number[];
  /** Per box, the stage's box regression (dx1, dy1, dx2, dy2 as fractions of width and height); the next stage applies it. */
  regression: [number, number, number, number][];
  /** P-Net only: per pyramid level, the face probability of each 12x12 window (stride 2), row-major. */
  heatmaps?: { scale: number; width: number; height: number; data: Float32Array }[];
}

/** Attention or fusion weights for display (the Weights port's value). */
export interface WeightsValue {
  /** What produced them, e.g. "fusion-attention", "gate". */
  kind: string;
  shape: number[];
  data: Float32Array;
  /** Names of the axes, e.g. ["face", "component"] or ["face", "head", "query", "key"]. */
  axes: string[];
  /** Names along the last axis (context components, tokens), when meaningful. */
  labels?: string[];
}
