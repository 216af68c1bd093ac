import { PairsFileError } from '../../eval/lfw.js';
import { findEmbeddingsOutput } from '../../eval/embed-items.js';
import { evalSummary, evaluatePairs, rocCsv } from '../../eval/run-eval.js';
import { evaluatePairsOccluded } from '../../eval/occluded-eval.js';
import { OCCLUSION_CHOICES } from '../../../nodes/occlusion/index.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { loadPresetRun, parseMetric, PIPELINE_HELP, PIPELINE_OPTIONS, runOptions } from '../pipeline-args.js';
import { progressBar } from '../progress.js';
import { evaluateStoredPairs } from '../../eval/stored-embeddings-eval.js';
import { StoredEmbeddingsError } from '../../eval/stored-embeddings.js';
import { presetHash } from './embed.js';
import { checkOutputPaths, writeOutputFile } from '../outputs.js';

export const evalHelp = `faceflow eval <preset.json> --pairs <pairs.txt> --images <dir> --json <file> [options]

LFW-protocol verification: runs the preset once per image the pairs use, takes each image's
embedding from the preset's Embeddings output, scores every pair and reports k-fold accuracy
(threshold chosen on the other folds), ROC AUC, EER and TAR at FAR 1e-2 and 1e-3.

  --pairs <file>          pairs.txt in the LFW View 2 format (FOLDS<TAB>N header)
  --images <dir>          images as <dir>/Name/Name_0001.{jpg,png}
  --json <file>           where the metrics are written (required)
  --roc <file.csv>        also write the ROC curve (threshold,far,tar)
  --metric <m>            cosine (default) | euclidean (on unit vectors)
  --embeddings <dir|file> score the pairs from stored embeddings (faceflow embed's output folder, or
                          the file faceflow merge wrote) instead of running the preset; --images is
                          then not needed. The preset must be the one that made them (same hash).
${PIPELINE_HELP}
  --occlude-second <kind> draw a synthetic occluder (${OCCLUSION_CHOICES.join(' | ')}) on the aligned face of the
                          second image of every pair (the first stays clean); --occlude-seed <s> (default 1)`;

export async function evalCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    pairs: { type: 'string' },
    images: { type: 'string' },
    json: { type: 'string' },
    roc: { type: 'string' },
    metric: { type: 'string' },
    embeddings: { type: 'string' },
    ...PIPELINE_OPTIONS,
    'occlude-second': { type: 'string' },
    'occlude-seed': { type: 'string' },
  }, evalHelp);
  const presetFile = positionals[0];
  if (!presetFile) throw new UsageError('eval: missing <preset.json>');
  if (!values.pairs) throw new UsageError('eval: missing --pairs <pairs.txt>');
  if (!values.images && !values.embeddings) throw new UsageError('eval: missing --images <dir> (or --embeddings <dir|file>)');
  if (!values.json) throw new UsageError('eval: missing --json <file>');
  const metric = parseMetric(values.metric);
  const opts = await runOptions(values);
  const occludeKind = values['occlude-second'];
  if (occludeKind !== undefined && !(OCCLUSION_CHOICES as readonly string[]).includes(occludeKind)) {
    throw new UsageError(`--occlude-second ${occludeKind}: expected ${OCCLUSION_CHOICES.join(', ')}`);
  }
  const occludeSeed = Number(values['occlude-seed'] ?? 1);
  if (!Number.isInteger(occludeSeed)) throw new UsageError(`--occlude-seed ${values['occlude-seed']}: expected an integer`);

  checkOutputPaths([{ flag: '--json', path: values.json, kind: 'file' }, { flag: '--roc', path: values.roc, kind: 'file' }]);
  const { pipeline, plan } = await loadPresetRun(presetFile, values);
  try {
    findEmbeddingsOutput(plan);
  } catch (e) {
    throw new UsageError(`${presetFile}: ${(e as Error).message}`);
  }
  let result;
  if (values.embeddings) {
    if (occludeKind) throw new UsageError('--occlude-second draws on the faces while the preset runs: it cannot be used with --embeddings');
    try {
      result = await evaluateStoredPairs(values.pairs, values.embeddings, metric);
    } catch (e) {
      if (e instanceof PairsFileError || e instanceof StoredEmbeddingsError) throw new UsageError(e.message);
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && (e as NodeJS.ErrnoException).path === values.pairs) throw new UsageError(`${values.pairs}: no such file`);
      throw e;
    }
    const want = presetHash(pipeline);
    if (result.presetHash !== want) {
      throw new UsageError(`--embeddings ${values.embeddings}: made by another preset (hash ${result.presetHash.slice(0, 12) || 'none'}), not by ${presetFile} as run now (${want.slice(0, 12)})`);
    }
  } else try {
    const evalOpts = { pairsFile: values.pairs, imagesDir: values.images!, ...opts, metric, onItems: progressBar('eval') };
    result = occludeKind
      ? await evaluatePairsOccluded(pipeline, plan, evalOpts, { kind: occludeKind, seed: occludeSeed })
      : await evaluatePairs(pipeline, plan, evalOpts);
  } catch (e) {
    if (e instanceof PairsFileError) throw new UsageError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && (e as NodeJS.ErrnoException).path === values.pairs) throw new UsageError(`${values.pairs}: no such file`);
    throw e;
  }
  const summary = { ...evalSummary(result, metric), ...(occludeKind ? { occluded_second: { kind: occludeKind, seed: occludeSeed } } : {}) };
  await writeOutputFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
  if (values.roc) await writeOutputFile(values.roc, rocCsv(result));
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  process.stderr.write(
    `faceflow eval: ${summary.pairs} pairs, ${summary.folds} fold(s), ${summary.images} images, model ${summary.model || '?'}: ` +
      `accuracy ${pct(summary.accuracy.mean)} +- ${pct(summary.accuracy.std)}, AUC ${summary.auc.toFixed(4)}, EER ${pct(summary.eer)}, ` +
      `TAR@FAR1e-3 ${pct(summary.tar_at_far['0.001'])}, failed detections ${summary.failed_detections}, ` +
      `${summary.images_per_second.toFixed(1)} images/s on ${summary.backend} x${summary.workers}\n`,
  );
  if (result.errors.length) process.stderr.write(`faceflow eval: ${result.errors.length} image(s) failed, e.g. ${result.errors[0].error}\n`);
  return result.errors.length === summary.images ? 2 : 0;
}
