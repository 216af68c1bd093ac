import { constantTensors, type TFLiteModel } from '../src/models/tflite/reader.js';

/**
 * A straightforward float64 MTCNN in plain loops over the raw TFLite weights, following the
 * files literally: OHWI kernels, [out, in] FC weights, the image transposed (W and H swapped)
 * before the net, (x - 127.5) / 128 input. Slow; for checking the tfjs nets on small inputs.
 */

/** An [h, w, c] map in float64. */
export interface Map3 {
  h: number;
  w: number;
  c: number;
  data: Float64Array;
}

type Weights = ReturnType<typeof constantTensors>;

function w(weights: Weights, name: string) {
  const t = weights.get(name);
  if (!t) throw new Error(`missing ${name}`);
  return t;
}

function conv(x: Map3, weights: Weights, layer: string, pad: 'valid' | 'same' = 'valid'): Map3 {
  const k = w(weights, `${layer}/weights/read`);
  const b = w(weights, `${layer}/Conv2D_bias`);
  const [O, KH, KW, I] = k.shape;
  if (I !== x.c) throw new Error(`${layer}: ${I} inputs, map has ${x.c}`);
  if (pad === 'same' && (KH !== 1 || KW !== 1)) throw new Error('only 1x1 SAME convs here');
  const h = x.h - KH + 1;
  const wd = x.w - KW + 1;
  const out = new Float64Array(h * wd * O);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < wd; xx++) {
      for (let o = 0; o < O; o++) {
        let s = b.values[o];
        for (let p = 0; p < KH; p++) {
          for (let q = 0; q < KW; q++) {
            for (let i = 0; i < I; i++) s += k.values[((o * KH + p) * KW + q) * I + i] * x.data[((y + p) * x.w + xx + q) * x.c + i];
          }
        }
        out[(y * wd + xx) * O + o] = s;
      }
    }
  }
  return { h, w: wd, c: O, data: out };
}

function prelu(x: Map3, weights: Weights, name: string): Map3 {
  const a = w(weights, `${name}/alpha/read`).values;
  const out = x.data.map((v, j) => (v >= 0 ? v : a[j % x.c] * v));
  return { ...x, data: out };
}

/** TF max pooling: VALID, or SAME with the padding at the bottom/right as TF puts it. */
function maxPool(x: Map3, k: number, s: number, pad: 'valid' | 'same'): Map3 {
  const size = (n: number) => (pad === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1);
  const before = (n: number) => (pad === 'same' ? Math.floor(Math.max((size(n) - 1) * s + k - n, 0) / 2) : 0);
  const h = size(x.h), wd = size(x.w), py = before(x.h), px = before(x.w);
  const out = new Float64Array(h * wd * x.c);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < wd; xx++) {
      for (let c = 0; c < x.c; c++) {
        let m = -Infinity;
        for (let p = 0; p < k; p++) {
          for (let q = 0; q < k; q++) {
            const iy = y * s + p - py, ix = xx * s + q - px;
            if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w) m = Math.max(m, x.data[(iy * x.w + ix) * x.c + c]);
          }
        }
        out[(y * wd + xx) * x.c + c] = m;
      }
    }
  }
  return { h, w: wd, c: x.c, data: out };
}

function dense(x: Float64Array, weights: Weights, layer: string): Float64Array {
  const m = w(weights, `${layer}/weights/read/transpose`);
  const b = w(weights, `${layer}/${layer.split('/')[1]}/MatMul_bias`);
  const [O, I] = m.shape;
  if (I !== x.length) throw new Error(`${layer}: ${I} inputs, got ${x.length}`);
  const out = new Float64Array(O);
  for (let o = 0; o < O; o++) {
    let s = b.values[o];
    for (let i = 0; i < I; i++) s += m.values[o * I + i] * x[i];
    out[o] = s;
  }
  return out;
}

function preluVec(x: Float64Array, weights: Weights, name: string): Float64Array {
  const a = w(weights, `${name}/alpha/read`).values;
  return x.map((v, j) => (v >= 0 ? v : a[j] * v));
}

/** [h, w, c] -> [w, h, c]. */
export function transpose(x: Map3): Map3 {
  const out = new Float64Array(x.data.length);
  for (let y = 0; y < x.h; y++) for (let xx = 0; xx < x.w; xx++) for (let c = 0; c < x.c; c++) out[(xx * x.h + y) * x.c + c] = x.data[(y * x.w + xx) * x.c + c];
  return { h: x.w, w: x.h, c: x.c, data: out };
}

