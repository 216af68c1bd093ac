import type { ImageValue } from '../graph/values.js';

/**
 * EXIF orientation, applied in Node as browsers apply it (createImageBitmap's default
 * imageOrientation "from-image", and <img>): a phone photo stored sideways with orientation 6
 * is decoded upright. Only JPEG carries it here (APP1 "Exif" segment, IFD0 tag 0x0112).
 */

/** The EXIF orientation (1-8) of a JPEG, 1 when it has none or it cannot be read. */
export function jpegOrientation(bytes: Uint8Array): number {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return 1;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++;
      continue;
    }
    // start of scan or end of image: no EXIF before the pixels
    if (marker === 0xda || marker === 0xd9) return 1;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    const len = view.getUint16(p + 2);
    if (len < 2 || p + 2 + len > bytes.length) return 1;
    if (marker === 0xe1 && len >= 16 && readAscii(bytes, p + 4, 6) === 'Exif\0\0') {
      const o = tiffOrientation(view, p + 10, p + 2 + len);
      if (o) return o;
    }
    p += 2 + len;
  }
  return 1;
}

function readAscii(bytes: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[at + i]);
  return s;
}

/** Orientation from a TIFF structure at `start` (within [start, end)), or 0. */
function tiffOrientation(view: DataView, start: number, end: number): number {
  if (start + 8 > end) return 0;
  const order = view.getUint16(start);
  const le = order === 0x4949;
  if (!le && order !== 0x4d4d) return 0;
  if (view.getUint16(start + 2, le) !== 42) return 0;
  const ifd = start + view.getUint32(start + 4, le);
  if (ifd + 2 > end) return 0;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return 0;
    if (view.getUint16(e, le) === 0x0112 && view.getUint16(e + 2, le) === 3) {
      const o = view.getUint16(e + 8, le);
      return o >= 1 && o <= 8 ? o : 0;
    }
  }
  return 0;
}

/** The image as it is to be shown: orientation 2-8 mirrored and/or rotated (5-8 swap width and height). */
export function applyOrientation(img: ImageValue, orientation: number): ImageValue {
  if (orientation < 2 || orientation > 8) return img;
  const { width: W, height: H, channels: c } = img;
  const swap = orientation >= 5;
  const w = swap ? H : W;
  const h = swap ? W : H;
  const src = img.data;
  const out = new (src.constructor as Uint8ArrayConstructor)(src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: sx = W - 1 - x; sy = y; break;
        case 3: sx = W - 1 - x; sy = H - 1 - y; break;
        case 4: sx = x; sy = H - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = H - 1 - x; break;
        case 7: sx = W - 1 - y; sy = H - 1 - x; break;
        default: sx = W - 1 - y; sy = x; break; // 8
      }
      const d = (y * w + x) * c;
      const s = (sy * W + sx) * c;
      for (let k = 0; k < c; k++) out[d + k] = src[s + k];
    }
  }
  return { ...img, width: w, height: h, data: out };
}
