import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { EmbeddingsValue } from '../../src/graph/values.js';
import { identificationMetrics, identify, parseGallery, type Gallery } from '../../src/eval/gallery.js';
import { identityOf } from '../enroll/index.js';

export const identifyNode = defineNode({
  type: 'identify',
  title: 'Identify',
  category: 'Evaluation',
  doc: 'Matches each image\'s face against a gallery of enrolled identities: closed-set rank-1, or open-set with rejection below a threshold.',
  keywords: ['identification', 'gallery', 'rank-1', 'open set', 'search', '1:N'],
  mode: 'aggregate',
  inputs: {
    embeddings: { type: 'Embeddings', doc: 'Probe embeddings, one per image (the first face of each).' },
    gallery: { type: 'Gallery', doc: 'Enrolled templates; unconnected: read from "galleryFile".', optional: true },
  },
  outputs: {
    matches: { type: 'Scores', doc: 'Per probe: best identity (null when rejected), its score and the top 5.' },
    metrics: { type: 'Metrics', doc: 'Rank-1 over probes whose folder names an enrolled identity; open-set DIR and false alarm rate.' },
  },
  params: z.object({
    galleryFile: z.string().default('').describe('Gallery JSON (path or URL) used when no gallery is connected'),
    openSet: z.boolean().default(false).describe('Reject probes whose best score is below the threshold'),
    threshold: z.number().min(-1).max(1).default(0.35).describe('Cosine threshold for open-set rejection'),
    skipEnrolled: z.boolean().default(true).describe('Do not use the gallery\'s own enrolled images as probes'),
  }),
  async kernel({ embeddings, gallery }: { embeddings: EmbeddingsValue[]; gallery?: Gallery }, params, ctx) {
    let g = gallery;
    if (!g) {
      if (!params.galleryFile) throw new Error('connect a gallery or set "galleryFile"');
      g = parseGallery(new TextDecoder().decode(await ctx.io.readFile(params.galleryFile, 'gallery')), params.galleryFile);
    }
    const enrolled = new Set(g.identities.flatMap((i) => i.images ?? []));
    const probes = (ctx.items ?? []).map((it, i) => ({ name: it.name, e: embeddings[i] }))
      .filter((p) => p.e?.count && !(params.skipEnrolled && enrolled.has(p.name)));
    for (const p of probes) if (p.e.model !== g.model) throw new Error(`${p.name}: ${p.e.model} embeddings against a ${g.model} gallery`);
    const threshold = params.openSet ? params.threshold : undefined;
    const matches = probes.map((p) => {
      const m = identify(g, p.e.data.subarray(0, p.e.dim), threshold, p.e.twins?.masked[0]);
      return { probe: p.name, label: identityOf(p.name), identity: m.identity, score: m.score, top: m.ranked.slice(0, 5) };
    });
    const metrics = identificationMetrics(g, probes.map((p) => ({ label: identityOf(p.name), embedding: p.e.data.subarray(0, p.e.dim), masked: p.e.twins?.masked[0] })), threshold);
    ctx.report({ probes: metrics.probes, rank1: metrics.rank1 });
    return { matches: { matches, threshold: threshold ?? null }, metrics };
  },
});
