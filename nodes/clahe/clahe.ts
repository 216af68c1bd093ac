/**
 * Contrast-limited adaptive histogram equalisation on 8-bit planes, matching OpenCV 4.6
 * `cv2.createCLAHE(clipLimit, tileGridSize).apply()`, and the 8-bit RGB <-> CIELAB
 * conversions of `cv2.cvtColor` (COLOR_RGB2Lab / COLOR_Lab2RGB) used for colour CLAHE.
 *
 * OpenCV does its LUT scaling and interpolation in float32; emulating that with `Math.fround`
 * where it can change the rounded result makes claheGray bit-exact with it (checked on all the
 * shared goldens). The Lab conversions are within a level (see rgbToLab / labToRgb).
 */

const HIST_SIZE = 256;
const f32 = Math.fround;
const ROUND_BIAS = 2 ** 23;

/** cvRound / saturate_cast<uchar>: round half to even, clamp to 0..255. */
function roundU8(v: number): number {
  let r = Math.round(v);
  if (r - v === 0.5 && (r & 1) === 1) r -= 1;
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/** BORDER_REFLECT_101 source index for a coordinate past the end (reflects as often as needed). */
function reflect101(p: number, len: number): number {
  if (len === 1) return 0;
  while (p < 0 || p >= len) p = p < 0 ? -p : 2 * len - 2 - p;
  return p;
}

function checkPlane(src: Uint8Array | Float32Array, width: number, height: number, channels: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`clahe: image size must be positive integers, got ${width}x${height}`);
  }
  if (src.length !== width * height * channels) {
    throw new Error(`clahe: expected ${width * height * channels} values for ${width}x${height}x${channels}, got ${src.length}`);
  }
}

/**
 * CLAHE of an 8-bit gray plane (row-major, `width * height` bytes). `clipLimit <= 0` disables
 * clipping (plain tiled histogram equalisation). Returns a new plane of the same size.
 */
