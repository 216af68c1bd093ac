import { registry } from '../../../nodes/index.js';
import { embedItems, findEmbeddingsOutput } from '../../eval/embed-items.js';
import { identificationMetrics, identify } from '../../eval/gallery.js';
import { loadGalleryFile } from '../../eval/gallery-file.js';
import { calibrate } from '../../eval/calibration.js';
import { loadCalibrationFile } from '../../eval/calibration-file.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { listInputs } from '../inputs.js';
import { loadPresetRun, PIPELINE_HELP, PIPELINE_OPTIONS, runOptions } from '../pipeline-args.js';
import { progressBar } from '../progress.js';
import { imagesByPath, loadStoredEmbeddings, StoredEmbeddingsError } from '../../eval/stored-embeddings.js';
import { identifyStored } from '../../eval/stored-embeddings-identify.js';
import { presetHash } from './embed.js';
import { checkOutputPaths, writeOutputFile } from '../outputs.js';

/**
 * Open-set cosine thresholds when none is given, per backbone: the k-fold LFW thresholds of the
 * baseline presets measured on lfw-dev (README, Recognition), rounded. Other backbones need --threshold.
 */
/** Default cosine thresholds by embedding model: the backbones' node definitions (defaultThreshold). */
export const DEFAULT_THRESHOLDS: Record<string, number> = Object.fromEntries(registry.list().flatMap((d) => (d.defaultThreshold === undefined ? [] : [[d.type, d.defaultThreshold]])));

export const identifyHelp = `faceflow identify <preset.json> --gallery <file.json> --input <image|dir> --json <file> [options]

Open-set identification (1:N): runs the preset on each image, matches its face's embedding
against every template of the gallery (cosine) and reports the best identity, or a reject
when the best score is below the threshold. When <dir> holds <Identity>/<image> folders, the
folder names are taken as labels and rank-1 (closed set), detection-and-identification rate
and false-alarm rate (open set) are reported too.

  --gallery <file.json>   gallery made by \`faceflow enroll\` (required)
  --input <image|dir>     probe image or folder of images (required)
  --json <file>           where the results are written (required)
  --threshold <cos>       reject below this cosine similarity (default per backbone: ${Object.entries(DEFAULT_THRESHOLDS).map(([m, t]) => `${m} ${t}`).join(', ')})
  --embeddings <dir|file> take the probes from stored embeddings (faceflow embed's output folder or
                          merge's file; every stored image is a probe) instead of running the preset;
                          --input is then not needed; only the k best identities are kept per probe
  --top <k>               identities listed per probe (default 5)
  --calibration <file>   a calibration file (faceflow calibrate): each score also as P(same person), "probability"
${PIPELINE_HELP}`;

