import type { Affine, Point } from '../../src/graph/values.js';

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; no reflection)
 * taking `src` points onto `dst` points: Umeyama (1991). In 2-D the rotation-scale
 * [a -b; b a] has a closed form: with centred points x, y,
 *   a = sum(x . y) / sum|x|^2,  b = sum(x cross y) / sum|x|^2,
 * which equals Umeyama's SVD solution whenever the best rotation is proper.
 */
export function similarityTransform(src: Point[], dst: Point[]): Affine {
  if (src.length !== dst.length) throw new Error(`similarityTransform: ${src.length} source points but ${dst.length} targets`);
  if (src.length < 2) throw new Error('similarityTransform: needs at least 2 point pairs');
  const n = src.length;
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i][0]; sy += src[i][1]; dx += dst[i][0]; dy += dst[i][1];
  }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let dotSum = 0, crossSum = 0, varSrc = 0;
  for (let i = 0; i < n; i++) {
    const x0 = src[i][0] - sx, x1 = src[i][1] - sy;
    const y0 = dst[i][0] - dx, y1 = dst[i][1] - dy;
    dotSum += x0 * y0 + x1 * y1;
    crossSum += x0 * y1 - x1 * y0;
    varSrc += x0 * x0 + x1 * x1;
  }
  if (!(varSrc > 0)) throw new Error('similarityTransform: the source points coincide');
  const a = dotSum / varSrc;
  const b = crossSum / varSrc;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (!det) throw new Error('invertAffine: singular transform');
  const ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}

