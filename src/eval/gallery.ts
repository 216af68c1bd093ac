import { jsonErrorWithoutContents, UserError } from '../graph/errors.js';
import { dot, l2NormalizeRows } from './similarity.js';

/**
 * Identification against a gallery of enrolled identities. Each identity's template is the
 * mean of its unit embeddings, renormalised; probes are matched by cosine similarity.
 * Plain data, so it persists as JSON (a file in the CLI, IndexedDB in the app).
 */

export interface GalleryIdentity {
  name: string;
  /** How many embeddings were averaged. */
  count: number;
  template: number[];
  /** Names of the enrolled images, where known (so a run can skip them as probes). */
  images?: string[];
  /** Mean of the enrolled faces' masked twins (a masked-twin node upstream): what this identity looks like masked. */
  maskedTemplate?: number[];
}

export interface Gallery {
  format: 'faceflow/gallery';
  version: 1;
  /** The backbone whose embeddings these are; probes must come from the same one. */
  model: string;
  dim: number;
  identities: GalleryIdentity[];
  /** With masked templates: the share of a masked probe's score that comes from them (see adaptive.ts). */
  twinWeight?: number;
}

export function emptyGallery(model: string, dim: number): Gallery {
  return { format: 'faceflow/gallery', version: 1, model, dim, identities: [] };
}

/** The renormalised count-weighted mean of unit vectors and an existing template. */
function meanTemplate(gallery: Gallery, name: string, vectors: ArrayLike<number>[], existing?: { template: number[]; count: number }): number[] {
  const sum = new Float32Array(gallery.dim);
  for (const e of vectors) {
    if (e.length !== gallery.dim) throw new Error(`enroll ${name}: embedding has ${e.length} values, the gallery holds ${gallery.dim}-D ${gallery.model} templates`);
    const unit = l2NormalizeRows(Float32Array.from(e), gallery.dim);
    for (let k = 0; k < gallery.dim; k++) sum[k] += unit[k];
  }
  if (existing) for (let k = 0; k < gallery.dim; k++) sum[k] += existing.template[k] * existing.count;
  return Array.from(l2NormalizeRows(sum, gallery.dim));
}

/**
 * Add embeddings for an identity (merged with what it already has, weighted by counts). With
 * `twins` (one masked twin per embedding, from a masked-twin node), the identity also gets a
 * masked template, and the gallery the twin weight. Returns a new gallery.
 */
export function enroll(gallery: Gallery, name: string, embeddings: ArrayLike<number>[], images?: string[], twins?: { vectors: ArrayLike<number>[]; weight: number }): Gallery {
  if (!embeddings.length) return gallery;
  const existing = gallery.identities.find((i) => i.name === name);
  const template = meanTemplate(gallery, name, embeddings, existing);
  const maskedTemplate = twins && twins.vectors.length === embeddings.length
    ? meanTemplate(gallery, name, twins.vectors, existing?.maskedTemplate && { template: existing.maskedTemplate, count: existing.count })
    : undefined;
  const count = embeddings.length + (existing?.count ?? 0);
  const names = [...(existing?.images ?? []), ...(images ?? [])];
  const identities = gallery.identities.filter((i) => i.name !== name)
    .concat({ name, count, template, ...(names.length ? { images: names } : {}), ...(maskedTemplate ? { maskedTemplate } : {}) });
  identities.sort((a, b) => a.name.localeCompare(b.name));
  return { ...gallery, identities, ...(maskedTemplate ? { twinWeight: twins!.weight } : {}) };
}

export interface Match {
  /** Best identity, or null when open-set and its score is below the threshold. */
  identity: string | null;
  score: number;
  /** Identities by decreasing score. */
  ranked: { name: string; score: number }[];
}

/** The identify node's Scores output: per probe the best identity (null when rejected), its score and the top 5. */
export interface MatchesValue {
  matches: { probe: string; label: string; identity: string | null; score: number; top: { name: string; score: number }[] }[];
  threshold: number | null;
}

