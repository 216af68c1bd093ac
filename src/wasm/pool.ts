import { Code, I32, V128 } from './emit.js';

export type PoolPadding = 'same' | 'valid';

/** Output size of a stride-2 max pool (tfjs' rule for 'same': ceil(n / 2)). */
export function poolSize(n: number, size: number, pad: PoolPadding): number {
  return pad === 'same' ? (n + 1) >> 1 : ((n - size) >> 1) + 1;
}

/**
 * maxpool(inPtr, outPtr, n, h, w): stride-2 `size` x `size` max pool of n images of h x w x
 * `channels` (NHWC float32). Where a 'same' window runs past an edge (tfjs pads the bottom and
 * right first, then the top and left), it reads the edge row or column again instead, which
 * leaves the max unchanged. Stores spill like the conv kernel's (see ./conv.ts): buffers need 16 bytes of slack.
 */
export function poolKernel(size: number, channels: number, pad: PoolPadding): Code {
  const c = new Code([I32, I32, I32, I32, I32]);
  const [inPtr, outPtr, n, h, w] = [0, 1, 2, 3, 4];
  const img = c.local(I32), oy = c.local(I32), ox = c.local(I32), oh = c.local(I32), ow = c.local(I32);
  const inImg = c.local(I32), outp = c.local(I32), lastRow = c.local(I32), lastCol = c.local(I32), v = c.local(I32);
  const padTop = c.local(I32), padLeft = c.local(I32), zero = c.local(I32);
  const rows = Array.from({ length: size }, () => c.local(I32));
  const cols = Array.from({ length: size }, () => c.local(I32));
  const m = c.local(V128);
  const pixel = channels * 4;
  const vectors = Math.ceil(channels / 4);

  /** dst = clamp(value, 0, limit), the value pushed by `value`. */
  const clampTo = (dst: number, value: () => void, limit: number) => {
    value();
    c.set(dst).get(dst).get(limit).get(dst).get(limit).ltS().select().set(dst);
    c.get(dst).get(zero).get(dst).get(zero).geS().select().set(dst);
  };

  if (pad === 'same') {
    c.get(h).i32(1).add().i32(1).shrS().set(oh);
    c.get(w).i32(1).add().i32(1).shrS().set(ow);
  } else {
    c.get(h).i32(size).sub().i32(1).shrS().i32(1).add().set(oh);
    c.get(w).i32(size).sub().i32(1).shrS().i32(1).add().set(ow);
  }
  // 'same': padding before = floor(max((out - 1) * 2 + size - in, 0) / 2)
  c.i32(0).set(zero).i32(0).set(padTop).i32(0).set(padLeft);
  if (pad === 'same') {
    clampTo(padTop, () => c.get(oh).i32(1).sub().i32(1).shl().i32(size).add().get(h).sub(), h);
    clampTo(padLeft, () => c.get(ow).i32(1).sub().i32(1).shl().i32(size).add().get(w).sub(), w);
    c.get(padTop).i32(1).shrS().set(padTop);
    c.get(padLeft).i32(1).shrS().set(padLeft);
  }
  c.get(h).i32(1).sub().set(lastRow);
  c.get(w).i32(1).sub().set(lastCol);
  c.get(inPtr).set(inImg);
  c.get(outPtr).set(outp);
  c.for(img, 0, { local: n }, 1, () => {
    c.for(oy, 0, { local: oh }, 1, () => {
      for (let k = 0; k < size; k++) {
        clampTo(rows[k], () => c.get(oy).i32(1).shl().i32(k).add().get(padTop).sub(), lastRow);
        c.get(rows[k]).get(w).mul().i32(pixel).mul().get(inImg).add().set(rows[k]);
      }
      c.for(ox, 0, { local: ow }, 1, () => {
        for (let k = 0; k < size; k++) {
          clampTo(cols[k], () => c.get(ox).i32(1).shl().i32(k).add().get(padLeft).sub(), lastCol);
          c.get(cols[k]).i32(pixel).mul().set(cols[k]);
        }
        for (let j = 0; j < vectors; j++) {
          let first = true;
          for (let ky = 0; ky < size; ky++) {
            for (let kx = 0; kx < size; kx++) {
              c.get(rows[ky]).get(cols[kx]).add().set(v);
              if (first) c.get(v).v128Load(16 * j).set(m);
              else c.get(m).get(v).v128Load(16 * j).f32x4Pmax().set(m);
              first = false;
            }
          }
          c.get(outp).get(m).v128Store(16 * j);
        }
        c.inc(outp, pixel);
      });
    });
    c.get(inImg).get(h).get(w).mul().i32(pixel).mul().add().set(inImg);
  });
  return c;
}
