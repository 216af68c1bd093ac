import type { Box, Point } from '../graph/values.js';
import { luma, photometry, type Rect } from './photometric.js';
import { poseFromLandmarks } from './pose.js';

/**
 * The 12-D context vector (the paper's section 3.3), every component scaled to about [-1, 1]
 * or [0, 1] so a fusion module sees comparable magnitudes:
 *   0 yaw        radians / (pi/2), in (-1, 1)  from the 5 landmarks (see pose.ts)
 *   1 pitch      radians / (pi/2), in (-1, 1)
 *   2 roll       radians / pi, in (-1, 1]
 *   3 brightness mean luma of the inner face / 255, in [0, 1]
 *   4 contrast   luma std / 127.5, in [0, 1]
 *   5 asymmetry  (left-half - right-half mean luma) / 255, in [-1, 1]: side lighting
 *   6 sharpness  log10(1 + variance of the Laplacian) / 4, in [0, 1]: low = blurred
 *   7 size       log2(sqrt(box area in source pixels) / 16) / 4, clamped to [0, 1]: 16 px -> 0, 256 px -> 1
 *   8 score      detector confidence, in [0, 1]
 *   9 mask       lower-face occlusion probability, in [0, 1]
 *  10 eyes       eye-region occlusion probability, in [0, 1]
 *  11 validity   1: everything measured; 0.5: no occlusion classifier (9 and 10 are 0);
 *                0: no detection (a fallback crop: 0, 1, 2, 7, 8 are 0, and 9, 10 too)
 * Pose, size and score need the detection; photometry is measured on the aligned crop.
 */
export const CONTEXT_DIM = 12;
export const CONTEXT_NAMES = ['yaw', 'pitch', 'roll', 'brightness', 'contrast', 'asymmetry', 'sharpness', 'size', 'score', 'mask', 'eyes', 'validity'] as const;
export type ContextName = (typeof CONTEXT_NAMES)[number];
export const CONTEXT_INDEX = Object.fromEntries(CONTEXT_NAMES.map((n, i) => [n, i])) as Record<ContextName, number>;

/** A batch of context vectors, row-major [count, 12] (the Context port's value). */
export interface ContextValue {
  dim: number;
  count: number;
  data: Float32Array;
  names: readonly string[];
  source?: string;
}

/**
 * Which faces the context calls masked: its "mask" component (the occlusion classifier's
 * lower-face score) at or above `threshold`. Throws when the context carries no mask score.
 */
export function maskedFlags(context: ContextValue, threshold: number): boolean[] {
  const mi = context.names.indexOf('mask');
  if (mi < 0) throw new Error('the context has no "mask" component');
  const vi = context.names.indexOf('validity');
  for (let i = 0; vi >= 0 && i < context.count; i++) {
    if (context.data[i * context.dim + vi] === 0.5) throw new Error('the context ran without an occlusion classifier (set its occlusionWeights): no face could count as masked');
  }
  return Array.from({ length: context.count }, (_, i) => context.data[i * context.dim + mi] >= threshold);
}

export interface FaceMeasurements {
  /** The aligned crop, 8-bit RGB (or gray), row-major. */
  crop: { data: Uint8Array | Float32Array; width: number; height: number; channels: 1 | 3 };
  /** The inner-face rectangle of the crop for photometry; default: x 15-85%, y 20-95% (ArcFace-aligned crops). */
  region?: Rect;
  /** The detection, absent for a fallback crop. */
  detection?: { box: Box; score: number; landmarks: readonly Point[] };
  /** Occlusion probabilities from a classifier, absent when none is loaded. */
  occlusion?: { mask: number; eyes: number };
}

export function innerFaceRect(width: number, height: number): Rect {
  return { x: 0.15 * width, y: 0.2 * height, width: 0.7 * width, height: 0.75 * height };
}

export function faceSizeFeature(box: Box): number {
  const side = Math.sqrt(Math.max(0, box[2] - box[0]) * Math.max(0, box[3] - box[1]));
  return side > 0 ? Math.min(1, Math.max(0, Math.log2(side / 16) / 4)) : 0;
}

/** The context vector of one face. */
export function contextVector(m: FaceMeasurements): Float32Array {
  const v = new Float32Array(CONTEXT_DIM);
  const { crop } = m;
  const y = luma(crop.data, crop.width, crop.height, crop.channels);
  const p = photometry(y, crop.width, m.region ?? innerFaceRect(crop.width, crop.height));
  v[CONTEXT_INDEX.brightness] = p.brightness;
  v[CONTEXT_INDEX.contrast] = p.contrast;
  v[CONTEXT_INDEX.asymmetry] = p.asymmetry;
  v[CONTEXT_INDEX.sharpness] = p.sharpness;
  const det = m.detection;
  if (det && det.landmarks.length === 5) {
    const pose = poseFromLandmarks(det.landmarks);
    v[CONTEXT_INDEX.yaw] = pose.yaw / (Math.PI / 2);
    v[CONTEXT_INDEX.pitch] = pose.pitch / (Math.PI / 2);
    v[CONTEXT_INDEX.roll] = pose.roll / Math.PI;
    v[CONTEXT_INDEX.size] = faceSizeFeature(det.box);
    v[CONTEXT_INDEX.score] = Math.min(1, Math.max(0, det.score));
    if (m.occlusion) {
      v[CONTEXT_INDEX.mask] = m.occlusion.mask;
      v[CONTEXT_INDEX.eyes] = m.occlusion.eyes;
      v[CONTEXT_INDEX.validity] = 1;
    } else v[CONTEXT_INDEX.validity] = 0.5;
  }
  return v;
}

/** Human units for display: degrees for pose, the rest as stored. */
export function describeContext(v: ArrayLike<number>): Record<ContextName, number> {
  const out = {} as Record<ContextName, number>;
  CONTEXT_NAMES.forEach((n, i) => (out[n] = v[i]));
  out.yaw = v[0] * 90;
  out.pitch = v[1] * 90;
  out.roll = v[2] * 180;
  return out;
}
