import type { Point } from '../graph/values.js';
import type { Rng } from '../util/rng.js';

/**
 * Synthetic occluders drawn onto an 8-bit image in place, placed from the 5 face landmarks
 * (left eye, right eye, nose, left and right mouth corner). Shapes are defined in the face's own
 * frame: origin at the eye midpoint, x along the eye line, y perpendicular (down the face), both in
 * units of the inter-eye distance, so they follow the face's position, size and roll.
 */
export type OcclusionKind = 'surgical-mask' | 'cloth-mask' | 'n95-mask' | 'kn95-mask' | 'sunglasses' | 'hand' | 'patch';
export const OCCLUSION_KINDS: readonly OcclusionKind[] = ['surgical-mask', 'cloth-mask', 'n95-mask', 'kn95-mask', 'sunglasses', 'hand', 'patch'];
/** The kinds that cover the lower face like a mask. */
export const MASK_KINDS: readonly OcclusionKind[] = ['surgical-mask', 'cloth-mask', 'n95-mask', 'kn95-mask'];

export interface Canvas {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Row-major, 0..255. */
  data: Uint8Array;
  /** Byte offset of this image inside `data` (for a face inside a batch). */
  offset?: number;
}

type Rgb = [number, number, number];

interface FaceFrame {
  origin: Point;
  u: Point;
  v: Point;
  /** Inter-eye distance in pixels. */
  scale: number;
}

export function faceFrame(lm: readonly Point[]): FaceFrame {
  if (lm.length !== 5) throw new Error(`occlusion: expected 5 landmarks, got ${lm.length}`);
  const [le, re] = lm;
  const dx = re[0] - le[0];
  const dy = re[1] - le[1];
  const scale = Math.hypot(dx, dy);
  if (!(scale > 0)) throw new Error('occlusion: the eye landmarks coincide');
  const u: Point = [dx / scale, dy / scale];
  return { origin: [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2], u, v: [-u[1], u[0]], scale };
}

/** Face-frame point (x, y) in inter-eye units -> image pixels. */
function toImage(f: FaceFrame, [x, y]: Point): Point {
  return [f.origin[0] + f.scale * (x * f.u[0] + y * f.v[0]), f.origin[1] + f.scale * (x * f.u[1] + y * f.v[1])];
}

/** Image pixel -> face-frame coordinates. */
function toFace(f: FaceFrame, px: number, py: number): Point {
  const dx = px - f.origin[0];
  const dy = py - f.origin[1];
  return [(dx * f.u[0] + dy * f.u[1]) / f.scale, (dx * f.v[0] + dy * f.v[1]) / f.scale];
}

