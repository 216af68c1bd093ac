import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeIO } from '../../src/io/nodejs-io.js';
import { PNET_BANDS, SimdNet, TfNet, pnetLayers } from '../../src/models/mtcnn/index.js';
import { readTFLite } from '../../src/models/tflite/reader.js';
import { MODEL_ASSETS } from '../../src/models/weights.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { type CnnLayer, SimdCnn, simdSupported } from '../../src/wasm/cnn.js';

/**
 * The generated SIMD kernels against tfjs' own ops (cpu backend) on random data, over the shapes
 * where they can go wrong: output widths 1-9 (every tile width, with the last tile stepping
 * back), channel counts that leave a partial vector or block (their stores spill into the
 * next pixel), several images, PReLU or none, odd map sizes for 'same' pools.
 */

const rng = new Rng(7);
const randoms = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale);

function conv(shape: [number, number, number, number], prelu: boolean): CnnLayer {
  const [kh, kw, cin, cout] = shape;
  return { op: 'conv', filter: randoms(kh * kw * cin * cout, 0.5), shape, bias: randoms(cout), alpha: prelu ? randoms(cout, 0.5) : undefined };
}

async function compare(layers: CnnLayer[], n: number, h: number, w: number, c: number) {
  const simd = await SimdCnn.compile(layers, c);
  const ref = new TfNet(layers);
  const x = randoms(n * h * w * c, 3);
  const ours = simd.run(x, n, h, w);
  const y = tf.tidy(() => ref.forward(tf.tensor4d(x, [n, h, w, c])));
  const expected = (await y.data()) as Float32Array;
  expect(ours.shape).toEqual(y.shape);
  y.dispose();
  ref.dispose();
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(ours.data[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('generated WebAssembly SIMD kernels', () => {
  it('run in this engine', () => {
    expect(simdSupported()).toBe(true);
  });

  it('conv: every tile width and partial channel block, with and without PReLU', async () => {
    for (const [kh, kw] of [[3, 3], [2, 2], [1, 1]]) {
      for (const cin of [1, 3, 5]) {
        for (const cout of [1, 4, 5, 10, 13, 28]) {
          for (const width of [kw, kw + 1, kw + 2, kw + 3, kw + 4, kw + 8]) {
            const worst = await compare([conv([kh, kw, cin, cout], cout % 2 === 0)], 2, kh + 1, width, cin);
            expect(worst, `${kh}x${kw}x${cin}->${cout} on width ${width}`).toBeLessThan(1e-5);
          }
        }
      }
    }
  });

  it('max pool: sizes 2 and 3, same and valid, odd and even maps', async () => {
    for (const [size, pad] of [[2, 'same'], [3, 'same'], [3, 'valid']] as const) {
      for (const channels of [1, 3, 10]) {
        for (const [h, w] of [[4, 4], [5, 7], [9, 6], [22, 21]]) {
          const worst = await compare([conv([1, 1, 2, channels], false), { op: 'pool', size, pad }], 2, h, w, 2);
          expect(worst, `${size} ${pad} ${channels}ch ${h}x${w}`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('a whole small net: convs, pools, flatten, dense with PReLU, a linear head; 1 to 6 rows', async () => {
    const layers: CnnLayer[] = [
      conv([3, 3, 3, 12], true), { op: 'pool', size: 3, pad: 'same' }, conv([3, 3, 12, 20], true), { op: 'pool', size: 3, pad: 'valid' },
      { op: 'dense', weights: randoms(2 * 2 * 20 * 9, 0.2), shape: [80, 9], bias: randoms(9), alpha: randoms(9) },
      { op: 'dense', weights: randoms(9 * 5), shape: [9, 5], bias: randoms(5) },
    ];
    for (const n of [1, 2, 3, 4, 6]) expect(await compare(layers, n, 16, 16, 3)).toBeLessThan(1e-5);
  });

  it('refuses an input too small for the net, or of the wrong length, naming the sizes', async () => {
    const net = await SimdCnn.compile([conv([3, 3, 3, 4], true), { op: 'pool', size: 3, pad: 'valid' }], 3);
    expect(() => net.run(new Float32Array(4 * 4 * 3), 1, 4, 4)).toThrow('input 4x4 is too small for this net');
    expect(() => net.run(new Float32Array(10), 1, 4, 4)).toThrow('input has 10 values, not 1x4x4x3');
    await expect(SimdCnn.compile([conv([3, 3, 4, 4], true)], 3)).rejects.toThrow('layer 0: conv expects 4 channels, gets 3');
  });

  it('P-Net in bands of rows (bounded memory on big photos) gives exactly the whole-image maps', async () => {
    const layers = pnetLayers(readTFLite(await createNodeIO().readPackageAsset(MODEL_ASSETS.pnet.packagePath)));
    const whole = await SimdNet.compile(layers);
    // ~40 KB per band: a 97x61 image goes through in several bands, the last one short
    const banded = await SimdNet.compile(layers, PNET_BANDS, 40_000);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 97 * 61 * 3 }, () => rng.uniform() * 255), [2, 97, 61, 3]);
    const before = tf.memory().numTensors;
    const a = whole.forward(x), b = banded.forward(x);
    expect(b.shape).toEqual(a.shape);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