/**
 * Rank the gallery for one probe; with `threshold`, reject (identity null) below it (open set).
 * A probe the context calls masked is also compared with the identities' masked templates, like
 * with like, mixed by the gallery's twin weight.
 */
export function identify(gallery: Gallery, probe: ArrayLike<number>, threshold?: number, probeMasked = false): Match {
  if (probe.length !== gallery.dim) throw new Error(`probe has ${probe.length} values, the gallery holds ${gallery.dim}-D templates`);
  const unit = l2NormalizeRows(Float32Array.from(probe), gallery.dim);
  const w = probeMasked ? gallery.twinWeight ?? 0 : 0;
  const score = (i: GalleryIdentity) => (w && i.maskedTemplate ? (1 - w) * dot(unit, i.template) + w * dot(unit, i.maskedTemplate) : dot(unit, i.template));
  const ranked = gallery.identities.map((i) => ({ name: i.name, score: score(i) })).sort((a, b) => b.score - a.score);
  const top = ranked[0];
  if (!top) return { identity: null, score: -Infinity, ranked };
  return { identity: threshold !== undefined && top.score < threshold ? null : top.name, score: top.score, ranked };
}

export interface IdentificationMetrics {
  probes: number;
  /** Closed set: probes whose identity is enrolled, and the fraction ranked first. */
  known: number;
  rank1: number;
  /** Open set at the threshold: known probes identified correctly and accepted (DIR), unknown probes wrongly accepted (FAR). */
  detectionIdentificationRate?: number;
  unknown: number;
  falseAlarmRate?: number;
}

/** Rank-1 (closed set) and, with a threshold, open-set rates over labelled probes. */
export function identificationMetrics(gallery: Gallery, probes: { label: string; embedding: ArrayLike<number>; masked?: boolean }[], threshold?: number): IdentificationMetrics {
  const enrolled = new Set(gallery.identities.map((i) => i.name));
  let known = 0, hits = 0, dirHits = 0, unknown = 0, falseAlarms = 0;
  for (const p of probes) {
    const m = identify(gallery, p.embedding, undefined, p.masked);
    if (enrolled.has(p.label)) {
      known++;
      if (m.identity === p.label) {
        hits++;
        if (threshold === undefined || m.score >= threshold) dirHits++;
      }
    } else {
      unknown++;
      if (threshold !== undefined && m.score >= threshold) falseAlarms++;
    }
  }
  return {
    probes: probes.length,
    known,
    rank1: known ? hits / known : NaN,
    unknown,
    ...(threshold !== undefined ? { detectionIdentificationRate: known ? dirHits / known : NaN, falseAlarmRate: unknown ? falseAlarms / unknown : NaN } : {}),
  };
}

/** Parse and check a gallery JSON text. */
export function parseGallery(text: string, file = 'gallery.json'): Gallery {
  let g: Gallery;
  try {
    g = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: ${jsonErrorWithoutContents(e)}`);
  }
  if (g?.format !== 'faceflow/gallery' || g.version !== 1) throw new UserError(`${file}: not a faceflow gallery (format "faceflow/gallery", version 1)`);
  for (const i of g.identities ?? []) {
    if (typeof i.name !== 'string' || !Array.isArray(i.template) || i.template.length !== g.dim) throw new UserError(`${file}: identity "${i.name}" has a malformed template`);
    if (i.maskedTemplate !== undefined && (!Array.isArray(i.maskedTemplate) || i.maskedTemplate.length !== g.dim)) throw new UserError(`${file}: identity "${i.name}" has a malformed maskedTemplate`);
  }
  if (g.twinWeight !== undefined && !(typeof g.twinWeight === 'number' && g.twinWeight >= 0 && g.twinWeight <= 1)) throw new UserError(`${file}: twinWeight must be a number in [0, 1]`);
  return g;
}

export function serializeGallery(g: Gallery): string {
  return `${JSON.stringify(g)}\n`;
}
