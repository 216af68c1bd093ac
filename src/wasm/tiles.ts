import { type Code, I32 } from './emit.js';

/** What the windowed kernels (convolution, depthwise convolution) share: their geometry. */
export interface Windows {
  /** Window height and width. */
  kh: number;
  kw: number;
  stride: number;
  /** Bytes per input and per output pixel. */
  inPixel: number;
  outPixel: number;
  /** Output pixels per tile. */
  mr: number;
}

/**
 * The loops of a kernel whose function takes (inPtr, outPtr, n, h, w) (params 0-4): over the n
 * images, their output rows (oh = (h - kh) / stride + 1) and tiles of `mr` output pixels of a row.
 * A row's last tile steps back so that it ends on the row's last pixel (needs ow >= mr). `tile`
 * emits the work of one tile, given a local per window row pointing at the tile's first window
 * there, and a local pointing at its first output pixel.
 */
export function forEachTile(c: Code, g: Windows, tile: (rows: number[], out: number) => void): void {
  const [inPtr, outPtr, n, h, w] = [0, 1, 2, 3, 4];
  const img = c.local(I32), oy = c.local(I32), ox = c.local(I32), xs = c.local(I32);
  const oh = c.local(I32), ow = c.local(I32), lastX = c.local(I32), inImg = c.local(I32), outImg = c.local(I32), out = c.local(I32);
  const rows = Array.from({ length: g.kh }, () => c.local(I32));
  c.get(h).i32(g.kh).sub().i32(g.stride).divS().i32(1).add().set(oh);
  c.get(w).i32(g.kw).sub().i32(g.stride).divS().i32(1).add().set(ow);
  c.get(ow).i32(g.mr).sub().set(lastX);
  c.get(inPtr).set(inImg);
  c.get(outPtr).set(outImg);
  c.for(img, 0, { local: n }, 1, () => {
    c.for(oy, 0, { local: oh }, 1, () => {
      c.i32(0).set(ox);
      c.loop(() => {
        // xs = min(ox, ow - mr)
        c.get(ox).get(lastX).get(ox).get(lastX).ltS().select().set(xs);
        for (let ky = 0; ky < g.kh; ky++) {
          c.get(oy).i32(g.stride).mul().i32(ky).add().get(w).mul().get(xs).i32(g.stride).mul().add().i32(g.inPixel).mul().get(inImg).add().set(rows[ky]);
        }
        c.get(oy).get(ow).mul().get(xs).add().i32(g.outPixel).mul().get(outImg).add().set(out);
        tile(rows, out);
        c.inc(ox, g.mr).get(ox).get(ow).ltS().brIf(0);
      });
    });
    c.get(inImg).get(h).get(w).mul().i32(g.inPixel).mul().add().set(inImg);
    c.get(outImg).get(oh).get(ow).mul().i32(g.outPixel).mul().add().set(outImg);
  });
}

/** acc = max(acc, 0) + alpha * min(acc, 0), with `zero` a local holding 0s. */
export function prelu(c: Code, acc: number, alpha: number, zero: number): void {
  c.get(zero).get(acc).f32x4Pmax();
  c.get(acc).get(zero).f32x4Pmin().get(alpha).f32x4Mul().f32x4Add().set(acc);
}
