import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { HostIO } from '../graph/node-definition';
import type { ImageValue } from '../graph/values';

/** Images above this many pixels are refused with a clear error instead of exhausting memory. */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

export class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserInputError';
  }
}

export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Decode a JPEG or PNG to 8-bit RGB (or gray, for single-channel PNGs). Errors name the file. */
export function decodeImageNode(bytes: Uint8Array, name: string): ImageValue {
  const format = sniffImageFormat(bytes);
  if (!format) throw new UserInputError(`${name}: not a JPEG or PNG image`);
  try {
    if (format === 'jpeg') {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 2048 });
      return fromRGBA(img.data, img.width, img.height, false, name);
    }
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (png.width * png.height > MAX_IMAGE_PIXELS) throw new Error(`image is ${png.width}x${png.height}, more than ${MAX_IMAGE_PIXELS / 1024 / 1024} megapixels`);
    // pngjs expands to RGBA; colorType 0/4 are gray(+alpha): keep them single-channel.
    const gray = png.colorType === 0 || png.colorType === 4;
    return fromRGBA(png.data, png.width, png.height, gray, name);
  } catch (e) {
    const msg = (e as Error).message.replace(/\s+/g, ' ').trim();
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
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = rgba[i * 4];
    data[i * 3 + 1] = rgba[i * 4 + 1];
    data[i * 3 + 2] = rgba[i * 4 + 2];
  }
  return { width, height, channels: 3, data, source };
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

export async function readUserFile(file: string): Promise<Uint8Array> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new UserInputError(`${file}: is a directory, expected a file`);
    return new Uint8Array(await readFile(file));
  } catch (e) {
    if (e instanceof UserInputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserInputError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? (e as Error).message})`);
  }
}

/** HostIO for Node: files from disk, assets from node_modules (or `modelDir` first, by base name). */
export function createNodeIO(opts: { modelDir?: string } = {}): HostIO {
  return {
    decodeImage: async (bytes, name) => decodeImageNode(bytes, name),
    readFile: readUserFile,
    async readPackageAsset(packagePath) {
      if (opts.modelDir) {
        const candidate = path.join(opts.modelDir, path.basename(packagePath));
        try {
          return new Uint8Array(await readFile(candidate));
        } catch {
          /* not in the user's folder: fall back to the package */
        }
      }
      return readUserFile(resolvePackageAsset(packagePath));
    },
  };
}
