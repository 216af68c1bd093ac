import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { loadMtcnn } from '../../src/models/mtcnn/index.js';
import { initBackend } from '../../src/runtime/backend.js';

/**
 * The CLI's webgpu backend in Node (Dawn from the optional `webgpu` package). Here the only
 * adapter is SwiftShader (Debian chromium's Vulkan ICD, with libvulkan1), 80-100x slower than
 * wasm and slow to compile shaders, so correctness is checked on small shapes only; speed is
 * for a real GPU (docs/speed.md). Skips with the reason where no adapter can be had.
 */

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

/** P-Net's output map on a 20x22 image (5 programs: convs with PReLU, max pool, head) and a whole O-Net call would be too slow here. */
async function pnetMap(): Promise<Float32Array> {
  const nets = await loadMtcnn(createNodeIO());
  const x = tf.tidy(() => tf.mul(tf.randomUniform([1, 22, 20, 3], 0, 1, 'float32', 7), 255) as tf.Tensor4D);
  const y = nets.pnet.forward(x);
  try {
    return (await y.data()) as Float32Array;
  } finally {
    tf.dispose([x, y]);
  }
}

afterAll(async () => {
  await initBackend('wasm');
});

describe('webgpu in Node (Dawn)', () => {
  it('runs P-Net with the same results as wasm (within 1e-4)', async (ctx) => {
    await initBackend('wasm');
    const want = await pnetMap();
    const choice = await initBackend('webgpu');
    if (choice.name !== 'webgpu') ctx.skip(`no WebGPU adapter here (${choice.reason}); install libvulkan1 and Debian chromium for SwiftShader`);
    const got = await pnetMap();
    expect(got.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
    expect(worst).toBeLessThan(1e-4);
  }, 600_000);

  it('never picks a software adapter on its own: the automatic choice stays on wasm and says why', async (ctx) => {
    const before = process.env.FACEFLOW_PROBE_GPU;
    process.env.FACEFLOW_PROBE_GPU = '1';
    try {
      await initBackend('wasm');
      const choice = await initBackend();
      expect(choice.name).toBe('wasm');
      if (!/software WebGPU adapter/.test(choice.reason)) ctx.skip(`no software adapter to refuse here (${choice.reason})`);
      expect(choice.reason).toMatch(/webgpu skipped: software WebGPU adapter \(.*swiftshader/i);
    } finally {
      if (before === undefined) delete process.env.FACEFLOW_PROBE_GPU;
      else process.env.FACEFLOW_PROBE_GPU = before;
    }
  }, 120_000);
});
