import type { HostIO } from '../graph/node-definition';
import type { ImageValue } from '../graph/values';
import { galleryNameFromUrl, readGalleryUrl } from './gallery-store';
import { parseWeightsUrl, readWeightsUrl } from './weights-store';

/** Images above this many pixels are refused before decoding (same limit as the Node IO). */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

/** Width, height and whether it is a grayscale PNG, read from a PNG or JPEG header; undefined for other formats. */
export function readImageHeader(b: Uint8Array): { format: 'png' | 'jpeg'; width: number; height: number; gray: boolean } | undefined {
  if (b.length >= 26 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return { format: 'png', width: dv.getUint32(16), height: dv.getUint32(20), gray: b[25] === 0 || b[25] === 4 };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // Walk the marker segments to the first start-of-frame (SOF0..SOF15 except DHT/JPG/DAC).
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return { format: 'jpeg', width: 0, height: 0, gray: false };
      const marker = b[i + 1];
      if (marker === 0xff) { i++; continue; }
      const len = (b[i + 2] << 8) | b[i + 3];
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'jpeg', height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8], gray: false };
      }
      i += 2 + len;
    }
    return { format: 'jpeg', width: 0, height: 0, gray: false };
  }
  return undefined;
}

/** Decode image bytes with the browser's codecs to 8-bit RGB (gray for a grayscale PNG). Errors name the file. */
export async function decodeImageBrowser(bytes: Uint8Array, name: string): Promise<ImageValue> {
  const header = readImageHeader(bytes);
  if (header && header.width * header.height > MAX_IMAGE_PIXELS) {
    throw new Error(`${name}: image is ${header.width}x${header.height}, more than ${MAX_IMAGE_PIXELS / 1024 / 1024} megapixels`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    const what = header ? `corrupt or unreadable ${header.format.toUpperCase()}` : 'not an image this browser can decode (JPEG, PNG, WebP, GIF, BMP)';
    throw new Error(`${name}: ${what}`);
  }
  try {
    const { width, height } = bitmap;
    if (!width || !height) throw new Error(`${name}: image has no pixels`);
    if (width * height > MAX_IMAGE_PIXELS) throw new Error(`${name}: image is ${width}x${height}, more than ${MAX_IMAGE_PIXELS / 1024 / 1024} megapixels`);
    const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error(`${name}: no 2D canvas to decode into`);
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const channels = header?.gray ? 1 : 3;
    const n = width * height;
    const data = new Uint8Array(n * channels);
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      data[j] = rgba[i * 4];
      if (channels === 3) {
        data[j + 1] = rgba[i * 4 + 1];
        data[j + 2] = rgba[i * 4 + 2];
      }
    }
    return { width, height, channels, data, source: name };
  } finally {
    bitmap.close();
  }
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`${what}: cannot fetch (${(e as Error).message})`);
  }
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${res.statusText}`.trim());
  // Single-page-app servers answer a missing file with index.html: report it as missing.
  if (res.headers.get('content-type')?.startsWith('text/html') && !/\.html?$/i.test(new URL(url).pathname)) {
    throw new Error(`${what}: not found (the server sent its HTML page instead)`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * HostIO for the browser (main thread or worker): URLs via fetch, package files from
 * `<baseUrl>pkg/<package path>` (served by the package-assets Vite plugin).
 */
export function createBrowserIO(opts: { baseUrl: string }): HostIO {
  return {
    decodeImage: decodeImageBrowser,
    // Galleries and trained weights saved in this browser are read from IndexedDB; everything else is fetched.
    readFile: (url) => {
      if (galleryNameFromUrl(url) !== undefined) return readGalleryUrl(url);
      if (parseWeightsUrl(url)) return readWeightsUrl(url);
      return fetchBytes(new URL(url, opts.baseUrl).href, url);
    },
    readPackageAsset: (packagePath) => fetchBytes(new URL(`pkg/${packagePath}`, opts.baseUrl).href, packagePath),
  };
}
