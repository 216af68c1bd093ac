import type { Box, ImageValue, Point } from '../graph/values.js';

export type RGB = [number, number, number];

/** A copy of an 8-bit image as RGB, so coloured marks can be drawn on gray images too. */
export function toRgbCopy(img: ImageValue): ImageValue {
  if (!(img.data instanceof Uint8Array)) throw new Error('cannot draw on a float image');
  if (img.channels === 3) return { ...img, data: new Uint8Array(img.data) };
  const data = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = img.data[i];
  return { ...img, channels: 3, data };
}

function fillRect(img: ImageValue, x0: number, y0: number, x1: number, y1: number, color: RGB): void {
  const xa = Math.max(0, Math.floor(x0));
  const xb = Math.min(img.width - 1, Math.floor(x1));
  const ya = Math.max(0, Math.floor(y0));
  const yb = Math.min(img.height - 1, Math.floor(y1));
  for (let y = ya; y <= yb; y++) {
    for (let x = xa; x <= xb; x++) {
      const o = (y * img.width + x) * 3;
      img.data[o] = color[0];
      img.data[o + 1] = color[1];
      img.data[o + 2] = color[2];
    }
  }
}

/** Outline a box `thickness` pixels wide, drawn inside its edges (RGB images only). */
export function strokeBox(img: ImageValue, [x1, y1, x2, y2]: Box, color: RGB, thickness: number): void {
  const t = thickness - 1;
  fillRect(img, x1, y1, x2, y1 + t, color);
  fillRect(img, x1, y2 - t, x2, y2, color);
  fillRect(img, x1, y1, x1 + t, y2, color);
  fillRect(img, x2 - t, y1, x2, y2, color);
}

/** A filled square dot centred on a point. */
export function dot(img: ImageValue, [x, y]: Point, color: RGB, radius: number): void {
  fillRect(img, x - radius, y - radius, x + radius, y + radius, color);
}
