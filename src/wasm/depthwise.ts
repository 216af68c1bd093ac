import { Code, I32, V128 } from './emit.js';
import { forEachTile, prelu } from './tiles.js';

/**
 * Generated depthwise convolution (one k x k filter per channel, VALID, stride 1 or 2) with bias
 * and optional PReLU: MobileFaceNet's 3x3 and 7x7 layers. A tile is `mr` output pixels of one
 * row; the runtime loop goes over the channels 4 at a time, each tap's weights loaded once per
 * tile. 'same' padding is done by the caller (zeros around the input), as for ./conv.ts.
 */

export interface DepthwiseLayout {
  k: number;
  channels: number;
  stride: number;
  prelu: boolean;
}

export interface DepthwisePlan extends DepthwiseLayout {
  bytes: number;
  /** Pack [k, k, channels] weights, bias and PReLU alphas as [bias | alpha | weights]. */
  pack(out: Float32Array, filter: Float32Array, bias: Float32Array, alpha?: Float32Array): void;
}

export function depthwisePlan(l: DepthwiseLayout): DepthwisePlan {
  if (l.channels % 4) throw new Error(`depthwise kernel needs a multiple of 4 channels, not ${l.channels}`);
  const { channels: c, k } = l;
  return {
    ...l,
    bytes: (2 + k * k) * c * 4,
    pack(out, filter, bias, alpha) {
      out.set(bias, 0);
      if (alpha) out.set(alpha, c);
      else out.fill(0, c, 2 * c);
      out.set(filter.subarray(0, k * k * c), 2 * c);
    },
  };
}

/**
 * dw(inPtr, outPtr, n, h, w, params): n maps of h x w x channels -> n of oh x ow x channels,
 * o = (i - k) / stride + 1, with parameters packed by the plan at byte `params`. Needs ow >= mr.
 */
export function depthwiseKernel(plan: DepthwisePlan, mr: number): Code {
  const { k, channels, stride } = plan;
  const c = new Code([I32, I32, I32, I32, I32, I32]);
  const params = 5;
  const cv = c.local(I32), pc = c.local(I32);
  const at = Array.from({ length: k }, () => c.local(I32));
  const acc = Array.from({ length: mr }, () => c.local(V128));
  const wv = c.local(V128), zero = c.local(V128);
  const pixel = channels * 4;

  c.v128Zero().set(zero);
  forEachTile(c, { kh: k, kw: k, stride, inPixel: pixel, outPixel: pixel, mr }, (rows, out) => {
    c.for(cv, 0, { const: pixel }, 16, () => {
      c.get(params).get(cv).add().tee(pc).v128Load().set(wv);
      for (let m = 0; m < mr; m++) c.get(wv).set(acc[m]);
      for (let ky = 0; ky < k; ky++) c.get(rows[ky]).get(cv).add().set(at[ky]);
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          c.get(pc).v128Load((2 + ky * k + kx) * pixel).set(wv);
          for (let m = 0; m < mr; m++) {
            c.get(acc[m]).get(at[ky]).v128Load((m * stride + kx) * pixel).get(wv).f32x4Mul().f32x4Add().set(acc[m]);
          }
        }
      }
      if (plan.prelu) c.get(pc).v128Load(pixel).set(wv);
      for (let m = 0; m < mr; m++) {
        if (plan.prelu) prelu(c, acc[m], wv, zero);
        c.get(out).get(cv).add().get(acc[m]).v128Store(m * pixel);
      }
    });
  });
  return c;
}

/** add(aPtr, bPtr, outPtr, count): out = a + b over `count` floats (a multiple of 4). */
export function addKernel(): Code {
  const c = new Code([I32, I32, I32, I32]);
  const [a, b, out, count] = [0, 1, 2, 3];
  const i = c.local(I32), end = c.local(I32);
  c.get(count).i32(4).mul().set(end);
  c.for(i, 0, { local: end }, 16, () => {
    c.get(out).get(i).add();
    c.get(a).get(i).add().v128Load();
    c.get(b).get(i).add().v128Load();
    c.f32x4Add().v128Store();
  });
  return c;
}
