import type { Point } from '../graph/values.js';

/** The median of each landmark coordinate over images, as fractions of each image's width and height. */
export function medianLandmarks(samples: { width: number; height: number; landmarks: Point[] }[]): Point[] {
  if (!samples.length) throw new Error('medianLandmarks: no detections');
  const median = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  return samples[0].landmarks.map((_, k) => [
    median(samples.map((s) => s.landmarks[k][0] / s.width)),
    median(samples.map((s) => s.landmarks[k][1] / s.height)),
  ] as Point);
}
