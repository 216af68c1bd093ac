import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { EmbeddingsValue } from '../../src/graph/values.js';
import { emptyGallery, enroll, type Gallery } from '../../src/eval/gallery.js';

/** `Identity/file.jpg` -> `Identity`; a name with no folder is its own identity (without extension). */
export function identityOf(name: string): string {
  return name.includes('/') ? name.slice(0, name.lastIndexOf('/')).split('/').pop()! : name.replace(/\.[^.]+$/, '');
}

export const enrollNode = defineNode({
  type: 'enroll',
  title: 'Enroll gallery',
  category: 'Evaluation',
  doc: 'Builds a gallery from a folder of identities (Identity/image.jpg): each identity\'s template is the mean of its unit embeddings.',
  keywords: ['gallery', 'enrol', 'template', 'identification', 'identities'],
  mode: 'aggregate',
  inputs: { embeddings: { type: 'Embeddings', doc: 'One embedding per image (the first face of each).' } },
  outputs: { gallery: { type: 'Gallery', doc: 'Averaged, renormalised templates per identity.' } },
  params: z.object({
    perIdentity: z.number().int().min(0).max(1000).default(0).describe('Enroll only the first N images (by name) of each identity; 0 = all'),
  }),
  kernel({ embeddings }: { embeddings: EmbeddingsValue[] }, params, ctx) {
    const items = ctx.items ?? [];
    const groups = new Map<string, { names: string[]; vectors: Float32Array[]; twins: Float32Array[] }>();
    let twinWeight: number | undefined;
    let model = '';
    let dim = 0;
    items.map((it, i) => ({ it, e: embeddings[i] })).sort((a, b) => a.it.name.localeCompare(b.it.name)).forEach(({ it, e }) => {
      if (!e?.count) return;
      if (model && e.model !== model) throw new Error(`mixed backbones: ${model} and ${e.model}`);
      model = e.model;
      dim = e.dim;
      const g = groups.get(identityOf(it.name)) ?? { names: [], vectors: [], twins: [] };
      if (params.perIdentity && g.vectors.length >= params.perIdentity) return;
      g.names.push(it.name);
      g.vectors.push(e.data.subarray(0, e.dim));
      if (e.twins) g.twins.push(e.twins.data.subarray(0, e.dim));
      twinWeight ??= e.twins?.weight;
      groups.set(identityOf(it.name), g);
    });
    let gallery: Gallery = emptyGallery(model, dim);
    for (const [name, g] of groups) gallery = enroll(gallery, name, g.vectors, g.names, twinWeight === undefined ? undefined : { vectors: g.twins, weight: twinWeight });
    ctx.report({ identities: gallery.identities.length, images: [...groups.values()].reduce((n, g) => n + g.names.length, 0) });
    return { gallery };
  },
});
