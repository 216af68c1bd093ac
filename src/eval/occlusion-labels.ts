import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { registry } from '../../nodes/index.js';
import { readPreset } from '../runtime/preset.js';
import { nodejsRun } from '../runtime/nodejs-host.js';
import { runPipeline, throwIfRunFailed } from '../runtime/run.js';
import { CONTEXT_INDEX, type ContextValue } from '../context/vector.js';
import { subgraph, upstreamOf } from '../graph/edit.js';
import type { Pipeline } from '../graph/schema.js';
import { fileRunItems } from './datasets-nodejs.js';
import { parseMaskLabels, type MaskLabel } from './mask-labels.js';

/**
 * The occlusion classifier's accuracy against real mask labels (MFR2's labels.txt:
 * `Name, number, type` with type `no-mask` or a mask such as `surgical_blue`): the preset is run
 * up to its context node, and a face counts as "masked" when the context vector's mask
 * component is above 0.5. Images with no detection are scored on their centre-crop fallback.
 */

export { parseMaskLabels, type MaskLabel };

export interface BinaryStats {
  n: number;
  accuracy: number;
  /** Recall on masked faces, and on unmasked ones. */
  tpr: number;
  tnr: number;
}

/** Accuracy of p > threshold against labels. Pure. */
export function binaryStats(p: number[], labels: boolean[], threshold = 0.5): BinaryStats {
  let tp = 0, tn = 0, pos = 0;
  p.forEach((x, i) => {
    if (labels[i]) {
      pos++;
      if (x > threshold) tp++;
    } else if (x <= threshold) tn++;
  });
  const neg = labels.length - pos;
  return { n: labels.length, accuracy: labels.length ? (tp + tn) / labels.length : NaN, tpr: pos ? tp / pos : NaN, tnr: neg ? tn / neg : NaN };
}

/** The preset reduced to its context node and what feeds it. */
export function contextPipeline(p: Pipeline): { pipeline: Pipeline; contextNode: string } {
  const ctx = p.nodes.filter((n) => n.type === 'context');
  if (ctx.length !== 1) throw new Error('the preset needs exactly one context node');
  return { pipeline: subgraph(p, upstreamOf(p.edges, [ctx[0].id])), contextNode: ctx[0].id };
}

export async function maskLabelAccuracy(presetFile: string, labelsFile: string, imagesDir: string, workers = 2) {
  const labels = parseMaskLabels(await readFile(labelsFile, 'utf8'), labelsFile);
  const { pipeline, contextNode } = contextPipeline(await readPreset(presetFile));
  const found: { label: MaskLabel; file: string }[] = [];
  for (const l of labels) {
    const dir = path.join(imagesDir, l.identity);
    const stem = `${l.identity}_${String(l.number).padStart(4, '0')}`;
    for (const ext of ['.png', '.jpg', '.jpeg']) {
      const file = path.join(dir, stem + ext);
      if (await stat(file).then(() => true, () => false)) {
        found.push({ label: l, file });
        break;
      }
    }
  }
  const items = await fileRunItems(found.map(({ file }) => ({ file, name: path.relative(imagesDir, file) })));
  const run = throwIfRunFailed(await runPipeline(pipeline, items, nodejsRun({ workers, backend: 'wasm', registry })));
  const mask: number[] = [];
  const eyes: number[] = [];
  const truth: boolean[] = [];
  const perType: Record<string, { n: number; predictedMasked: number }> = {};
  run.items.forEach((r, i) => {
    const c = r.outputs[contextNode]?.context as ContextValue | undefined;
    if (r.error || !c?.count) return;
    const m = c.data[CONTEXT_INDEX.mask];
    mask.push(m);
    eyes.push(c.data[CONTEXT_INDEX.eyes]);
    truth.push(found[i].label.masked);
    const t = (perType[found[i].label.type] ??= { n: 0, predictedMasked: 0 });
    t.n++;
    if (m > 0.5) t.predictedMasked++;
  });
  return {
    preset: presetFile, labels: labelsFile, images: found.length, scored: mask.length, missing_images: labels.length - found.length,
    mask: binaryStats(mask, truth),
    /** MFR2 has no sunglasses labels: the share of faces the eye head calls occluded (ideally near 0). */
    eyes_flagged: eyes.filter((x) => x > 0.5).length / Math.max(1, eyes.length),
    per_type: perType,
    seconds: run.seconds,
  };
}
