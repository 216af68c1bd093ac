import type { CandidatesValue, ImageValue } from '../../../graph/values.js';
import { imageSource } from '../image.js';

type Heatmap = NonNullable<CandidatesValue['heatmaps']>[number];

/** An inferno-like colour map: dark purple -> red -> orange -> pale yellow. */
const STOPS: [number, number, number, number][] = [
  [0, 20, 11, 52], [0.25, 101, 21, 110], [0.5, 188, 55, 84], [0.75, 249, 142, 9], [1, 252, 255, 164],
];
export function heatColor(p: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, p));
  for (let i = 1; i < STOPS.length; i++) {
    const [t1, r1, g1, b1] = STOPS[i];
    if (v <= t1) {
      const [t0, r0, g0, b0] = STOPS[i - 1];
      const f = (v - t0) / (t1 - t0);
      return [r0 + (r1 - r0) * f, g0 + (g1 - g0) * f, b0 + (b1 - b0) * f];
    }
  }
  return [252, 255, 164];
}

/** heatColor at 256 steps, for per-pixel loops. */
const LUT = (() => {
  const t = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) t.set(heatColor(i / 255), i * 3);
  return t;
})();

/** The CSS gradient of the colour map (for legends). */
export const HEAT_GRADIENT = `linear-gradient(90deg, ${STOPS.map(([t, r, g, b]) => `rgb(${r},${g},${b}) ${t * 100}%`).join(', ')})`;

/**
 * One level's probability map as a canvas (one pixel per 12x12 window). Windows below `threshold`
 * are faint, windows at or above it opaque, so what P-Net keeps stands out.
 */
const drawn = new WeakMap<Heatmap, Map<string, HTMLCanvasElement>>();

export function heatmapCanvas(h: Heatmap, threshold: number, faint = true): HTMLCanvasElement {
  // Cached per map and look: the node thumbnail, the side view and the cascade viewer share them.
  const key = `${threshold}|${faint}`;
  const per = drawn.get(h) ?? new Map<string, HTMLCanvasElement>();
  drawn.set(h, per);
  const hit = per.get(key);
  if (hit) return hit;
  if (per.size > 4) per.clear();
  const c = document.createElement('canvas');
  per.set(key, c);
  c.width = Math.max(1, h.width);
  c.height = Math.max(1, h.height);
  const rgba = new Uint8ClampedArray(c.width * c.height * 4);
  for (let i = 0; i < h.width * h.height; i++) {
    const p = h.data[i];
    const j = Math.min(255, Math.max(0, Math.round(p * 255))) * 3;
    rgba[i * 4] = LUT[j];
    rgba[i * 4 + 1] = LUT[j + 1];
    rgba[i * 4 + 2] = LUT[j + 2];
    rgba[i * 4 + 3] = p >= threshold ? 245 : faint ? Math.round(40 + 150 * p) : Math.round(150 * p * p);
  }
  if (h.width && h.height) c.getContext('2d')!.putImageData(new ImageData(rgba, h.width, h.height), 0, 0);
  return c;
}

/**
 * Draw a level's heatmap over the image, in a `w` x `h` frame showing the whole image. Window
 * (i, j) covers level pixels [2j, 2j + 12) x [2i, 2i + 12); its centre is at 2j + 6, so the map
 * (one pixel per window) spans level pixels [5, 5 + 2 * mapWidth).
 */
export function drawHeatLevel(ctx: CanvasRenderingContext2D, image: ImageValue | undefined, h: Heatmap, threshold: number, w: number, hh: number, dim = 0.45): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, w, hh);
  if (image) {
    ctx.globalAlpha = dim;
    ctx.drawImage(imageSource(image), 0, 0, w, hh);
    ctx.globalAlpha = 1;
  }
  // Level pixels -> frame pixels: the level is the image scaled by h.scale.
  const toFrame = image ? w / (image.width * h.scale) : w / (h.width * 2 + 10);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(heatmapCanvas(h, threshold), 5 * toFrame, 5 * toFrame, 2 * h.width * toFrame, 2 * h.height * toFrame);
  ctx.imageSmoothingEnabled = true;
}

/** Every level's heatmap projected onto the image and combined by maximum: where P-Net sees faces at any scale. */
export function drawHeatComposite(ctx: CanvasRenderingContext2D, image: ImageValue | undefined, heatmaps: Heatmap[], threshold: number, w: number, hh: number): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, w, hh);
  if (image) {
    ctx.globalAlpha = 0.4;
    ctx.drawImage(imageSource(image), 0, 0, w, hh);
    ctx.globalAlpha = 1;
  }
  ctx.globalCompositeOperation = 'lighten';
  for (const h of heatmaps) {
    const toFrame = image ? w / (image.width * h.scale) : 1;
    ctx.drawImage(heatmapCanvas(h, threshold, false), 5 * toFrame, 5 * toFrame, 2 * h.width * toFrame, 2 * h.height * toFrame);
  }
  ctx.globalCompositeOperation = 'source-over';
}
