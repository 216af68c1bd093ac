import type { Point } from '../../src/graph/values.js';

/** Canonical 5-point positions (left eye, right eye, nose, left mouth, right mouth) in a square crop. */
export interface AlignTemplate {
  name: string;
  /** The crop side the points are given for. */
  size: number;
  points: Point[];
}

export const ALIGN_TEMPLATES = {
  /** InsightFace/ArcFace 112x112 template, used to train MobileFaceNet-style models. */
  'arcface-112': {
    name: 'arcface-112',
    size: 112,
    points: [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
  },
  /**
   * dlib's 150x150 chip (padding 0.25) from its mean face: eye centres are the means of
   * points 36-41 and 42-47, nose 30, mouth corners 48 and 54 (see shared/models.md).
   */
  'dlib-150': {
    name: 'dlib-150',
    size: 150,
    points: [[47.55, 46.6], [100.48, 46.6], [74.01, 76.56], [50.41, 103.02], [97.61, 103.02]],
  },
} as const satisfies Record<string, AlignTemplate>;

export type TemplateName = keyof typeof ALIGN_TEMPLATES;

/** The template's points for a crop of `size` pixels (scaled from its native size). */
export function templatePoints(name: TemplateName, size: number): Point[] {
  const t = ALIGN_TEMPLATES[name];
  const s = size / t.size;
  return t.points.map(([x, y]) => [x * s, y * s] as Point);
}
