import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import { pairImageStem, parsePairs } from '../../src/eval/lfw.js';
import type { PairsValue } from '../../src/eval/verify.js';

export const pairsNode = defineNode({
  type: 'pairs',
  title: 'LFW pairs',
  category: 'Input',
  doc: 'Reads an LFW View 2 pairs.txt (folds of matched then mismatched pairs); images are named Name/Name_0001 relative to the run\'s image folder.',
  keywords: ['lfw', 'pairs.txt', 'dataset', 'verification', 'folds', 'view 2'],
  mode: 'aggregate',
  inputs: {},
  outputs: { pairs: { type: 'Pairs', doc: 'Pairs of image names with same/different labels and fold numbers.' } },
  params: z.object({
    file: z.string().default('').describe('Path or URL of pairs.txt'),
  }),
  async kernel(_inputs, params, ctx) {
    if (!params.file) throw new Error('set "file" to a pairs.txt path');
    const parsed = parsePairs(new TextDecoder().decode(await ctx.io.readFile(params.file, 'pairs')), params.file);
    const pairs: PairsValue = {
      source: params.file,
      pairs: parsed.pairs.map((p) => ({ a: pairImageStem(p.a), b: pairImageStem(p.b), same: p.same, fold: p.fold })),
    };
    ctx.report({ pairs: pairs.pairs.length, folds: parsed.folds });
    return { pairs };
  },
});
