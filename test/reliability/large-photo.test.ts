import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../nodes/index.js';
import { downscaleImage } from '../../nodes/image-pyramid/index.js';
import { compilePipeline } from '../../src/graph/compile.js';
import type { Pipeline } from '../../src/graph/schema.js';
import type { DetectionsValue, ImageValue } from '../../src/graph/values.js';
import { createNodeIO, decodeImageNode, resolvePackageAsset } from '../../src/io/nodejs-io.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Executor } from '../../src/runtime/executor.js';

/**
 * A very large photo is detected on a downscaled copy instead of exhausting wasm memory
 * (issue 12, item 2); its faces come back in the photo's own pixels.
 */
beforeAll(async () => {
  await initBackend('wasm');
});

function upscale(img: ImageValue, f: number): ImageValue {
  const width = img.width * f;
  const height = img.height * f;
  const data = new Uint8Array(width * height * img.channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = ((Math.floor(y / f) * img.width) + Math.floor(x / f)) * img.channels;
      const d = (y * width + x) * img.channels;
      for (let k = 0; k < img.channels; k++) data[d + k] = img.data[s + k];
    }
  }
  return { ...img, width, height, data };
}

const detector: Pipeline = {
  schema: 'faceflow/pipeline', version: 2, name: 'd', description: '',
  nodes: [{ id: 'input', type: 'image-input', params: {}, position: { x: 0, y: 0 } }, { id: 'mtcnn', type: 'mtcnn', params: {}, position: { x: 1, y: 0 } }],
  edges: [{ from: { node: 'input', port: 'image' }, to: { node: 'mtcnn', port: 'image' } }],
};

describe('large photos', () => {
  it('downscaleImage averages boxes of pixels', () => {
    const img: ImageValue = { width: 4, height: 2, channels: 1, data: new Uint8Array([0, 10, 20, 30, 40, 50, 60, 70]) };
    expect(Array.from(downscaleImage(img, 2, 1).data)).toEqual([25, 45]);
  });

  it('a 30 MP photo is detected downscaled, with the same faces as the original, in its own pixels', async () => {
    const photo = decodeImageNode(new Uint8Array(await readFile(resolvePackageAsset('@vladmandic/face-api/demo/sample2.jpg'))), 'sample2.jpg');
    const f = Math.ceil(Math.sqrt(30e6 / (photo.width * photo.height)));
    const big = upscale(photo, f);
    expect(big.width * big.height).toBeGreaterThan(25e6);
    const plan = compilePipeline(detector, registry);
    const run = async (image: ImageValue) => (await new Executor().run(plan, [{ id: `${image.width}`, name: 'x', image }], { io: createNodeIO() })).items[0];
    const small = await run(photo);
    const large = await run(big);
    expect(large.error).toBeUndefined();
    expect(large.reports.mtcnn.downscaled).toBeDefined();
    const a = small.outputs.mtcnn.detections as DetectionsValue;
    const b = large.outputs.mtcnn.detections as DetectionsValue;
    expect(b.imageWidth).toBe(big.width);
    expect(b.boxes.length).toBe(a.boxes.length);
    for (const box of a.boxes) {
      const cx = ((box[0] + box[2]) / 2) * f;
      const cy = ((box[1] + box[3]) / 2) * f;
      const near = b.boxes.some((q) => Math.abs((q[0] + q[2]) / 2 - cx) < 0.1 * (box[2] - box[0]) * f && Math.abs((q[1] + q[3]) / 2 - cy) < 0.1 * (box[3] - box[1]) * f);
      expect(near).toBe(true);
    }
  });
});
