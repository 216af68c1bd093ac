import type { EmbeddingsValue, FacesValue } from '../../src/graph/values.js';
import type { WeightsValue } from '../../src/graph/values.js';
import { embedFaces } from '../mobilefacenet/embed.js';

/** Where the patch positions of a sensitivity map lie on the aligned crop (crop pixels). */
export interface PatchGrid {
  /** The aligned crop's side in pixels. */
  size: number;
  /** Patch side and step between positions, in crop pixels. */
  patch: number;
  stride: number;
  /** Positions per side (the map is rows x cols = count x count). */
  count: number;
  /** Left / top edge of the first patch; the grid is centred on the crop. */
  offset: number;
}

/** A sensitivity map: a Weights value whose cell (r, c) is the patch at (offset + r stride, offset + c stride). */
export interface SensitivityMap extends WeightsValue {
  kind: 'sensitivity';
  /** Where each cell's patch lies on the crop, so a view can place the map over the face. */
  grid: PatchGrid;
  /** The backbone whose embeddings were compared. */
  model: string;
}

/**
 * Patch positions along one side: every `stride` px while the patch fits, the whole run centred
 * on the crop (so no side is favoured when (size - patch) is not a multiple of the stride).
 */
export function patchGrid(size: number, patch: number, stride: number): PatchGrid {
  if (!(patch >= 1 && patch <= size)) throw new Error(`the patch (${patch} px) must fit on the ${size} px crop`);
  if (!(stride >= 1)) throw new Error(`the stride must be at least 1 px (got ${stride})`);
  const count = Math.floor((size - patch) / stride) + 1;
  const offset = Math.floor((size - patch - (count - 1) * stride) / 2);
  return { size, patch, stride, count, offset };
}

/** Copies of face `face` of `faces`, one per grid position in `positions`, each with a `value` grey square at its position. */
export function patchedCopies(faces: FacesValue, face: number, grid: PatchGrid, positions: number[], value: number): Uint8Array {
  const s = faces.size;
  const one = s * s * 3;
  const src = faces.data.subarray(face * one, (face + 1) * one);
  const out = new Uint8Array(positions.length * one);
  positions.forEach((p, k) => {
    const base = k * one;
    out.set(src, base);
    const y0 = grid.offset + Math.floor(p / grid.count) * grid.stride;
    const x0 = grid.offset + (p % grid.count) * grid.stride;
    for (let y = y0; y < y0 + grid.patch; y++) out.fill(value, base + (y * s + x0) * 3, base + (y * s + x0 + grid.patch) * 3);
  });
  return out;
}

/** An embedding backbone as the sensitivity map needs it: name, input size, embedding size and the forward pass. */
export interface Backbone {
  model: string;
  inputSize: number;
  dim: number;
  forward: Parameters<typeof embedFaces>[4];
}

export interface SensitivityOptions {
  patch: number;
  stride: number;
  /** Grey level of the patch, 0..255 (all three channels). */
  value: number;
  /** Patched copies embedded per forward pass. */
  batch: number;
  signal?: AbortSignal;
  /** Fraction of the work done, 0..1. */
  onProgress?: (fraction: number) => void;
}

const dot = (a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number) => {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[ai * dim + k] * b[bi * dim + k];
  return s;
};

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014) for face embeddings: for each aligned face and each
 * grid position, the drop in cosine similarity, 1 - cos(e(face with a grey patch there), e(face)),
 * of the backbone's unit embeddings. Model-agnostic: only the backbone's forward pass is used.
 * Every patched copy goes through `embedFaces` (so no tensor outlives a batch).
 */
export async function sensitivityMap(faces: FacesValue, backbone: Backbone, o: SensitivityOptions): Promise<{ map: SensitivityMap; embeddings: EmbeddingsValue }> {
  const grid = patchGrid(faces.size, o.patch, o.stride);
  const cells = grid.count * grid.count;
  const n = faces.count;
  const tap = { layer: '', keep: false };
  const { embeddings } = await embedFaces(faces, backbone.model, backbone.inputSize, backbone.dim, backbone.forward, tap);
  const data = new Float32Array(n * cells);
  const batch = Math.max(1, Math.floor(o.batch));
  const batchesPerFace = Math.ceil(cells / batch);
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < batchesPerFace; b++) {
      if (o.signal?.aborted) throw new Error('cancelled');
      const positions = Array.from({ length: Math.min(batch, cells - b * batch) }, (_, k) => b * batch + k);
      const copies: FacesValue = {
        ...faces, count: positions.length, data: patchedCopies(faces, i, grid, positions, o.value),
        transforms: positions.map(() => faces.transforms[i]), boxes: positions.map(() => faces.boxes[i]), fallback: positions.map(() => false),
      };
      const { embeddings: e } = await embedFaces(copies, backbone.model, backbone.inputSize, backbone.dim, backbone.forward, tap);
      positions.forEach((p, k) => {
        data[i * cells + p] = 1 - dot(embeddings.data, i, e.data, k, backbone.dim);
      });
      o.onProgress?.((i * batchesPerFace + b + 1) / (n * batchesPerFace));
    }
  }
  const map: SensitivityMap = {
    kind: 'sensitivity', shape: [n, grid.count, grid.count], data, axes: ['face', 'row', 'column'], grid, model: backbone.model,
  };
  return { map, embeddings };
}