export function claheGray(src: Uint8Array, width: number, height: number, clipLimit: number, tilesX: number, tilesY: number): Uint8Array {
  checkPlane(src, width, height, 1);
  if (!Number.isInteger(tilesX) || !Number.isInteger(tilesY) || tilesX < 1 || tilesY < 1) {
    throw new Error(`clahe: tile grid must be positive integers, got ${tilesX}x${tilesY}`);
  }
  if (!Number.isFinite(clipLimit)) throw new Error(`clahe: clipLimit must be a finite number, got ${clipLimit}`);

  // Like OpenCV: unless both sides divide evenly, pad bottom and right (reflect-101) by
  // `tiles - size % tiles` each, which is a whole extra `tiles` on a side that already divides.
  const even = width % tilesX === 0 && height % tilesY === 0;
  const paddedW = even ? width : width + tilesX - (width % tilesX);
  const paddedH = even ? height : height + tilesY - (height % tilesY);
  const tileW = paddedW / tilesX;
  const tileH = paddedH / tilesY;
  const tileArea = tileW * tileH;

  const limit = clipLimit > 0 ? Math.max(1, Math.trunc((clipLimit * tileArea) / HIST_SIZE)) : 0;
  const lutScale = f32(255 / tileArea);

  const colSrc = new Int32Array(paddedW);
  for (let x = 0; x < paddedW; x++) colSrc[x] = reflect101(x, width);

  const nTiles = tilesX * tilesY;
  const hist = new Int32Array(nTiles * HIST_SIZE);
  for (let y = 0; y < paddedH; y++) {
    const row = reflect101(y, height) * width;
    const histRow = Math.floor(y / tileH) * tilesX * HIST_SIZE;
    if (even || width === paddedW) {
      for (let tx = 0, x = 0; tx < tilesX; tx++) {
        const h = histRow + tx * HIST_SIZE;
        for (const end = x + tileW; x < end; x++) hist[h + src[row + x]]++;
      }
    } else {
      for (let tx = 0, x = 0; tx < tilesX; tx++) {
        const h = histRow + tx * HIST_SIZE;
        for (const end = x + tileW; x < end; x++) hist[h + src[row + colSrc[x]]]++;
      }
    }
  }

  const lut = new Uint8Array(nTiles * HIST_SIZE);
  for (let t = 0; t < nTiles; t++) {
    const base = t * HIST_SIZE;
    if (limit > 0) {
      let clipped = 0;
      for (let i = 0; i < HIST_SIZE; i++) {
        const over = hist[base + i] - limit;
        if (over > 0) {
          clipped += over;
          hist[base + i] = limit;
        }
      }
      const batch = Math.floor(clipped / HIST_SIZE);
      let residual = clipped - batch * HIST_SIZE;
      for (let i = 0; i < HIST_SIZE; i++) hist[base + i] += batch;
      if (residual > 0) {
        const step = Math.max(Math.floor(HIST_SIZE / residual), 1);
        for (let i = 0; i < HIST_SIZE && residual > 0; i += step, residual--) hist[base + i]++;
      }
    }
    let sum = 0;
    for (let i = 0; i < HIST_SIZE; i++) {
      sum += hist[base + i];
      lut[base + i] = roundU8(f32(sum * lutScale));
    }
  }

  // Bilinear blend of the four nearest tile LUTs; tile centres sit at (t + 0.5) * tileSize.
  const ind1 = new Int32Array(width);
  const ind2 = new Int32Array(width);
  const xa = new Float32Array(width);
  const xa1 = new Float32Array(width);
  const invTw = f32(1 / tileW);
  for (let x = 0; x < width; x++) {
    const txf = f32(f32(x * invTw) - 0.5);
    const tx1 = Math.floor(txf);
    xa[x] = txf - tx1;
    xa1[x] = 1 - xa[x];
    ind1[x] = Math.max(tx1, 0) * HIST_SIZE;
    ind2[x] = Math.min(tx1 + 1, tilesX - 1) * HIST_SIZE;
  }

  const dst = new Uint8Array(width * height);
  const invTh = f32(1 / tileH);
  for (let y = 0; y < height; y++) {
    const tyf = f32(f32(y * invTh) - 0.5);
    const ty1 = Math.floor(tyf);
    const ya = f32(tyf - ty1);
    const ya1 = f32(1 - ya);
    const lut1 = Math.max(ty1, 0) * tilesX * HIST_SIZE;
    const lut2 = Math.min(ty1 + 1, tilesY - 1) * tilesX * HIST_SIZE;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const v = src[row + x];
      const i1 = ind1[x] + v;
      const i2 = ind2[x] + v;
      const a = xa[x];
      const a1 = xa1[x];
      // Blend in double first. OpenCV's float32 result is within 9 * 255 * 2^-24 (< 1.4e-4) of
      // it, so unless it sits within 1e-3 of a .5 rounding boundary both round the same way;
      // near one, redo the blend step by step in float32 (and round half to even, as cvRound).
      const d = (lut[lut1 + i1] * a1 + lut[lut1 + i2] * a) * ya1 + (lut[lut2 + i1] * a1 + lut[lut2 + i2] * a) * ya + 0.5;
      let r = d | 0;
      const frac = d - r;
      if (frac < 1e-3 || frac > 1 - 1e-3) {
        const top = f32(f32(f32(lut[lut1 + i1] * a1) + f32(lut[lut1 + i2] * a)) * ya1);
        const bottom = f32(f32(f32(lut[lut2 + i1] * a1) + f32(lut[lut2 + i2] * a)) * ya);
        // The blend lies in 0..255: adding 2^23 in float32 leaves no fraction bits, rounding half to even.
        r = f32(f32(top + bottom) + ROUND_BIAS) - ROUND_BIAS;
      }
      dst[row + x] = r;
    }
  }
  return dst;
}

// --- CIELAB, 8-bit, as cv2.cvtColor: L = L* * 255/100, a = a* + 128, b = b* + 128, D65, sRGB gamma.

