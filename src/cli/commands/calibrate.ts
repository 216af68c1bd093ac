import { buildCalibration, foldsOf, type CalibrationMethod } from '../../eval/calibration.js';
import { findEmbeddingsOutput } from '../../eval/embed-items.js';
import { PairsFileError } from '../../eval/lfw.js';
import { evalSummary, evaluatePairs } from '../../eval/run-eval.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { checkOutputPaths, writeOutputFile } from '../outputs.js';
import { loadPresetRun, parseMetric, PIPELINE_HELP, PIPELINE_OPTIONS, runOptions } from '../pipeline-args.js';
import { progressBar } from '../progress.js';

export const calibrateHelp = `faceflow calibrate <preset.json> --pairs <pairs.txt> --images <dir> --out <calibration.json> [options]

Fits the map from match score to P(same person) on a labelled pair set: Platt scaling and
isotonic regression, both fitted on all pairs and written to --out (a small JSON that the
identify command's --calibration and the verify/identify nodes' calibrationFile read), and both
measured by k-fold (each pair scored by a fit on the other folds): expected calibration error
(ECE, equal-width bins) beside the raw similarity read as a probability.

  --pairs <file>          pairs.txt in the LFW View 2 format
  --images <dir>          images as <dir>/Name/Name_0001.{jpg,png}
  --out <file.json>       the calibration file (required)
  --method <m>            isotonic (default) | platt: the map the file applies by default
  --folds <k>             k-fold split when the pairs file has fewer than 2 folds (default 10)
  --bins <n>              ECE / reliability bins (default 15)
  --json <file>           also write the report: ECE, reliability bins, the eval metrics, each pair's score
  --metric <m>            cosine (default) | euclidean (on unit vectors)
${PIPELINE_HELP}`;

export async function calibrateCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    pairs: { type: 'string' },
    images: { type: 'string' },
    out: { type: 'string' },
    method: { type: 'string' },
    folds: { type: 'string' },
    bins: { type: 'string' },
    json: { type: 'string' },
    metric: { type: 'string' },
    ...PIPELINE_OPTIONS,
  }, calibrateHelp);
  const presetFile = positionals[0];
  if (!presetFile) throw new UsageError('calibrate: missing <preset.json>');
  if (!values.pairs) throw new UsageError('calibrate: missing --pairs <pairs.txt>');
  if (!values.images) throw new UsageError('calibrate: missing --images <dir>');
  if (!values.out) throw new UsageError('calibrate: missing --out <calibration.json>');
  const method = (values.method ?? 'isotonic') as CalibrationMethod;
  if (method !== 'isotonic' && method !== 'platt') throw new UsageError(`--method ${values.method}: expected isotonic or platt`);
  const metric = parseMetric(values.metric);
  const k = Number(values.folds ?? 10);
  if (!Number.isInteger(k) || k < 2 || k > 100) throw new UsageError(`--folds ${values.folds}: expected a whole number from 2 to 100`);
  const bins = Number(values.bins ?? 15);
  if (!Number.isInteger(bins) || bins < 2 || bins > 100) throw new UsageError(`--bins ${values.bins}: expected a whole number from 2 to 100`);
  const opts = await runOptions(values);
  checkOutputPaths([{ flag: '--out', path: values.out, kind: 'file' }, { flag: '--json', path: values.json, kind: 'file' }]);
  const { pipeline, plan } = await loadPresetRun(presetFile, values);
  try {
    findEmbeddingsOutput(plan);
  } catch (e) {
    throw new UsageError(`${presetFile}: ${(e as Error).message}`);
  }
  let result;
  try {
    result = await evaluatePairs(pipeline, plan, { pairsFile: values.pairs, imagesDir: values.images, ...opts, metric, onItems: progressBar('calibrate') });
  } catch (e) {
    if (e instanceof PairsFileError) throw new UsageError(e.message);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && (e as NodeJS.ErrnoException).path === values.pairs) throw new UsageError(`${values.pairs}: no such file`);
    throw e;
  }
  const same = result.dataset.pairs.map((p) => p.same);
  const folds = foldsOf(same.length, result.dataset.pairs.map((p) => p.fold), k);
  const { file, report } = buildCalibration(result.scores, same, { folds, method, metric, model: result.model, pairsSource: values.pairs, bins });
  await writeOutputFile(values.out, `${JSON.stringify(file, null, 1)}\n`);
  if (values.json) {
    const img = (i: { identity: string; number: number }) => `${i.identity}_${String(i.number).padStart(4, '0')}`;
    const pairs = result.dataset.pairs.map((p, i) => ({ a: img(p.a), b: img(p.b), same: p.same, fold: p.fold, score: Number(result.scores[i].toFixed(6)) }));
    await writeOutputFile(values.json, `${JSON.stringify({ calibration: values.out, method, ...report, eval: evalSummary(result, metric), pairs })}\n`);
  }
  const f = (x: number) => x.toFixed(4);
  process.stderr.write(
    `faceflow calibrate: ${report.pairs} pairs (${report.same} matched), ${report.folds}-fold, ${bins} bins, model ${result.model || '?'}: ` +
      `ECE raw ${f(report.ece.raw)}, Platt ${f(report.ece.platt)}, isotonic ${f(report.ece.isotonic)}; ` +
      `accuracy ${(100 * result.metrics.accuracy.mean).toFixed(2)}%, failed detections ${result.failedDetections}; wrote ${values.out}\n`,
  );
  if (result.errors.length) process.stderr.write(`faceflow calibrate: ${result.errors.length} image(s) failed, e.g. ${result.errors[0].error}\n`);
  return result.errors.length === result.dataset.images.length ? 2 : 0;
}
