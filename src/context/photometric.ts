/**
 * Photometric measures of a face crop, on its luma Y = 0.299 R + 0.587 G + 0.114 B (BT.601),
 * over a rectangle of the crop (the inner face, so background does not count).
 */
export interface Photometry {
  /** Mean luma / 255, in [0, 1]. */
  brightness: number;
  /** Standard deviation of luma / 127.5 (the largest possible), in [0, 1]. */
  contrast: number;
  /** (mean luma of the left half - right half) / 255, in [-1, 1]: side lighting. */
  asymmetry: number;
  /** Variance of the 4-neighbour Laplacian of luma (interior pixels), raw: 0 for a flat crop. */
  laplacianVariance: number;
  /** log10(1 + variance of the Laplacian) / 4, clamped to [0, 1]: 0 flat or very blurred, ~0.5 soft (var 100), 1 sharp (var >= 10^4). */
  sharpness: number;
}

export interface Rect { x: number; y: number; width: number; height: number }

export function luma(data: Uint8Array | Float32Array, width: number, height: number, channels: 1 | 3): Float32Array {
  const n = width * height;
  if (data.length !== n * channels) throw new Error(`photometry: expected ${n * channels} values for ${width}x${height}x${channels}, got ${data.length}`);
  if (channels === 1) return Float32Array.from(data);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2];
  return y;
}

export function photometry(y: Float32Array, width: number, rect: Rect): Photometry {
  const x0 = Math.max(0, Math.round(rect.x));
  const y0 = Math.max(0, Math.round(rect.y));
  const x1 = Math.min(width, Math.round(rect.x + rect.width));
  const y1 = Math.min(y.length / width, Math.round(rect.y + rect.height));
  if (x1 - x0 < 3 || y1 - y0 < 3) throw new Error('photometry: the region must be at least 3x3 pixels');
  const xm = (x0 + x1) / 2;
  let sum = 0;
  let sum2 = 0;
  let left = 0;
  let nLeft = 0;
  let right = 0;
  let nRight = 0;
  for (let r = y0; r < y1; r++) {
    for (let c = x0; c < x1; c++) {
      const v = y[r * width + c];
      sum += v;
      sum2 += v * v;
      if (c + 0.5 < xm) {
        left += v;
        nLeft++;
      } else if (c + 0.5 > xm) {
        right += v;
        nRight++;
      }
    }
  }
  const n = (x1 - x0) * (y1 - y0);
  const mean = sum / n;
  const variance = Math.max(0, sum2 / n - mean * mean);
  let lsum = 0;
  let lsum2 = 0;
  let m = 0;
  for (let r = y0 + 1; r < y1 - 1; r++) {
    for (let c = x0 + 1; c < x1 - 1; c++) {
      const i = r * width + c;
      const lap = y[i - 1] + y[i + 1] + y[i - width] + y[i + width] - 4 * y[i];
      lsum += lap;
      lsum2 += lap * lap;
      m++;
    }
  }
  const lmean = lsum / m;
  const laplacianVariance = Math.max(0, lsum2 / m - lmean * lmean);
  return {
    brightness: mean / 255,
    contrast: Math.min(1, Math.sqrt(variance) / 127.5),
    asymmetry: (left / Math.max(1, nLeft) - right / Math.max(1, nRight)) / 255,
    laplacianVariance,
    sharpness: Math.min(1, Math.log10(1 + laplacianVariance) / 4),
  };
}
