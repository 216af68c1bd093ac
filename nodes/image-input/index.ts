import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';

/** The pipeline's source: the run's current image (a file, a dropped image, a dataset item) or a fixed path/URL. */
export const imageInputNode = defineNode({
  type: 'image-input',
  title: 'Image input',
  category: 'Input',
  doc: 'Decodes the image being run (JPEG or PNG) to 8-bit RGB; with no run input, reads `source`.',
  keywords: ['file', 'load', 'photo', 'source', 'jpeg', 'png'],
  mode: 'item',
  inputs: {},
  outputs: { image: { type: 'Image', doc: 'The decoded image, 8-bit RGB (or gray for a grayscale PNG).' } },
  params: z.object({
    source: z.string().default('').describe('Path or URL read when the run supplies no image (the CLI --input and the app override it).'),
  }),
  async kernel(_inputs, params, ctx) {
    const item = ctx.item;
    if (item?.image) return { image: item.image };
    const where = item?.path ?? (item ? undefined : params.source);
    if (item?.bytes) return { image: await ctx.io.decodeImage(item.bytes, item.name) };
    if (!where) throw new Error('no image: give the run an input image, or set this node\'s "source" param');
    return { image: await ctx.io.decodeImage(await ctx.io.readFile(where, 'image'), item?.name ?? where) };
  },
});
