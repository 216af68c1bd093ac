import type { Gallery, GalleryIdentity, IdentificationMetrics } from './gallery.js';
import { dot, l2NormalizeRows } from './similarity.js';
import type { StoredImage } from './stored-embeddings.js';

/**
 * Identification from stored embeddings (faceflow embed / merge): every stored image is a probe,
 * scored against every template exactly as gallery.ts identify() scores it (cosine; a masked probe
 * also against the masked templates, mixed by the twin weight), but only the k best are kept, by
 * a bounded insertion (O(N k) per probe, no sort of all N identities), so a gallery of a million
 * identities costs one pass per probe.
 */

export interface Ranked {
  name: string;
  score: number;
}

/** The k best identities for a probe, best first; equal scores keep gallery order (as a stable sort does). */
export function topK(gallery: Gallery, probe: ArrayLike<number>, k: number, probeMasked = false): Ranked[] {
  if (probe.length !== gallery.dim) throw new Error(`probe has ${probe.length} values, the gallery holds ${gallery.dim}-D templates`);
  const unit = l2NormalizeRows(Float32Array.from(probe), gallery.dim);
  const w = probeMasked ? gallery.twinWeight ?? 0 : 0;
  const score = (i: GalleryIdentity) => (w && i.maskedTemplate ? (1 - w) * dot(unit, i.template) + w * dot(unit, i.maskedTemplate) : dot(unit, i.template));
  const best: Ranked[] = [];
  if (k < 1) return best;
  for (const id of gallery.identities) {
    const s = score(id);
    if (best.length === k && !(s > best[k - 1].score)) continue;
    // insert after every entry with a score >= s (ties keep gallery order)
    let at = best.length;
    while (at > 0 && best[at - 1].score < s) at--;
    best.splice(at, 0, { name: id.name, score: s });
    if (best.length > k) best.pop();
  }
  return best;
}

export interface StoredProbe {
  image: string;
  label?: string;
  identity: string | null;
  score: number | null;
  rejected: boolean;
  failed_detection: boolean;
  top: Ranked[];
  error?: string;
}

/** Probes and, for those under <Identity>/ folders, rank-1 / DIR / false-alarm rate (as identificationMetrics computes them). */
export function identifyStored(gallery: Gallery, images: Map<string, StoredImage>, threshold: number, k = 5): { probes: StoredProbe[]; metrics?: IdentificationMetrics } {
  const enrolled = new Set(gallery.identities.map((i) => i.name));
  const labelOf = (name: string) => (name.includes('/') ? name.split('/').at(-2) : undefined);
  let known = 0, hits = 0, dirHits = 0, unknown = 0, falseAlarms = 0, labelled = 0;
  const probes: StoredProbe[] = [];
  for (const [image, s] of [...images].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const label = labelOf(image);
    if (!s.vector) {
      probes.push({ image, label, identity: null, score: null, rejected: false, failed_detection: s.failedDetection, top: [], ...(s.error ? { error: s.error } : {}) });
      continue;
    }
    const top = topK(gallery, s.vector.embedding, Math.max(1, k), s.vector.masked ?? false);
    const first = top[0];
    const identity = !first || first.score < threshold ? null : first.name;
    probes.push({ image, label, identity, score: first?.score ?? null, rejected: identity === null, failed_detection: s.failedDetection, top: top.slice(0, k) });
    if (label) {
      labelled++;
      if (enrolled.has(label)) {
        known++;
        if (first?.name === label) {
          hits++;
          if (first.score >= threshold) dirHits++;
        }
      } else {
        unknown++;
        if (first && first.score >= threshold) falseAlarms++;
      }
    }
  }
  const metrics: IdentificationMetrics | undefined = labelled
    ? { probes: labelled, known, rank1: known ? hits / known : NaN, detectionIdentificationRate: known ? dirHits / known : NaN, unknown, falseAlarmRate: unknown ? falseAlarms / unknown : NaN }
    : undefined;
  return { probes, metrics };
}
