import { UserError } from '../graph/errors.js';

/**
 * Image headers read before any decoding, so that an image's size is known (and checked
 * against a pixel cap) before a decoder allocates memory for it. Pure: used by the Node and
 * the browser decoders alike.
 */

/** The default cap on width x height: 40 megapixels (a 40 MP photo decodes to 160 MB of RGBA). */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** Grayscale PNG (colour type 0 or 4). */
  gray: boolean;
  /** PNG bit depth, or JPEG sample precision. */
  bitDepth: number;
  /** PNG colour type; JPEG: number of components. */
  colorType: number;
  /** JPEG: the start-of-frame marker (0xc0 baseline, 0xc2 progressive, ...). */
  sof?: number;
}

/** A file whose header does not describe an image we can decode, or whose size is over the cap. */
export class ImageHeaderError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ImageHeaderError';
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/**
 * Width, height and pixel format from a PNG IHDR or the first JPEG start-of-frame segment.
 * Returns undefined for bytes that are neither format; throws ImageHeaderError (naming `name`)
 * for a PNG or JPEG whose header is missing or malformed.
 */
export function readImageHeader(b: Uint8Array, name = 'image'): ImageHeader | undefined {
  const format = sniffImageFormat(b);
  if (!format) return undefined;
  if (format === 'png') {
    // signature (8), IHDR length (4) = 13, "IHDR", width, height, depth, colour type, ...
    if (b.length < 33) throw new ImageHeaderError(`${name}: corrupt or unreadable PNG (the file ends inside its header)`);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const type = String.fromCharCode(b[12], b[13], b[14], b[15]);
    if (dv.getUint32(8) !== 13 || type !== 'IHDR') throw new ImageHeaderError(`${name}: corrupt or unreadable PNG (no IHDR chunk first)`);
    const width = dv.getUint32(16);
    const height = dv.getUint32(20);
    const bitDepth = b[24];
    const colorType = b[25];
    const validDepths: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
    if (!validDepths[colorType]?.includes(bitDepth)) throw new ImageHeaderError(`${name}: corrupt or unreadable PNG (bit depth ${bitDepth} with colour type ${colorType})`);
    if (b[28] > 1) throw new ImageHeaderError(`${name}: corrupt or unreadable PNG (unknown interlace method ${b[28]})`);
    return { format, width, height, gray: colorType === 0 || colorType === 4, bitDepth, colorType };
  }
  // JPEG: walk the marker segments to the first start-of-frame (SOF0..SOF15 except DHT, JPG, DAC).
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) throw new ImageHeaderError(`${name}: corrupt or unreadable JPEG (bad marker at byte ${i})`);
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image or start of scan before any frame
    const len = (b[i + 2] << 8) | b[i + 3];
    if (len < 2) throw new ImageHeaderError(`${name}: corrupt or unreadable JPEG (segment length ${len} at byte ${i})`);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 >= b.length) break;
      const height = (b[i + 5] << 8) | b[i + 6];
      const width = (b[i + 7] << 8) | b[i + 8];
      return { format, width, height, gray: false, bitDepth: b[i + 4], colorType: b[i + 9], sof: marker };
    }
    i += 2 + len;
  }
  throw new ImageHeaderError(`${name}: corrupt or unreadable JPEG (no frame header before the image data)`);
}

/**
 * Throw ImageHeaderError when the header's size is zero or above `maxPixels`; the message
 * names the file, its size and the cap (and how to raise it).
 */
export function checkImageSize(h: ImageHeader, name: string, maxPixels = DEFAULT_MAX_PIXELS): void {
  if (!h.width || !h.height) throw new ImageHeaderError(`${name}: image has no pixels (${h.width}x${h.height})`);
  if (h.width * h.height > maxPixels) {
    throw new ImageHeaderError(`${name}: image is ${h.width}x${h.height} (${mp(h.width * h.height)} megapixels), more than the limit of ${mp(maxPixels)} (--max-pixels)`);
  }
}

function mp(n: number): string {
  return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1);
}

/**
 * Throw ImageHeaderError when the file is far too short for the size its header claims (a lie
 * that would make a decoder allocate and scan a huge image for nothing). PNG: deflate packs at
 * most 1032:1, so the IDAT chunks must hold at least raw size / 1032 bytes. Baseline JPEG:
 * every 8x8 block of every component costs at least 2 bits (a DC code and an end-of-block), so a
 * file holds at most 256 pixels per byte (progressive JPEGs can run blocks together: not checked).
 */
export function checkImageData(bytes: Uint8Array, h: ImageHeader, name: string): void {
  const pixels = h.width * h.height;
  if (h.format === 'png') {
    const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[h.colorType] ?? 1;
    const raw = (Math.ceil((h.width * channels * h.bitDepth) / 8) + 1) * h.height;
    let idat = 0;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 8; i + 8 <= bytes.length; ) {
      const len = dv.getUint32(i);
      if (bytes[i + 4] === 0x49 && bytes[i + 5] === 0x44 && bytes[i + 6] === 0x41 && bytes[i + 7] === 0x54) idat += Math.min(len, bytes.length - i - 8);
      i += 12 + len;
    }
    if (idat * 1032 < raw) throw new ImageHeaderError(`${name}: corrupt or unreadable PNG (${idat} bytes of image data cannot hold the ${h.width}x${h.height} image its header claims)`);
    return;
  }
  if ((h.sof === 0xc0 || h.sof === 0xc1) && pixels > bytes.length * 512) {
    throw new ImageHeaderError(`${name}: corrupt or unreadable JPEG (${bytes.length} bytes cannot hold the ${h.width}x${h.height} image its header claims)`);
  }
}

/** Read the header and check its size (and that the data could hold it) in one step; undefined for bytes that are not PNG or JPEG. */
export function checkImageBytes(bytes: Uint8Array, name: string, maxPixels = DEFAULT_MAX_PIXELS): ImageHeader | undefined {
  const h = readImageHeader(bytes, name);
  if (h) {
    checkImageSize(h, name, maxPixels);
    checkImageData(bytes, h, name);
  }
  return h;
}
