import type { HostIO } from '../graph/node-definition.js';
import { UserError } from '../graph/errors.js';
import type { ImageValue } from '../graph/values.js';
import { galleryNameFromUrl, readGalleryUrl } from './gallery-store.js';
import { parseWeightsUrl, readWeightsUrl } from './weights-store.js';
import { FileAccessError, fileKindOf, readBounded, type FileKind } from './file-policy.js';
import { checkImageBytes, checkImageSize, DEFAULT_MAX_PIXELS, readImageHeader as readHeader } from './image-header.js';

/** Images above this many pixels are refused before decoding (same limit as the Node IO). */
export const MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS;

/** Width, height and whether it is a grayscale PNG, read from a PNG or JPEG header; undefined for other formats. */
export function readImageHeader(b: Uint8Array): { format: 'png' | 'jpeg'; width: number; height: number; gray: boolean } | undefined {
  try {
    const h = readHeader(b);
    return h && { format: h.format, width: h.width, height: h.height, gray: h.gray };
  } catch {
    return undefined;
  }
}

/** Decode image bytes with the browser's codecs to 8-bit RGB (gray for a grayscale PNG). Errors name the file. */
export async function decodeImageBrowser(bytes: Uint8Array, name: string): Promise<ImageValue> {
  // PNG and JPEG sizes are checked from the header before the browser decodes anything.
  const header = checkImageBytes(bytes, name, MAX_IMAGE_PIXELS);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    const what = header ? `corrupt or unreadable ${header.format.toUpperCase()}` : 'not an image this browser can decode (JPEG, PNG, WebP, GIF, BMP)';
    throw new UserError(`${name}: ${what}`);
  }
  try {
    const { width, height } = bitmap;
    if (!width || !height) throw new UserError(`${name}: image has no pixels`);
    checkImageSize({ format: header?.format ?? 'png', width, height, gray: false, bitDepth: 8, colorType: 0 }, name, MAX_IMAGE_PIXELS);
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

/**
 * The browser side of the file access policy: a preset may fetch only same-origin URLs (and
 * files the user picked: blob: URLs, galleries and weights saved in this browser).
 */
export function checkBrowserUrl(url: string, baseUrl: string): string {
  const u = new URL(url, baseUrl);
  const origin = new URL(baseUrl).origin;
  if (u.protocol === 'blob:' && u.origin === origin) return u.href;
  if ((u.protocol === 'http:' || u.protocol === 'https:') && u.origin === origin) return u.href;
  throw new FileAccessError(url, 'origin', `refused: a preset may read only files of this site (${origin}) or files you picked`);
}

async function fetchBytes(url: string, what: string, kind: FileKind = fileKindOf(what)): Promise<Uint8Array> {
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
  return readBounded(res, what, kind);
}

/**
 * HostIO for the browser (main thread or worker): URLs via fetch, package files from
 * `<baseUrl>pkg/<package path>` (served by the package-assets Vite plugin).
 */
export function createBrowserIO(opts: { baseUrl: string }): HostIO {
  return {
    decodeImage: decodeImageBrowser,
    // Galleries and trained weights saved in this browser are read from IndexedDB; everything else is fetched.
    readFile: async (url, kind) => {
      if (galleryNameFromUrl(url) !== undefined) return readGalleryUrl(url);
      if (parseWeightsUrl(url)) return readWeightsUrl(url);
      return fetchBytes(checkBrowserUrl(url, opts.baseUrl), url, kind);
    },
    readPackageAsset: (packagePath) => fetchBytes(new URL(`pkg/${packagePath}`, opts.baseUrl).href, packagePath, 'model'),
  };
}
