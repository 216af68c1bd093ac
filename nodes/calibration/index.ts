import { z } from 'zod';
import { defineNode } from '../../src/graph/node-definition.js';
import type { PortValueOf } from '../../src/graph/port-values.js';
import { calibrate, expectedCalibrationError, parseCalibration, rawProbability } from '../../src/eval/calibration.js';

interface Scored { score: number; same?: boolean; probability?: number }
interface ScoresLike { pairs?: Scored[]; matches?: (Scored & { top?: Scored[] })[]; [k: string]: unknown }

export const calibrationNode = defineNode({
  type: 'calibration',
  title: 'Calibrate scores',
  category: 'Evaluation',
  doc: 'Adds P(same person) to every score of a verify or identify node, through a calibration file made by `faceflow calibrate` (Platt scaling or isotonic regression fitted on a labelled pair set).',
  keywords: ['calibration', 'probability', 'platt', 'isotonic', 'ece', 'reliability', 'confidence'],
  mode: 'aggregate',
  inputs: { scores: { type: 'Scores', doc: 'Pair scores (verify) or gallery matches (identify).' } },
  outputs: { scores: { type: 'Scores', doc: 'The same scores, each with "probability": P(same person).' } },
  params: z.object({
    file: z.string().default('').describe('Calibration JSON (path or URL, relative to the preset) written by faceflow calibrate'),
    method: z.enum(['file', 'isotonic', 'platt']).default('file').describe('Which fitted map to apply: the file\'s own choice, or isotonic / Platt'),
  }),
  async kernel({ scores }: { scores: ScoresLike }, params, ctx) {
    if (!params.file) throw new Error('set "file" to a calibration JSON (faceflow calibrate --out)');
    const cal = parseCalibration(new TextDecoder().decode(await ctx.io.readFile(params.file, 'other')), params.file);
    const method = params.method === 'file' ? cal.method : params.method;
    const p = (s: Scored) => ({ ...s, probability: Number.isFinite(s.score) ? calibrate(cal, s.score, method) : 0 });
    const out: ScoresLike = { ...scores, calibration: { method, metric: cal.metric, fitted_on: cal.fitted_on?.pairs ?? null } };
    if (scores.pairs) out.pairs = scores.pairs.map(p);
    if (scores.matches) out.matches = scores.matches.map((m) => ({ ...p(m), ...(m.top ? { top: m.top.map(p) } : {}) }));
    const labelled = (out.pairs ?? []).filter((s) => s.same !== undefined);
    ctx.report({
      method,
      scored: (out.pairs ?? out.matches ?? []).length,
      ...(labelled.length ? {
        ece: expectedCalibrationError(labelled.map((s) => s.probability!), labelled.map((s) => s.same!)),
        eceRaw: expectedCalibrationError(labelled.map((s) => rawProbability(s.score)), labelled.map((s) => s.same!)),
      } : {}),
    });
    // the input's own shape, with probabilities and the calibration added
    return { scores: out as unknown as PortValueOf<'Scores'> };
  },
});
