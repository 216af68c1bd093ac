import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import jpeg from 'jpeg-js';

/**
 * JPEG decoding in Node: libjpeg-turbo compiled to WebAssembly (@cornerstonejs/codec-libjpeg-turbo-8bit):
 * the decoder browsers use (Chromium's JPEG decoder is libjpeg-turbo), so Node and the lab see the same
 * pixels, 3-8x faster than jpeg-js here (bench/decode.ts, docs/speed.md). No native build, no download:
 * the .wasm is read from node_modules and handed to the Emscripten factory, which never fetches.
 */

export const LIBJPEG_TURBO_PACKAGE = '@cornerstonejs/codec-libjpeg-turbo-8bit';

/** Decoded 8-bit RGB, interleaved. */
export interface RgbPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

export type JpegDecoder = (bytes: Uint8Array) => RgbPixels;

/** jpeg-js (pure JavaScript): the fallback, and what Node used before libjpeg-turbo. */
export function decodeJpegJs(bytes: Uint8Array, maxPixels: number): RgbPixels {
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / 1e6) + 64 });
  return { width: img.width, height: img.height, data: rgbFromRgba(img.data, img.width * img.height) };
}

export function rgbFromRgba(rgba: Uint8Array, n: number): Uint8Array {
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = rgba[i * 4];
    data[i * 3 + 1] = rgba[i * 4 + 1];
    data[i * 3 + 2] = rgba[i * 4 + 2];
  }
  return data;
}

/** The part of the package's Embind API used here (it ships no types). */
interface TurboModule {
  JPEGDecoder: new () => {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): { width: number; height: number; componentCount: number };
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  };
}
type TurboFactory = (options: { wasmBinary: Uint8Array; print: () => void; printErr: () => void }) => Promise<TurboModule>;

/** Instantiate the decoder; rejects when the package or its .wasm cannot be loaded. */
export async function loadLibjpegTurbo(pkg = LIBJPEG_TURBO_PACKAGE): Promise<JpegDecoder> {
  const require = createRequire(import.meta.url);
  const factory = require(`${pkg}/decodewasmjs`) as TurboFactory;
  const wasmBinary = readFileSync(require.resolve(`${pkg}/decodewasm`));
  // libjpeg's warnings go nowhere: a refused image is reported by the caller, naming the file
  const mod = await factory({ wasmBinary, print: () => {}, printErr: () => {} });
  return (bytes) => {
    const decoder = new mod.JPEGDecoder();
    try {
      decoder.getEncodedBuffer(bytes.length).set(bytes);
      try {
        decoder.decode();
      } catch (e) {
        // Embind throws C++ exceptions as bare pointers: no message to pass on
        throw new Error(typeof e === 'number' ? 'libjpeg-turbo refused it' : String((e as Error)?.message ?? e));
      }
      const { width, height, componentCount } = decoder.getFrameInfo();
      // a view into the wasm heap: copy it out before the decoder is freed
      const decoded = decoder.getDecodedBuffer();
      // (a Uint8ClampedArray: copied into a Uint8Array, the type 8-bit images have here)
      if (componentCount === 3) return { width, height, data: new Uint8Array(decoded.subarray(0, width * height * 3)) };
      if (componentCount !== 1) throw new Error(`${componentCount} colour components`);
      const data = new Uint8Array(width * height * 3);
      for (let i = 0, n = width * height; i < n; i++) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = decoded[i];
      return { width, height, data };
    } finally {
      decoder.delete();
    }
  };
}

/** The process's decoder, or undefined (with one line on stderr, from the main thread) when it did not load. */
export const libjpegTurbo: JpegDecoder | undefined = await loadLibjpegTurbo().catch((e: unknown) => {
  const why = String((e as Error)?.message ?? e).replace(/\s+/g, ' ').slice(0, 200);
  if (isMainThread) process.stderr.write(`faceflow: ${LIBJPEG_TURBO_PACKAGE} did not load (${why}); decoding JPEG with jpeg-js (slower, and its pixels differ from browsers' by a few levels)\n`);
  return undefined;
});

/**
 * libjpeg-turbo when it loaded; jpeg-js for what it refuses (CMYK, data damaged enough for
 * libjpeg-turbo to stop): jpeg-js is lenient, and its errors name the fault.
 */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number): RgbPixels {
  if (libjpegTurbo) {
    try {
      return libjpegTurbo(bytes);
    } catch {
      /* jpeg-js decides */
    }
  }
  return decodeJpegJs(bytes, maxPixels);
}