export async function identifyCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    gallery: { type: 'string' },
    input: { type: 'string' },
    json: { type: 'string' },
    threshold: { type: 'string' },
    calibration: { type: 'string' },
    embeddings: { type: 'string' },
    top: { type: 'string' },
    ...PIPELINE_OPTIONS,
  }, identifyHelp);
  const presetFile = positionals[0];
  if (!presetFile) throw new UsageError('identify: missing <preset.json>');
  if (!values.gallery) throw new UsageError('identify: missing --gallery <file.json>');
  if (!values.input && !values.embeddings) throw new UsageError('identify: missing --input <image|dir> (or --embeddings <dir|file>)');
  const topN = Number(values.top ?? 5);
  if (!Number.isInteger(topN) || topN < 1) throw new UsageError(`--top ${values.top}: expected a whole number >= 1`);
  if (!values.json) throw new UsageError('identify: missing --json <file>');
  const given = values.threshold === undefined ? undefined : Number(values.threshold);
  if (given !== undefined && !(given >= -1 && given <= 1)) throw new UsageError(`--threshold ${values.threshold}: expected a cosine similarity from -1 to 1`);
  const opts = await runOptions(values);
  const calibration = values.calibration === undefined ? undefined : await loadCalibrationFile(values.calibration);
  const prob = (score: number) => (calibration ? { probability: Number(calibrate(calibration, score).toFixed(6)) } : {});

  let gallery;
  try {
    gallery = await loadGalleryFile(values.gallery);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!gallery.identities.length) throw new UsageError(`${values.gallery}: the gallery is empty`);
  // A fine-tuned MobileFaceNet ("mobilefacenet+<weights>") is distilled to the pretrained one's space: same default.
  const threshold = given ?? DEFAULT_THRESHOLDS[gallery.model] ?? DEFAULT_THRESHOLDS[gallery.model.split('+')[0]];
  if (threshold === undefined) throw new UsageError(`no default threshold for ${gallery.model} embeddings: give --threshold`);
  checkOutputPaths([{ flag: '--json', path: values.json, kind: 'file' }]);
  const { pipeline, plan } = await loadPresetRun(presetFile, values);
  try {
    findEmbeddingsOutput(plan);
  } catch (e) {
    throw new UsageError(`${presetFile}: ${(e as Error).message}`);
  }
  if (values.embeddings) {
    let stored;
    try {
      stored = await loadStoredEmbeddings(values.embeddings);
    } catch (e) {
      if (e instanceof StoredEmbeddingsError) throw new UsageError(e.message);
      throw e;
    }
    const want = presetHash(pipeline);
    if (stored.metadata['faceflow.preset_hash'] !== want) throw new UsageError(`--embeddings ${values.embeddings}: made by another preset, not by ${presetFile} as run now (${want.slice(0, 12)})`);
    const storedModel = stored.metadata['faceflow.model'];
    if (storedModel && storedModel !== gallery.model) throw new UsageError(`${values.gallery} holds ${gallery.model} templates; the stored embeddings are ${storedModel}`);
    const t0 = performance.now();
    const { probes, metrics: sm } = identifyStored(gallery, imagesByPath(stored.rows), threshold, topN);
    const withProb = probes.map((p) => (p.score === null ? p : { ...p, ...prob(p.score), top: p.top.map((r) => ({ ...r, ...prob(r.score) })) }));
    const summary = {
      gallery: values.gallery, model: gallery.model, identities: gallery.identities.length, threshold, embeddings: values.embeddings,
      ...(calibration ? { calibration: { file: values.calibration, method: calibration.method, fitted_on: calibration.fitted_on?.pairs } } : {}),
      images: probes.length,
      identified: probes.filter((p) => p.identity !== null).length,
      rejected: probes.filter((p) => p.rejected).length,
      failed_detections: probes.filter((p) => p.failed_detection).length,
      errors: probes.filter((p) => p.error !== undefined).length,
      ...(sm ? { labelled: { probes: sm.probes, known: sm.known, unknown: sm.unknown, rank1: sm.rank1, detection_identification_rate: sm.detectionIdentificationRate, false_alarm_rate: sm.falseAlarmRate } } : {}),
      seconds: (performance.now() - t0) / 1000,
      backend: 'stored',
      workers: 0,
      probes: withProb,
    };
    await writeOutputFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
    process.stderr.write(`faceflow identify: ${summary.images} stored probe(s) against ${summary.identities} identities (threshold ${threshold}): ${summary.identified} identified, ${summary.rejected} rejected\n`);
    return 0;
  }
  const inputs = await listInputs(values.input!);
  const embedded = await embedItems(pipeline, plan, inputs.items, { ...opts, onItems: progressBar('identify') });
  if (embedded.model && (embedded.model !== gallery.model || embedded.dim !== gallery.dim)) {
    throw new UsageError(`${values.gallery} holds ${gallery.dim}-D ${gallery.model} templates; this preset makes ${embedded.dim}-D ${embedded.model} embeddings`);
  }

  const labelOf = (name: string) => (name.includes('/') ? name.split('/').at(-2) : undefined);
  const probes = embedded.items.map((e, i) => {
    const image = inputs.items[i].name;
    const label = labelOf(image);
    if (!e.embedding) return { image, label, identity: null, score: null, rejected: false, failed_detection: e.failedDetection, top: [], ...(e.error ? { error: e.error } : {}) };
    const m = identify(gallery, e.embedding, threshold, e.masked);
    return {
      image, label, identity: m.identity, score: m.score, ...prob(m.score), rejected: m.identity === null, failed_detection: e.failedDetection,
      top: m.ranked.slice(0, topN).map((r) => ({ ...r, ...prob(r.score) })),
    };
  });
  const labelled = embedded.items.flatMap((e, i) => {
    const label = labelOf(inputs.items[i].name);
    return label && e.embedding ? [{ label, embedding: e.embedding, masked: e.masked }] : [];
  });
  const m = labelled.length ? identificationMetrics(gallery, labelled, threshold) : undefined;
  const summary = {
    gallery: values.gallery,
    model: gallery.model,
    identities: gallery.identities.length,
    threshold,
    ...(calibration ? { calibration: { file: values.calibration, method: calibration.method, fitted_on: calibration.fitted_on?.pairs } } : {}),
    images: probes.length,
    identified: probes.filter((p) => p.identity !== null).length,
    rejected: probes.filter((p) => p.rejected).length,
    failed_detections: probes.filter((p) => p.failed_detection).length,
    errors: probes.filter((p) => 'error' in p).length,
    ...(m ? {
      labelled: {
        probes: m.probes, known: m.known, unknown: m.unknown, rank1: m.rank1,
        detection_identification_rate: m.detectionIdentificationRate, false_alarm_rate: m.falseAlarmRate,
      },
    } : {}),
    seconds: embedded.run.seconds,
    backend: embedded.run.backend.name,
    workers: embedded.run.workers,
    probes,
  };
  await writeOutputFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
  const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  process.stderr.write(
    `faceflow identify: ${summary.images} image(s) against ${summary.identities} identities (threshold ${threshold}): ` +
      `${summary.identified} identified, ${summary.rejected} rejected, ${summary.failed_detections} failed detection(s), ${summary.errors} error(s)` +
      (m ? `; labelled: rank-1 ${pct(m.rank1)} of ${m.known} known, DIR ${pct(m.detectionIdentificationRate)}, false alarms ${pct(m.falseAlarmRate)} of ${m.unknown} unknown` : '') + '\n',
  );
  return summary.errors === summary.images ? 2 : 0;
}
