import { createRequire } from 'node:module';
import path from 'node:path';
import { applyOrientation, jpegOrientation } from './exif.js';
import { decodeJpeg, rgbFromRgba } from './jpeg-decode.js';
import { PNG } from 'pngjs';
import type { HostIO } from '../graph/node-definition.js';
import { UserError } from '../graph/errors.js';
import type { ImageValue } from '../graph/values.js';
import { FileAccessError, type FileKind } from './file-policy.js';
import { readFileWithPolicy } from './file-policy-nodejs.js';
import { checkImageBytes, DEFAULT_MAX_PIXELS, sniffImageFormat } from './image-header.js';

export { sniffImageFormat };

/** The default cap on width x height; `--max-pixels` (setMaxImagePixels) changes it for the process. */
export const MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS;

let maxImagePixels = DEFAULT_MAX_PIXELS;

/** The pixel cap images are checked against, from their header, before decoding. */
export function setMaxImagePixels(n: number): void {
  maxImagePixels = n;
}

export function getMaxImagePixels(): number {
  return maxImagePixels;
}

export class UserInputError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'UserInputError';
  }
}

/**
 * Decode a JPEG or PNG to 8-bit RGB (or gray, for single-channel PNGs). The size is read from
 * the header and checked against the pixel cap before the decoder allocates anything.
 * Errors name the file.
 */
export function decodeImageNode(bytes: Uint8Array, name: string, maxPixels = maxImagePixels): ImageValue {
  const header = checkImageBytes(bytes, name, maxPixels);
  if (!header) throw new UserInputError(`${name}: not a JPEG or PNG image`);
  const format = header.format;
  try {
    if (format === 'jpeg') {
      const img = decodeJpeg(bytes, maxPixels);
      if (img.width !== header.width || img.height !== header.height) throw new Error(`decoded ${img.width}x${img.height}, the header says ${header.width}x${header.height}`);
      // upright as a browser shows it (EXIF orientation; see exif.ts)
      return applyOrientation({ ...img, channels: 3, source: name }, jpegOrientation(bytes));
    }
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (png.width !== header.width || png.height !== header.height) throw new Error(`decoded ${png.width}x${png.height}, the header says ${header.width}x${header.height}`);
    // pngjs expands to RGBA; colorType 0/4 are gray(+alpha): keep them single-channel.
    const gray = png.colorType === 0 || png.colorType === 4;
    return fromRGBA(png.data, png.width, png.height, gray, name);
  } catch (e) {
    const msg = String((e as Error)?.message ?? e).replace(/\s+/g, ' ').trim().slice(0, 160);
    throw new UserInputError(`${name}: corrupt or unreadable ${format.toUpperCase()} (${msg})`);
  }
}

function fromRGBA(rgba: Uint8Array, width: number, height: number, gray: boolean, source: string): ImageValue {
  const n = width * height;
  if (gray) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = rgba[i * 4];
    return { width, height, channels: 1, data, source };
  }
  return { width, height, channels: 3, data: rgbFromRgba(rgba, n), source };
}

/** Encode an 8-bit image as PNG: grayscale images stay single-channel (colour type 0). */
export function encodePngNode(img: ImageValue): Buffer {
  if (!(img.data instanceof Uint8Array)) throw new Error(`cannot write a float image as PNG; add a node that converts it to 8-bit`);
  const png = new PNG({ width: img.width, height: img.height, colorType: img.channels === 1 ? 0 : 2, inputColorType: img.channels === 1 ? 0 : 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: img.channels === 1 ? 0 : 2, inputColorType: img.channels === 1 ? 0 : 2, inputHasAlpha: false });
}

const require = createRequire(import.meta.url);

/** Where an npm package's file lies in node_modules. */
export function resolvePackageAsset(packagePath: string): string {
  const parts = packagePath.split('/');
  const pkg = parts[0].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const rest = parts.slice(pkg.split('/').length).join('/');
  const pkgJson = require.resolve(`${pkg}/package.json`);
  return path.join(path.dirname(pkgJson), rest);
}

/**
 * Read a file under the process's file access policy (src/io/file-policy-nodejs.ts): inside an
 * allowed folder, a regular file, no larger than its kind's cap. Errors are user errors that
 * name the file and the rule.
 */
export async function readUserFile(file: string, kind?: FileKind): Promise<Uint8Array> {
  return readFileWithPolicy(file, kind);
}

/** HostIO for Node: files from disk under the policy, assets from node_modules (or `modelDir` first, by base name). */
export function createNodeIO(opts: { modelDir?: string } = {}): HostIO {
  return {
    decodeImage: async (bytes, name) => decodeImageNode(bytes, name),
    readFile: (file, kind) => readUserFile(file, kind),
    async readPackageAsset(packagePath) {
      // Package files are named by the code, not by presets: only the file-type and size rules apply.
      const anywhere = { roots: undefined };
      if (opts.modelDir) {
        const candidate = path.join(opts.modelDir, path.basename(packagePath));
        try {
          return await readFileWithPolicy(candidate, 'model', anywhere);
        } catch (e) {
          if (!(e instanceof FileAccessError && e.rule === 'missing')) throw e;
          /* not in the user's folder: fall back to the package */
        }
      }
      return readFileWithPolicy(resolvePackageAsset(packagePath), 'model', anywhere);
    },
  };
}
