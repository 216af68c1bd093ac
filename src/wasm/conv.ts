import { Code, I32, V128 } from './emit.js';
import { forEachTile, prelu } from './tiles.js';

/**
 * A generated WebAssembly SIMD convolution (VALID, any stride) with bias and optional PReLU, for
 * the narrow layers of MTCNN and MobileFaceNet. Channel counts, kernel size and stride are baked
 * in as constants; the image size and the parameters' address are arguments.
 *
 * Layout: NHWC float32, exactly C channels per pixel. A tile is `mr` output pixels of one row
 * by a block of output channels (4 per vector); its partial last vector (when C % 4 != 0) is
 * stored whole and spills into the next pixel's first channels, which are written after it: the
 * last partial block is computed first and stores go in pixel order. Buffers need 16 bytes of slack.
 */

export interface ConvLayout {
  kh: number;
  kw: number;
  cin: number;
  cout: number;
  prelu: boolean;
  /** Stride in both directions (1 when left out). */
  stride?: number;
}

/** Vectors (of 4 channels) per block and pixels per tile: 4 x 2 accumulators fit x64's 16 vector registers with room to spare. */
const V = 2;
const MR = 4;

/** Output size of a VALID window of `k` every `stride` pixels over `n`. */
export function outSize(n: number, k: number, stride = 1): number {
  return Math.floor((n - k) / stride) + 1;
}

export interface ConvPlan extends ConvLayout {
  /** Byte size of the packed parameters (bias, alpha, weights per block). */
  bytes: number;
  /** Pack HWIO weights, bias and PReLU alphas into `out` (a Float32Array over the memory, at this plan's address). */
  pack(out: Float32Array, filter: Float32Array, bias: Float32Array, alpha?: Float32Array): void;
}

interface Block { vectors: number; firstChannel: number; floatOffset: number }

function blocks(l: ConvLayout): { tail?: Block; full: Block[]; floats: number } {
  const k = l.kh * l.kw * l.cin;
  const fullCount = Math.floor(l.cout / (4 * V));
  const rest = l.cout - fullCount * 4 * V;
  let at = 0;
  const size = (vectors: number) => vectors * 4 * (2 + k);
  let tail: Block | undefined;
  if (rest) {
    tail = { vectors: Math.ceil(rest / 4), firstChannel: fullCount * 4 * V, floatOffset: 0 };
    at += size(tail.vectors);
  }
  const full: Block[] = [];
  for (let b = 0; b < fullCount; b++) {
    full.push({ vectors: V, firstChannel: b * 4 * V, floatOffset: at });
    at += size(V);
  }
  return { tail, full, floats: at };
}

export function convPlan(l: ConvLayout): ConvPlan {
  const { tail, full, floats } = blocks(l);
  const k = l.kh * l.kw * l.cin;
  return {
    ...l,
    bytes: floats * 4,
    pack(out, filter, bias, alpha) {
      for (const b of tail ? [tail, ...full] : full) {
        const lanes = b.vectors * 4;
        const o = b.floatOffset;
        out.fill(0, o, o + lanes * (2 + k));
        for (let c = 0; c < lanes && b.firstChannel + c < l.cout; c++) {
          const ch = b.firstChannel + c;
          out[o + c] = bias[ch];
          out[o + lanes + c] = alpha ? alpha[ch] : 0;
          for (let i = 0; i < k; i++) out[o + 2 * lanes + i * lanes + c] = filter[i * l.cout + ch];
        }
      }
    },
  };
}

/**
 * conv(inPtr, outPtr, n, h, w, params): n images of h x w x cin at inPtr -> n of oh x ow x cout at
 * outPtr (o = (i - k) / stride + 1, rounded down), with parameters packed by the plan at byte
 * `params`: layers of one layout share the kernel. Needs ow >= `mr` (use mr = 1 for narrow maps).
 */
export function convKernel(plan: ConvPlan, mr = MR): Code {
  const { kh, kw, cin, cout } = plan;
  const stride = plan.stride ?? 1;
  const { tail, full } = blocks(plan);
  const k = kh * kw * cin;
  const c = new Code([I32, I32, I32, I32, I32, I32]);
  const params = 5;
  const blk = c.local(I32), outc = c.local(I32), blkEnd = c.local(I32);
  const acc = Array.from({ length: mr * V }, () => c.local(V128));
  const wv = Array.from({ length: V }, () => c.local(V128));
  const p = c.local(I32), q = c.local(I32), pEnd = c.local(I32);
  const s = c.local(V128), zero = c.local(V128), t = c.local(V128);

  /** One block of the tile: parameters at `base` + `paramOff` bytes, output at `obase` + `outOff`. */
  const block = (rows: number[], vectors: number, base: number, paramOff: number, obase: number, outOff: number) => {
    const lanes = vectors * 4;
    const pbase = () => c.get(base);
    for (let j = 0; j < vectors; j++) {
      pbase().v128Load(paramOff + 16 * j).set(t);
      for (let m = 0; m < mr; m++) c.get(t).set(acc[m * V + j]);
    }
    for (let ky = 0; ky < kh; ky++) {
      // One runtime loop over a kernel row's (kx, input channel) pairs, which lie contiguous in
      // both the input row and the packed weights: p walks the input, q the weights.
      // (Unrolling it made V8 spill the accumulators: 2x slower.)
      c.get(rows[ky]).set(p);
      pbase().i32(paramOff + 4 * (2 * lanes + ky * kw * cin * lanes)).add().set(q);
      c.get(p).i32(kw * cin * 4).add().set(pEnd);
      c.loop(() => {
        for (let j = 0; j < vectors; j++) c.get(q).v128Load(16 * j).set(wv[j]);
        for (let m = 0; m < mr; m++) {
          c.get(p).f32Splat(m * stride * cin * 4).set(s);
          for (let j = 0; j < vectors; j++) {
            const a = acc[m * V + j];
            c.get(a).get(s).get(wv[j]).f32x4Mul().f32x4Add().set(a);
          }
        }
        c.inc(q, lanes * 4).inc(p, 4).get(p).get(pEnd).ltS().brIf(0);
      });
    }
    if (plan.prelu) {
      for (let j = 0; j < vectors; j++) {
        pbase().v128Load(paramOff + 4 * lanes + 16 * j).set(wv[j]);
        for (let m = 0; m < mr; m++) prelu(c, acc[m * V + j], wv[j], zero);
      }
    }
    for (let m = 0; m < mr; m++) {
      for (let j = 0; j < vectors; j++) c.get(obase).get(acc[m * V + j]).v128Store(outOff + 4 * (m * cout) + 16 * j);
    }
  };

  c.v128Zero().set(zero);
  const fullBytes = V * 4 * (2 + k) * 4;
  forEachTile(c, { kh, kw, stride, inPixel: cin * 4, outPixel: cout * 4, mr }, (rows, out) => {
    if (tail) block(rows, tail.vectors, params, tail.floatOffset * 4, out, tail.firstChannel * 4);
    if (full.length) {
      c.get(out).set(outc);
      c.get(params).i32(full[0].floatOffset * 4).add().set(blk);
      c.get(blk).i32(full.length * fullBytes).add().set(blkEnd);
      c.loop(() => {
        block(rows, V, blk, 0, outc, 0);
        c.inc(blk, fullBytes).inc(outc, 4 * V * 4);
        c.get(blk).get(blkEnd).ltS().brIf(0);
      });
    }
  });
  return c;
}
