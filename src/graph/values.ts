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

export function createImage(width: number, height: number, channels: 1 | 3, source?: string): ImageValue {
  return { width, height, channels, data: new Uint8Array(width * height * channels), source };
}

export function isImageValue(v: unknown): v is ImageValue {
  const o = v as ImageValue;
  return !!o && typeof o === 'object' && typeof o.width === 'number' && typeof o.height === 'number'
    && (o.channels === 1 || o.channels === 3) && (o.data instanceof Uint8Array || o.data instanceof Float32Array);
}