const SRGB_TO_XYZ = [0.412453, 0.35758, 0.180423, 0.212671, 0.71516, 0.072169, 0.019334, 0.119193, 0.950227];
const XYZ_TO_SRGB = [3.240479, -1.53715, -0.498535, -0.969256, 1.875991, 0.041556, 0.055648, -0.204043, 1.057311];
const D65 = [0.950456, 1, 1.088754];

// Forward conversion in OpenCV's fixed point: gamma-linearised values carry 3 extra bits,
// the XYZ matrix 12 fractional bits, and the cube-root table 15.
const GAMMA_SHIFT = 3;
const LAB_SHIFT = 12;
const LAB_SHIFT2 = LAB_SHIFT + GAMMA_SHIFT;

let forwardTables: { gamma: Uint16Array; cbrt: Uint16Array; coeffs: Int32Array } | undefined;

function getForwardTables() {
  if (forwardTables) return forwardTables;
  // OpenCV builds these with soft-float arithmetic from exact rational constants
  // ((6/29)^3 rather than 0.008856, 841/108 rather than 7.787); float32 steps here match it.
  const gamma = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    const x = f32(i / 255);
    const lin = f32(x <= 809 / 20000 ? x / (323 / 25) : Math.pow((x + 11 / 200) / (1 + 11 / 200), 12 / 5));
    gamma[i] = roundU16(f32(255 * (1 << GAMMA_SHIFT) * lin));
  }
  const cbrtSize = (256 * 3 / 2) << GAMMA_SHIFT;
  const cbrt = new Uint16Array(cbrtSize);
  const step = f32(1 / (255 * (1 << GAMMA_SHIFT)));
  const threshold = f32(216 / 24389);
  const slope = f32(841 / 108);
  const bias = f32(16 / 116);
  for (let i = 0; i < cbrtSize; i++) {
    const x = f32(i * step);
    // Scaled from the double cube root: OpenCV's soft-float cbrt is not correctly rounded either,
    // and this way only entry 49 differs from OpenCV's table (by one unit; a or b then differ by
    // one level for about 0.002% of colours).
    cbrt[i] = roundU16((1 << LAB_SHIFT2) * (x < threshold ? f32(x * slope + bias) : Math.cbrt(x)));
  }
  const coeffs = new Int32Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) coeffs[i * 3 + j] = Math.round(((1 << LAB_SHIFT) * SRGB_TO_XYZ[i * 3 + j]) / D65[i]);
  }
  forwardTables = { gamma, cbrt, coeffs };
  return forwardTables;
}

function roundU16(v: number): number {
  let r = Math.round(v);
  if (r - v === 0.5 && (r & 1) === 1) r -= 1;
  return r < 0 ? 0 : r > 65535 ? 65535 : r;
}

const descale = (v: number, n: number) => (v + (1 << (n - 1))) >> n;
const clampU8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** 8-bit interleaved RGB to 8-bit interleaved Lab (as cv2.cvtColor(img, COLOR_RGB2Lab)). */
export function rgbToLab(rgb: Uint8Array): Uint8Array {
  if (rgb.length % 3 !== 0) throw new Error(`rgbToLab: length ${rgb.length} is not a multiple of 3`);
  const { gamma, cbrt, coeffs: c } = getForwardTables();
  const lScale = Math.trunc((116 * 255 + 50) / 100);
  const lShift = -Math.trunc((16 * 255 * (1 << LAB_SHIFT2) + 50) / 100);
  const half = 128 * (1 << LAB_SHIFT2);
  const lab = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const r = gamma[rgb[i]], g = gamma[rgb[i + 1]], b = gamma[rgb[i + 2]];
    const fx = cbrt[descale(r * c[0] + g * c[1] + b * c[2], LAB_SHIFT)];
    const fy = cbrt[descale(r * c[3] + g * c[4] + b * c[5], LAB_SHIFT)];
    const fz = cbrt[descale(r * c[6] + g * c[7] + b * c[8], LAB_SHIFT)];
    lab[i] = clampU8(descale(lScale * fy + lShift, LAB_SHIFT2));
    lab[i + 1] = clampU8(descale(500 * (fx - fy) + half, LAB_SHIFT2));
    lab[i + 2] = clampU8(descale(200 * (fy - fz) + half, LAB_SHIFT2));
  }
  return lab;
}

