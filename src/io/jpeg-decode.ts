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
  calledRun?: boolean;
  JPEGDecoder?: new () => {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): { width: number; height: number; componentCount: number };
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  };
}
interface TurboOptions {
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): WebAssembly.Exports;
  print(): void;
  printErr(): void;
}

/** An instance whose heap grew past this (for a photo of 20 MP or so) is dropped after the image: memory goes back. */
const MAX_KEPT_HEAP = 64 * 1024 * 1024;

/**
 * The decoder, loaded synchronously (so importing this module needs no top-level await, and CommonJS can
 * require the library): the .wasm compiled here and instantiated in Emscripten's `instantiateWasm` hook,
 * after which the Embind classes exist on the module object at once. Throws when the package or its
 * .wasm cannot be loaded.
 */
export function loadLibjpegTurbo(pkg = LIBJPEG_TURBO_PACKAGE): JpegDecoder {
  const require = createRequire(import.meta.url);
  const factory = require(`${pkg}/decodewasmjs`) as (options: TurboOptions) => Promise<unknown>;
  const wasm = new WebAssembly.Module(readFileSync(require.resolve(`${pkg}/decodewasm`)));
  let mod: TurboModule | undefined;
  let memory: WebAssembly.Memory | undefined;
  const instantiate = () => {
    const m: TurboModule & TurboOptions = {
      instantiateWasm(imports, receive) {
        const instance = new WebAssembly.Instance(wasm, imports);
        memory = Object.values(instance.exports).find((x): x is WebAssembly.Memory => x instanceof WebAssembly.Memory);
        receive(instance, wasm);
        return instance.exports;
      },
      // libjpeg's warnings go nowhere: a refused image is reported by the caller, naming the file
      print: () => {},
      printErr: () => {},
    };
    factory(m).catch(() => {}); // a failure shows below, synchronously
    if (!m.calledRun || !m.JPEGDecoder) throw new Error(`${pkg} did not start synchronously`);
    return m;
  };
  mod = instantiate();
  return (bytes) => {
    mod ??= instantiate();
    const decoder = new mod.JPEGDecoder!();
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
      if ((memory?.buffer.byteLength ?? 0) > MAX_KEPT_HEAP) mod = memory = undefined;
    }
  };
}

function loadOrWarn(): JpegDecoder | undefined {
  try {
    return loadLibjpegTurbo();
  } catch (e) {
    const why = String((e as Error)?.message ?? e).replace(/\s+/g, ' ').slice(0, 200);
    if (isMainThread) process.stderr.write(`faceflow: ${LIBJPEG_TURBO_PACKAGE} did not load (${why}); decoding JPEG with jpeg-js (slower, and its pixels differ from browsers' by a few levels)\n`);
    return undefined;
  }
}

/** The process's decoder, or undefined (said once on stderr, by the main thread) when it did not load. */
export const libjpegTurbo = loadOrWarn();

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
