import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { decodeImageNode, resolvePackageAsset } from '../src/io/nodejs-io.js';
import { initBackend } from '../src/runtime/backend.js';

/**
 * One worker of the face-api baseline (bench/faceapi-baseline.ts): tfjs-wasm set up as our
 * workers do, face-api's SSD MobileNet v1 + 68 landmarks + dlib ResNet descriptor loaded from
 * its package. Each message is a list of image files; the reply is, for each, its descriptor
 * (null when no face was detected).
 */

if (!parentPort) throw new Error('faceapi-worker.ts must run in a worker thread');
const port = parentPort;

// face-api's node build require()s @tensorflow/tfjs: it must be the instance initBackend sets up
// (its bundled typings of tf differ from tfjs' own, hence the cast and faceapi.tf below).
if ((faceapi.tf.tensor3d as unknown) !== tf.tensor3d) throw new Error('face-api loaded a tfjs of its own');
await initBackend('wasm');
const modelDir = resolvePackageAsset('@vladmandic/face-api/model');
await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);

async function describe(file: string): Promise<Float32Array | null> {
  // the same decode as our pipeline's image source (libjpeg-turbo to 8-bit RGB)
  const img = decodeImageNode(readFileSync(file), file);
  const x = faceapi.tf.tensor3d(img.data, [img.height, img.width, img.channels], 'int32');
  try {
    const face = await faceapi.detectSingleFace(x, new faceapi.SsdMobilenetv1Options()).withFaceLandmarks().withFaceDescriptor();
    return face?.descriptor ?? null;
  } finally {
    x.dispose();
  }
}

port.on('message', async (files: string[]) => {
  const out: (Float32Array | null)[] = [];
  for (const f of files) out.push(await describe(f));
  port.postMessage(out);
});