// OpenCV looks up the inverse gamma in a table of 4096 linear steps; quantising the same way
// keeps the result within a level of COLOR_Lab2RGB.
const INV_GAMMA_STEPS = 4096;
let inverseGamma: Uint8Array | undefined;

function getInverseGamma(): Uint8Array {
  if (inverseGamma) return inverseGamma;
  inverseGamma = new Uint8Array(INV_GAMMA_STEPS);
  for (let i = 0; i < INV_GAMMA_STEPS; i++) {
    const v = i / INV_GAMMA_STEPS;
    inverseGamma[i] = roundU8(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055));
  }
  return inverseGamma;
}

/** 8-bit interleaved Lab back to 8-bit RGB (as cv2.cvtColor(img, COLOR_Lab2RGB), within a level). */
export function labToRgb(lab: Uint8Array): Uint8Array {
  if (lab.length % 3 !== 0) throw new Error(`labToRgb: length ${lab.length} is not a multiple of 3`);
  const table = getInverseGamma();
  // Per 8-bit code: Y and f(Y) from L (linear below L* = 8, where y = L* / (29/3)^3), a/500, b/200.
  const yOf = new Float64Array(256);
  const fyOf = new Float64Array(256);
  const aOf = new Float64Array(256);
  const bOf = new Float64Array(256);
  for (let i = 0; i < 256; i++) {
    const L = (i * 100) / 255;
    yOf[i] = L <= 8 ? L * (27 / 24389) : ((L + 16) / 116) ** 3;
    fyOf[i] = L <= 8 ? yOf[i] * (841 / 108) + 16 / 116 : (L + 16) / 116;
    aOf[i] = (i - 128) / 500;
    bOf[i] = (i - 128) / 200;
  }
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = XYZ_TO_SRGB.map((v, k) => v * D65[k % 3] * INV_GAMMA_STEPS);
  const top = INV_GAMMA_STEPS - 1;
  const rgb = new Uint8Array(lab.length);
  for (let i = 0; i < lab.length; i += 3) {
    const y = yOf[lab[i]];
    const fy = fyOf[lab[i]];
    const fx = fy + aOf[lab[i + 1]];
    const fz = fy - bOf[lab[i + 2]];
    const x = fx > 6 / 29 ? fx * fx * fx : (fx - 16 / 116) * (108 / 841);
    const z = fz > 6 / 29 ? fz * fz * fz : (fz - 16 / 116) * (108 / 841);
    const r = Math.round(m0 * x + m1 * y + m2 * z);
    const g = Math.round(m3 * x + m4 * y + m5 * z);
    const b = Math.round(m6 * x + m7 * y + m8 * z);
    rgb[i] = table[r < 0 ? 0 : r > top ? top : r];
    rgb[i + 1] = table[g < 0 ? 0 : g > top ? top : g];
    rgb[i + 2] = table[b < 0 ? 0 : b > top ? top : b];
  }
  return rgb;
}

/** Colour CLAHE as usually done with OpenCV: RGB -> Lab, CLAHE on L, back to RGB. */
export function claheRgb(rgb: Uint8Array, width: number, height: number, clipLimit: number, tilesX: number, tilesY: number): Uint8Array {
  checkPlane(rgb, width, height, 3);
  const lab = rgbToLab(rgb);
  const n = width * height;
  const l = new Uint8Array(n);
  for (let i = 0; i < n; i++) l[i] = lab[i * 3];
  const eq = claheGray(l, width, height, clipLimit, tilesX, tilesY);
  for (let i = 0; i < n; i++) lab[i * 3] = eq[i];
  return labToRgb(lab);
}
