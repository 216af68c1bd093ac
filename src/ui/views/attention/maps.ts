import type { WeightsValue } from '../../../graph/values.js';

/**
 * Per-face spatial maps over aligned faces: the attention gate's weights (kind "gate", any h x w,
 * e.g. 7x7 or 14x14), occlusion sensitivity (kind "sensitivity", with the patch grid it was made
 * on) or any other Weights value shaped [faces, rows, columns]. Pure functions, no DOM: the view
 * draws what these compute.
 */
export type FaceMap = WeightsValue & {
  /** Sensitivity maps: where cell (r, c)'s patch lies on the crop (crop pixels). */
  grid?: { size: number; patch: number; stride: number; count: number; offset: number };
};

const SPATIAL_KINDS = new Set(['gate', 'sensitivity']);

/** A Weights value the heatmap view can draw: [n, h, w] with h, w >= 1, of a spatial kind (or with row/column axes). */
export function isFaceMap(v: unknown): v is FaceMap {
  const w = v as WeightsValue | null | undefined;
  if (!w || typeof w !== 'object' || !Array.isArray(w.shape) || !(w.data instanceof Float32Array) || w.shape.length !== 3) return false;
  const [n, h, wd] = w.shape;
  if (!(h >= 1 && wd >= 1) || w.data.length !== n * h * wd) return false;
  return SPATIAL_KINDS.has(w.kind) || (w.axes?.[1] === 'row' && w.axes?.[2] === 'column');
}

/** The first output of a node that is a face map (the gate's weightMap, the sensitivity node's map, a backbone's gate map). */
export function faceMapOf(outputs: Record<string, unknown> | undefined): { port: string; map: FaceMap } | undefined {
  for (const [port, v] of Object.entries(outputs ?? {})) if (isFaceMap(v)) return { port, map: v };
  return undefined;
}

/** Face `i`'s cells, row-major (a view on the data). */
export function faceCells(m: FaceMap, i: number): Float32Array {
  const cells = m.shape[1] * m.shape[2];
  return m.data.subarray(i * cells, (i + 1) * cells);
}

export function meanWeight(m: WeightsValue, i: number): number {
  const cells = m.shape[1] * m.shape[2];
  let s = 0;
  for (let p = 0; p < cells; p++) s += m.data[i * cells + p];
  return cells ? s / cells : 0;
}

export interface Range { min: number; max: number }

/** min..max over all given cells (finite values only); undefined when there is none. */
export function valueRange(arrays: Iterable<ArrayLike<number>>): Range | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const a of arrays) {
    for (let k = 0; k < a.length; k++) {
      const v = a[k];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { min, max } : undefined;
}

/** v on the colour scale 0..1: stretched to `range` (a flat map sits mid-scale), clamped. */
export function toUnit(v: number, range: Range): number {
  const span = range.max - range.min;
  if (!(span > 1e-12)) return 0.5;
  return Math.min(1, Math.max(0, (v - range.min) / span));
}

/**
 * The colour scale for a set of maps: "stretch" spans their own min..max (so a 0.88-0.996 gate
 * map uses every colour), "fixed" is the gate's 0..1 (sensitivity maps: 0..their max).
 */
export function colourRange(maps: { map: FaceMap; index: number }[], scale: 'stretch' | 'fixed'): Range | undefined {
  const own = valueRange(maps.filter((m) => m.index < m.map.shape[0]).map((m) => faceCells(m.map, m.index)));
  if (scale === 'stretch' || !own) return own;
  return maps.some((m) => m.map.kind === 'gate') ? { min: 0, max: 1 } : { min: Math.min(0, own.min), max: Math.max(own.max, 1e-9) };
}

/** clean - occluded, cell by cell, for face `i` of each (same h x w); undefined when they do not line up. */
export function differenceCells(clean: FaceMap, occluded: FaceMap, i: number): Float32Array | undefined {
  if (clean.shape[1] !== occluded.shape[1] || clean.shape[2] !== occluded.shape[2]) return undefined;
  if (i >= clean.shape[0] || i >= occluded.shape[0]) return undefined;
  const a = faceCells(clean, i);
  const b = faceCells(occluded, i);
  return a.map((v, k) => v - b[k]);
}

/** A symmetric range around 0 for differences: -m..m with m the largest |d| (never 0). */
export function symmetricRange(arrays: Iterable<ArrayLike<number>>): Range {
  const r = valueRange(arrays);
  const m = r ? Math.max(Math.abs(r.min), Math.abs(r.max), 1e-9) : 1e-9;
  return { min: -m, max: m };
}

/** Blue (negative) -> near black (0) -> red-orange (positive), for t in -1..1. */
export function divergingColor(t: number): [number, number, number] {
  const v = Math.min(1, Math.max(-1, t));
  const zero: [number, number, number] = [24, 24, 32];
  const pos: [number, number, number] = [255, 110, 40];
  const neg: [number, number, number] = [60, 150, 255];
  const end = v >= 0 ? pos : neg;
  const f = Math.abs(v);
  return [0, 1, 2].map((k) => Math.round(zero[k] + (end[k] - zero[k]) * f)) as [number, number, number];
}

export const DIVERGING_GRADIENT = `linear-gradient(90deg, rgb(${divergingColor(-1).join(',')}) 0%, rgb(${divergingColor(0).join(',')}) 50%, rgb(${divergingColor(1).join(',')}) 100%)`;

/**
 * Where a map lies on a `size` px crop, in crop pixels: a gate map tiles the whole crop (cell =
 * size / w); a sensitivity map's cell (r, c) is centred on its patch, stride px wide, so the grid
 * spans from the first patch centre - stride / 2 to the last + stride / 2.
 */
export function mapPlacement(m: FaceMap, size: number): { x: number; y: number; width: number; height: number } {
  const g = m.grid;
  if (!g || !(g.size > 0)) return { x: 0, y: 0, width: size, height: size };
  const k = size / g.size;
  const start = (g.offset + g.patch / 2 - g.stride / 2) * k;
  return { x: start, y: start, width: m.shape[2] * g.stride * k, height: m.shape[1] * g.stride * k };
}

/** Compact number for the colour bar's labels. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100 || a < 1e-3) return v.toExponential(1);
  return v.toFixed(a >= 1 ? 2 : 3);
}
