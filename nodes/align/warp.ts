import type { Affine, ImageValue } from '../../src/graph/values.js';
import { invertAffine } from './similarity.js';

/**
 * Warp an image into a `size` x `size` RGB crop through the source -> crop transform `m`:
 * each crop pixel (u, v) samples the source at m^-1 (u, v) bilinearly (pixel centres at
 * integer coordinates, as OpenCV's warpAffine); taps outside the image read black.
 * Writes 8-bit RGB into `out` at `offset` (gray sources are replicated to 3 channels).
 */
export function warpAffineBilinear(img: ImageValue, m: Affine, size: number, out: Uint8Array, offset = 0): void {
  const [a, b, tx, c, d, ty] = invertAffine(m);
  const { width: W, height: H, channels: C, data } = img;
  const px = (x: number, y: number, k: number) => (x < 0 || y < 0 || x >= W || y >= H ? 0 : data[(y * W + x) * C + (C === 1 ? 0 : k)]);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const sx = a * u + b * v + tx;
      const sy = c * u + d * v + ty;
      const x0 = Math.floor(sx), y0 = Math.floor(sy);
      const fx = sx - x0, fy = sy - y0;
      const o = offset + (v * size + u) * 3;
      if (x0 < -1 || y0 < -1 || x0 >= W || y0 >= H) {
        out[o] = out[o + 1] = out[o + 2] = 0;
        continue;
      }
      const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
      for (let k = 0; k < 3; k++) {
        const val = w00 * px(x0, y0, k) + w10 * px(x0 + 1, y0, k) + w01 * px(x0, y0 + 1, k) + w11 * px(x0 + 1, y0 + 1, k);
        out[o + k] = val < 0 ? 0 : val > 255 ? 255 : Math.round(val);
      }
    }
  }
}
