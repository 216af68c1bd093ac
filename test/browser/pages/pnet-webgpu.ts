// Served by the dev server in the browser tests: P-Net run by the app's own code on the webgpu
// backend, checked against the plain float64 loops of test/mtcnn-reference.ts on a small random image.
import * as tf from '@tensorflow/tfjs';
import '../../../src/runtime/wasm-paths.js';
import { createBrowserIO } from '../../../src/io/browser-io.js';
import { loadMtcnn, pnetMapSize } from '../../../src/models/mtcnn/index.js';
import { readTFLite } from '../../../src/models/tflite/reader.js';
import { MODEL_ASSETS } from '../../../src/models/weights.js';
import { initBackend } from '../../../src/runtime/backend.js';
import { pnetErrors, randomImage, referencePnet } from '../../mtcnn-reference.js';

async function check() {
  const choice = await initBackend('webgpu');
  const io = createBrowserIO({ baseUrl: new URL('/', location.href).href });
  const img = randomImage(29, 22, 1);
  const ref = referencePnet(readTFLite(await io.readPackageAsset(MODEL_ASSETS.pnet.packagePath), 'pnet.tflite'), img);
  const nets = await loadMtcnn(io);
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => nets.pnet.forward(tf.tensor4d(Float32Array.from(img.data), [1, img.h, img.w, 3])));
  const size = pnetMapSize(img.w, img.h);
  const shapeOk = out.shape.join() === [1, ref.h, ref.w, 5].join() && size.height === ref.h && size.width === ref.w;
  const errors = pnetErrors((await out.data()) as Float32Array, ref);
  out.dispose();
  return { backend: tf.getBackend(), reason: choice.reason, shapeOk, ...errors, leaked: tf.memory().numTensors - before };
}

const result = check().catch((e: Error) => ({ error: e.message }));
(window as unknown as { pnetCheck: typeof result }).pnetCheck = result;
result.then((r) => {
  document.getElementById('out')!.textContent = JSON.stringify(r, null, 2);
});
