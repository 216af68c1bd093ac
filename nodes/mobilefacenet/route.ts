import type { FacesValue } from '../../src/graph/values.js';
import type { LoadedBackbone } from '../../src/models/mobilefacenet/student-runtime.js';
import { embedFaces, pickFaces, type Embedded } from './embed.js';

/** Rows `idx` of a [count, ...] array laid into `out` at the given face indices. */
function scatter(out: Float32Array, rowSize: number, part: Float32Array, idx: number[]): void {
  idx.forEach((i, k) => out.set(part.subarray(k * rowSize, (k + 1) * rowSize), i * rowSize));
}

/**
 * Mask routing: faces the context calls masked go through the fine-tuned network, the others through
 * the pretrained one. The student was distilled so that its embedding of a masked face lands on the
 * teacher's embedding of the same face clean, so both kinds live in one space; an unmasked pair is then
 * scored exactly as the pretrained network scores it. Routed faces without a gate get a flat map (1).
 */
export async function embedRouted(
  faces: FacesValue, masked: boolean[], student: LoadedBackbone, pretrained: LoadedBackbone,
  tap: { layer: string; keep: boolean }, flip: boolean,
): Promise<Embedded> {
  const { net } = student;
  const groups = [masked.flatMap((m, i) => (m ? [i] : [])), masked.flatMap((m, i) => (m ? [] : [i]))];
  const parts: Embedded[] = [];
  for (const [g, b] of [student, pretrained].entries()) {
    parts.push(await embedFaces(pickFaces(faces, groups[g]), b.model, net.inputSize, net.embeddingSize, b.forward, tap, flip));
  }
  const dim = net.embeddingSize;
  const data = new Float32Array(faces.count * dim);
  parts.forEach((p, g) => scatter(data, dim, p.embeddings.data, groups[g]));
  const model = `${student.model}|unmasked:${pretrained.model}`;
  const withFeatures = parts.find((p) => p.features)?.features;
  let features: Embedded['features'] = null;
  if (withFeatures) {
    const [, h, w, c] = withFeatures.shape;
    const fdata = new Float32Array(faces.count * h * w * c);
    parts.forEach((p, g) => p.features && scatter(fdata, h * w * c, p.features.data, groups[g]));
    features = { ...withFeatures, shape: [faces.count, h, w, c], data: fdata };
  }
  let attention: Embedded['attention'] = null;
  if (student.gateShape) {
    const [h, w] = student.gateShape;
    const adata = new Float32Array(faces.count * h * w).fill(1);
    if (parts[0].attention) scatter(adata, h * w, parts[0].attention.data, groups[0]);
    attention = { shape: [faces.count, h, w], data: adata };
  }
  return { embeddings: { dim, count: faces.count, data, model, fallback: [...faces.fallback], source: faces.source }, features, attention };
}