/** Even-odd test: is (x, y) inside the polygon? */
export function insidePolygon(poly: readonly Point[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Calls `paint(px, py, faceX, faceY)` for every pixel centre inside the polygon given in face coordinates. */
function fillFacePolygon(c: Canvas, f: FaceFrame, polyFace: readonly Point[], paint: (i: number, fx: number, fy: number) => void): number {
  const poly = polyFace.map((p) => toImage(f, p));
  const xs = poly.map((p) => p[0]);
  const ys = poly.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const x1 = Math.min(c.width - 1, Math.ceil(Math.max(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const y1 = Math.min(c.height - 1, Math.ceil(Math.max(...ys)));
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!insidePolygon(poly, x + 0.5, y + 0.5)) continue;
      const [fx, fy] = toFace(f, x + 0.5, y + 0.5);
      paint((c.offset ?? 0) + (y * c.width + x) * c.channels, fx, fy);
      count++;
    }
  }
  return count;
}

function put(c: Canvas, i: number, rgb: Rgb, alpha = 1): void {
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  if (c.channels === 1) {
    const g = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
    c.data[i] = clamp(alpha * g + (1 - alpha) * c.data[i]);
    return;
  }
  for (let k = 0; k < 3; k++) c.data[i + k] = clamp(alpha * rgb[k] + (1 - alpha) * c.data[i + k]);
}

/** Lower-face polygon: from just below the nose bridge (y ~ 0.3) over the mouth (y ~ 1.15) to the chin (y ~ 1.8). */
function maskPolygon(rng: Rng): Point[] {
  const top = rng.range(0.22, 0.4);
  const width = rng.range(0.95, 1.1);
  const chin = rng.range(1.7, 1.9);
  return [
    [-width, top + 0.18], [-0.45, top + 0.04], [0, top], [0.45, top + 0.04], [width, top + 0.18],
    [width * 1.03, 1.0], [width * 0.78, 1.5], [0.38, chin - 0.05], [0, chin], [-0.38, chin - 0.05], [-width * 0.78, 1.5], [-width * 1.03, 1.0],
  ];
}

const SURGICAL: Rgb[] = [[160, 200, 230], [235, 238, 240], [150, 205, 190], [90, 140, 200], [30, 30, 35]];

function drawMask(c: Canvas, f: FaceFrame, rng: Rng, cloth: boolean): number {
  const poly = maskPolygon(rng);
  const base = cloth
    ? ([rng.range(10, 230), rng.range(10, 230), rng.range(10, 230)] as Rgb)
    : SURGICAL[rng.int(SURGICAL.length)];
  const stripe = cloth ? ([rng.range(10, 230), rng.range(10, 230), rng.range(10, 230)] as Rgb) : base;
  const period = rng.range(0.12, 0.25);
  return fillFacePolygon(c, f, poly, (i, fx, fy) => {
    // Soft shading across the face (it is curved) plus pleats (surgical) or a stripe pattern (cloth).
    const shade = 1 - 0.18 * Math.min(1, Math.abs(fx));
    let rgb = base;
    let k = shade;
    if (cloth) {
      if (Math.floor((fy + fx * 0.3) / period) % 2 === 0) rgb = stripe;
    } else if (fy > 0.55 && fy < 1.45 && Math.abs(((fy - 0.55) % 0.3) - 0.15) < 0.02) k *= 0.82;
    put(c, i, [rgb[0] * k, rgb[1] * k, rgb[2] * k]);
  });
}

function drawSunglasses(c: Canvas, f: FaceFrame, rng: Rng): number {
  const rx = rng.range(0.36, 0.46);
  const ry = rng.range(0.24, 0.32);
  const tint: Rgb = [rng.range(5, 40), rng.range(5, 40), rng.range(5, 45)];
  const ellipse = (cx: number): Point[] => Array.from({ length: 24 }, (_, k) => {
    const t = (2 * Math.PI * k) / 24;
    return [cx + rx * Math.cos(t), 0.02 + ry * Math.sin(t)] as Point;
  });
  let n = 0;
  for (const cx of [-0.5, 0.5]) n += fillFacePolygon(c, f, ellipse(cx), (i, fx, fy) => {
    const glare = 1 + 0.6 * Math.max(0, 1 - Math.hypot(fx - cx + rx * 0.4, fy + ry * 0.4) / (0.3 * rx));
    put(c, i, [tint[0] * glare, tint[1] * glare, tint[2] * glare], 0.95);
  });
  const bridge: Point[] = [[-0.5 + rx * 0.9, -0.03], [0.5 - rx * 0.9, -0.03], [0.5 - rx * 0.9, 0.02], [-0.5 + rx * 0.9, 0.02]];
  n += fillFacePolygon(c, f, bridge, (i) => put(c, i, [20, 20, 20]));
  return n;
}

/**
 * Respirators: a rounded cup (N95) or a folded shape with a vertical centre seam and a pointed
 * chin (KN95), white/grey/black/coloured with a fibre texture, one or two straps, and a fit that
 * varies (nose covered or not, shifted, tilted). Shapes as in MaskTheFace's templates, drawn freely.
 */
function drawRespirator(c: Canvas, f: FaceFrame, rng: Rng, folded: boolean): number {
  const top = rng.range(0.12, 0.45);
  const shift = rng.range(-0.12, 0.12);
  const width = rng.range(0.9, 1.15);
  const chin = rng.range(1.6, 1.95);
  const tilt = rng.range(-0.08, 0.08);
  const poly: Point[] = folded
    ? [[-width, top + 0.3], [-0.5, top + 0.05], [0, top], [0.5, top + 0.05], [width, top + 0.3], [width * 0.95, 1.1], [0.5, chin - 0.25], [0, chin], [-0.5, chin - 0.25], [-width * 0.95, 1.1]]
    : Array.from({ length: 20 }, (_, k) => {
      const t = (2 * Math.PI * k) / 20;
      const cy = (top + chin) / 2;
      return [width * Math.cos(t), cy + ((chin - top) / 2) * Math.sin(t)] as Point;
    });
  const moved = poly.map(([x, y]) => [x + shift + tilt * (y - 1), y + tilt * x] as Point);
  const palette: Rgb[] = [[238, 238, 236], [215, 215, 212], [40, 40, 44], [60, 90, 150], [200, 160, 170], [120, 150, 110]];
  const base = palette[rng.int(palette.length)];
  const grain = rng.range(4, 14);
  let n = fillFacePolygon(c, f, moved, (i, fx, fy) => {
    const shade = 1 - 0.2 * Math.min(1, Math.abs(fx - shift)) - (folded && Math.abs(fx - shift) < 0.03 ? 0.15 : 0);
    const noise = (rng.uniform() - 0.5) * grain;
    put(c, i, [base[0] * shade + noise, base[1] * shade + noise, base[2] * shade + noise]);
    void fy;
  });
  // Straps towards the ears.
  const strap: Rgb = rng.uniform() < 0.5 ? [230, 230, 230] : [50, 50, 50];
  for (const side of [-1, 1]) for (const y of rng.uniform() < 0.5 ? [0.6] : [0.35, 1.2]) {
    const x0 = side * width * 0.95 + shift;
    const band: Point[] = [[x0, y - 0.03], [x0 + side * 0.7, y - 0.15], [x0 + side * 0.7, y - 0.1], [x0, y + 0.03]];
    n += fillFacePolygon(c, f, band, (i) => put(c, i, strap));
  }
  return n;
}

/** A hand over the mouth or a cheek: a skin-toned palm with finger bands, in a random skin tone. */
function drawHand(c: Canvas, f: FaceFrame, rng: Rng): number {
  const tones: Rgb[] = [[224, 182, 150], [198, 146, 110], [150, 100, 70], [98, 64, 44], [240, 200, 175]];
  const tone = tones[rng.int(tones.length)];
  const cx = rng.range(-0.5, 0.5);
  const cy = rng.range(0.7, 1.4);
  const r = rng.range(0.55, 0.8);
  const palm: Point[] = Array.from({ length: 18 }, (_, k) => {
    const t = (2 * Math.PI * k) / 18;
    return [cx + r * Math.cos(t), cy + 0.8 * r * Math.sin(t)] as Point;
  });
  const n = fillFacePolygon(c, f, palm, (i, fx, fy) => {
    const finger = Math.abs(((fy - cy + 2) % 0.22) - 0.11) < 0.015 ? 0.8 : 1;
    const shade = finger * (1 - 0.25 * Math.min(1, Math.hypot(fx - cx, fy - cy) / r));
    put(c, i, [tone[0] * shade, tone[1] * shade, tone[2] * shade]);
  });
  return n;
}

/** A rectangle (20-50% of the face's side) at a random place on the face, random colour or noise, axis-aligned with the face. */
function drawPatch(c: Canvas, f: FaceFrame, rng: Rng): number {
  const w = rng.range(0.5, 1.2);
  const h = rng.range(0.5, 1.2);
  const cx = rng.range(-0.8, 0.8);
  const cy = rng.range(-0.3, 1.5);
  const noisy = rng.uniform() < 0.5;
  const rgb: Rgb = [rng.range(0, 255), rng.range(0, 255), rng.range(0, 255)];
  const rect: Point[] = [[cx - w / 2, cy - h / 2], [cx + w / 2, cy - h / 2], [cx + w / 2, cy + h / 2], [cx - w / 2, cy + h / 2]];
  return fillFacePolygon(c, f, rect, (i) => put(c, i, noisy ? [rng.range(0, 255), rng.range(0, 255), rng.range(0, 255)] : rgb));
}

/** Draw one occluder on the face with these landmarks; returns the number of pixels covered. */
export function drawOcclusion(c: Canvas, landmarks: readonly Point[], kind: OcclusionKind, rng: Rng): number {
  const f = faceFrame(landmarks);
  switch (kind) {
    case 'surgical-mask': return drawMask(c, f, rng, false);
    case 'cloth-mask': return drawMask(c, f, rng, true);
    case 'sunglasses': return drawSunglasses(c, f, rng);
    case 'patch': return drawPatch(c, f, rng);
    case 'n95-mask': return drawRespirator(c, f, rng, false);
    case 'kn95-mask': return drawRespirator(c, f, rng, true);
    case 'hand': return drawHand(c, f, rng);
  }
}
