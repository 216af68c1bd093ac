/**
 * tfjs "weights manifest" reading: a JSON list of weight groups, each naming its .bin files
 * and its tensors (name, shape, dtype, optional uint8/uint16 quantization with scale and
 * min, or float16). Values are concatenated without alignment in manifest order.
 */

export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

export interface NamedWeight {
  shape: number[];
  values: Float32Array;
}

function float16ToFloat32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Decode every float32 tensor of a manifest group from its concatenated .bin bytes, dequantizing as declared. */
export function decodeWeights(group: WeightsManifestGroup, bin: Uint8Array, file = 'weights'): Map<string, NamedWeight> {
  const out = new Map<string, NamedWeight>();
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  let offset = 0;
  for (const w of group.weights) {
    if (w.dtype !== 'float32') throw new Error(`${file}: ${w.name} has dtype ${w.dtype}; only float32 weights are supported`);
    const n = w.shape.reduce((a, b) => a * b, 1);
    const q = w.quantization;
    const bytesPer = !q ? 4 : q.dtype === 'uint8' ? 1 : 2;
    if (offset + n * bytesPer > bin.byteLength) throw new Error(`${file}: ${w.name} runs past the end of the weights (${bin.byteLength} bytes)`);
    const values = new Float32Array(n);
    if (!q) {
      for (let i = 0; i < n; i++) values[i] = view.getFloat32(offset + 4 * i, true);
    } else if (q.dtype === 'float16') {
      for (let i = 0; i < n; i++) values[i] = float16ToFloat32(view.getUint16(offset + 2 * i, true));
    } else {
      const scale = q.scale ?? 1;
      const min = q.min ?? 0;
      for (let i = 0; i < n; i++) values[i] = (q.dtype === 'uint8' ? view.getUint8(offset + i) : view.getUint16(offset + 2 * i, true)) * scale + min;
    }
    out.set(w.name, { shape: w.shape, values });
    offset += n * bytesPer;
  }
  if (offset !== bin.byteLength) throw new Error(`${file}: the manifest accounts for ${offset} bytes but the weights file has ${bin.byteLength}`);
  return out;
}