function normalise(x: Map3): Map3 {
  return { ...x, data: x.data.map((v) => (v - 127.5) / 128) };
}

function softmax2(a: number, b: number): number {
  const m = Math.max(a, b);
  return Math.exp(b - m) / (Math.exp(a - m) + Math.exp(b - m));
}

/** P-Net on an upright RGB image: face probability [h', w'] and regression [h', w', 4], upright. */
export function referencePnet(model: TFLiteModel, img: Map3): { prob: Float64Array; reg: Float64Array; h: number; w: number } {
  const W = constantTensors(model);
  let x = transpose(normalise(img));
  x = prelu(conv(x, W, 'pnet/conv1'), W, 'pnet/PReLU1');
  x = maxPool(x, 2, 2, 'same');
  x = prelu(conv(x, W, 'pnet/conv2'), W, 'pnet/PReLU2');
  x = prelu(conv(x, W, 'pnet/conv3'), W, 'pnet/PReLU3');
  const logits = transpose(conv(x, W, 'pnet/conv4-1', 'same'));
  const reg = transpose(conv(x, W, 'pnet/conv4-2', 'same'));
  const prob = new Float64Array(logits.h * logits.w);
  for (let j = 0; j < prob.length; j++) prob[j] = softmax2(logits.data[2 * j], logits.data[2 * j + 1]);
  return { prob, reg: reg.data, h: logits.h, w: logits.w };
}

/** R-Net (24x24) or O-Net (48x48) on one upright crop: [face probability, regression..., landmarks...]. */
export function referenceRefineNet(model: TFLiteModel, net: 'rnet' | 'onet', crop: Map3): Float64Array {
  const W = constantTensors(model);
  let x = transpose(normalise(crop));
  x = prelu(conv(x, W, `${net}/conv1`), W, `${net}/prelu1`);
  x = maxPool(x, 3, 2, 'same');
  x = prelu(conv(x, W, `${net}/conv2`), W, `${net}/prelu2`);
  x = maxPool(x, 3, 2, 'valid');
  x = prelu(conv(x, W, `${net}/conv3`), W, `${net}/prelu3`);
  if (net === 'onet') {
    x = maxPool(x, 2, 2, 'same');
    x = prelu(conv(x, W, 'onet/conv4'), W, 'onet/prelu4');
  }
  const fc = net === 'rnet' ? ['rnet/conv4', 'rnet/prelu4'] : ['onet/conv5', 'onet/prelu5'];
  const f = preluVec(dense(x.data, W, fc[0]), W, fc[1]);
  const heads = net === 'rnet' ? ['rnet/conv5-1', 'rnet/conv5-2'] : ['onet/conv6-1', 'onet/conv6-2', 'onet/conv6-3'];
  const [logits, ...rest] = heads.map((h) => dense(f, W, h));
  return Float64Array.from([softmax2(logits[0], logits[1]), ...rest.flatMap((r) => Array.from(r))]);
}

/** Deterministic pseudo-random 0..255 RGB image. */
export function randomImage(h: number, w: number, seed: number): Map3 {
  let s = seed;
  const data = new Float64Array(h * w * 3).map(() => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor((s / 2147483648) * 256);
  });
  return { h, w, c: 3, data };
}

/** max |ours - ref| / max |ref|. */
export function relError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let maxErr = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(ours[i] - ref[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return maxErr / maxRef;
}

/**
 * Our P-Net output ([h, w, 5] rows: logit difference, 4 regressions) against the reference:
 * relative errors of the logits and the regressions, and the logits' range (a flat map proves little).
 */
export function pnetErrors(ours: Float32Array, ref: ReturnType<typeof referencePnet>): { logit: number; regression: number; logitSpread: number } {
  const n = ref.h * ref.w;
  const logit = Array.from({ length: n }, (_, j) => ours[j * 5]);
  const refLogit = Array.from(ref.prob, (p) => Math.log(p / (1 - p)));
  const reg = Array.from({ length: n * 4 }, (_, j) => ours[Math.floor(j / 4) * 5 + 1 + (j % 4)]);
  return { logit: relError(logit, refLogit), regression: relError(reg, ref.reg), logitSpread: Math.max(...refLogit) - Math.min(...refLogit) };
}
