import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { DetectionsValue, FacesValue, ImageValue } from '../../src/graph/values.js';
import { hashString } from '../../src/util/hash.js';
import { Rng } from '../../src/util/rng.js';
import { ALIGN_TEMPLATES, templatePoints, type TemplateName } from '../align/templates.js';
import { drawOcclusion, type OcclusionKind } from '../../src/context/occluders.js';

/** The occluders a node (or `faceflow eval --occlude-second`) can draw. */
export const OCCLUSION_CHOICES = ['surgical-mask', 'cloth-mask', 'n95-mask', 'kn95-mask', 'sunglasses', 'hand', 'patch', 'any-mask', 'any', 'training-mix'] as const;
const CHOICES = OCCLUSION_CHOICES;

export const occlusionParams = z.object({
  kind: z.enum(CHOICES).default('surgical-mask')
    .describe('Occluder: a surgical, cloth, N95 or KN95 mask (lower face), sunglasses (eyes), a hand, a random patch; any-mask (surgical or cloth) / any / training-mix (every kind, masks most often) pick one at random per face'),
  probability: z.number().min(0).max(1).default(1).describe('Chance that each face is occluded'),
  seed: z.number().int().default(0).describe('Seed: with the image id it fixes every random choice, so runs repeat'),
});
export type OcclusionParams = z.output<typeof occlusionParams>;

function pick(kind: OcclusionParams['kind'], rng: Rng): OcclusionKind {
  if (kind === 'any-mask') return rng.uniform() < 0.5 ? 'surgical-mask' : 'cloth-mask';
  if (kind === 'any') return (['surgical-mask', 'cloth-mask', 'sunglasses', 'patch'] as const)[rng.int(4)];
  if (kind === 'training-mix') return weightedPick(TRAINING_MIX, rng);
  return kind;
}

/** What `training-mix` draws: mostly masks of every kind (what real masked faces show), some eye, hand and patch occluders. */
const TRAINING_MIX: [OcclusionKind, number][] = [
  ['surgical-mask', 0.24], ['cloth-mask', 0.2], ['n95-mask', 0.16], ['kn95-mask', 0.16], ['sunglasses', 0.08], ['hand', 0.09], ['patch', 0.07],
];

function weightedPick(table: [OcclusionKind, number][], rng: Rng): OcclusionKind {
  let u = rng.uniform() * table.reduce((s, [, p]) => s + p, 0);
  for (const [k, p] of table) if ((u -= p) < 0) return k;
  return table[table.length - 1][0];
}

/** One generator per (seed, image, face), so a face's occluder does not depend on the others. */
function faceRng(seed: number, id: string, face: number): Rng {
  return new Rng(parseInt(hashString(`${id}#${face}`, seed).slice(-8), 16));
}

/** Occlude the detected faces of an image (a copy); pure. */
export function occludeImage(image: ImageValue, det: DetectionsValue, p: OcclusionParams, id: string): { image: ImageValue; kinds: (OcclusionKind | null)[] } {
  if (image.data instanceof Float32Array) throw new Error('occlusion: needs an 8-bit image');
  const data = Uint8Array.from(image.data);
  const kinds = det.landmarks.map((lm, i) => {
    const rng = faceRng(p.seed, id, i);
    if (lm.length !== 5 || rng.uniform() >= p.probability) return null;
    const kind = pick(p.kind, rng);
    drawOcclusion({ width: image.width, height: image.height, channels: image.channels, data }, lm, kind, rng);
    return kind;
  });
  return { image: { ...image, data }, kinds };
}

/** Occlude aligned faces (a copy), placing occluders on the alignment template's landmarks; pure. */
export function occludeFaces(faces: FacesValue, p: OcclusionParams, id: string): { faces: FacesValue; kinds: (OcclusionKind | null)[] } {
  const template: TemplateName = faces.template in ALIGN_TEMPLATES ? (faces.template as TemplateName) : 'arcface-112';
  const lm = templatePoints(template, faces.size);
  const data = Uint8Array.from(faces.data);
  const stride = faces.size * faces.size * 3;
  const kinds = Array.from({ length: faces.count }, (_, i) => {
    const rng = faceRng(p.seed, id, i);
    if (rng.uniform() >= p.probability) return null;
    const kind = pick(p.kind, rng);
    drawOcclusion({ width: faces.size, height: faces.size, channels: 3, data, offset: i * stride }, lm, kind, rng);
    return kind;
  });
  return { faces: { ...faces, data }, kinds };
}

export const occlusionNode = defineNode({
  type: 'occlusion',
  title: 'Synthetic occlusion',
  category: 'Preprocess',
  doc: 'Draws a surgical/cloth mask, sunglasses or a random patch on each face (from its landmarks), seeded: augmentation and robustness tests.',
  keywords: ['mask', 'sunglasses', 'occluder', 'augment', 'covid', 'patch', 'robustness'],
  mode: 'item',
  inputs: {
    image: { type: 'Image', doc: 'An image to occlude at its detected faces (needs detections).', optional: true },
    detections: { type: 'Detections', doc: 'Faces with 5 landmarks in the image.', optional: true },
    faces: { type: 'Faces', doc: 'Aligned faces to occlude (placed on the alignment template).', optional: true },
  },
  outputs: {
    image: { type: 'Image', doc: 'The image with occluders drawn (null without image + detections).' },
    faces: { type: 'Faces', doc: 'The aligned faces with occluders drawn (null without faces).' },
  },
  params: occlusionParams,
  kernel({ image, detections, faces }: { image?: ImageValue; detections?: DetectionsValue; faces?: FacesValue }, params, ctx) {
    if (!faces && !(image && detections)) throw new Error('occlusion: connect faces, or an image with its detections');
    // The item's name (its path relative to the dataset), not its cache id: the id carries the
    // file's mtime, and the same seed must draw the same occluders on any copy of a dataset.
    const id = ctx.item?.name ?? image?.source ?? faces?.source ?? '';
    const img = image && detections ? occludeImage(image, detections, params, id) : null;
    const fcs = faces ? occludeFaces(faces, params, id) : null;
    const kinds = [...(img?.kinds ?? []), ...(fcs?.kinds ?? [])];
    ctx.report({ occluded: kinds.filter(Boolean).length, faces: kinds.length });
    return { image: img?.image ?? null, faces: fcs?.faces ?? null };
  },
});
