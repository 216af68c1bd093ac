import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ALIGN_TEMPLATES, templatePoints, type TemplateName } from '../../../nodes/align/templates.js';
import { OCCLUSION_KINDS } from '../../context/occluders.js';
import { DEFAULT_OCC_CONFIG } from '../../context/occlusion-classifier.js';
import { fileRunItems, readIdentityFolder, readPairsDataset, type DatasetImage } from '../../eval/datasets-nodejs.js';
import { PairsFileError } from '../../eval/lfw.js';
import type { Pipeline } from '../../graph/schema.js';
import type { FacesValue } from '../../graph/values.js';
import { readUserTextFile } from '../../io/file-policy-nodejs.js';
import { createNodeIO } from '../../io/nodejs-io.js';
import { loadMobileFaceNetTail } from '../../models/gate/mobilefacenet-tail.js';
import { BACKENDS } from '../../runtime/backend.js';
import type { CollectedRow, ItemOutputs } from '../../train/collect.js';
import { defaultTrainOptions, type EpochLog } from '../../train/loop.js';
import { cachePipeline, findTrainTarget, type TrainTarget, type TrainTargetKind } from '../../train/prepare.js';
import { trainOcclusionClassifier, type FaceCrops } from '../../train/occlusion.js';
import { defaultMilestones, trainingVerdict } from '../../train/schedule.js';
import {
  collectPasses, epochsProblem, identityLabeler, OCCLUDE_SETTINGS, runTrainingSession, splitIdentities, trainingRecord, trainPasses, type TrainPass,
} from '../../train/session.js';
import { saveWeightsFiles } from '../../io/weights-file-nodejs.js';
import { trainBackbone, type BackboneArgs } from './train-backbone.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { applyParamOverrides, compileOrExplain, readPreset } from '../../runtime/preset.js';
import { progressBar } from '../progress.js';
import { nodejsRun } from '../../runtime/nodejs-host.js';
import { runPipeline, throwIfRunFailed } from '../../runtime/run.js';
import { applyFilePolicy, applyMaxPixels, parseBackend, parseWorkers, pluginRegistry, PLUGIN_HELP } from '../pipeline-args.js';
import type { NodeRegistry } from '../../graph/registry.js';
import { checkOutputPaths } from '../outputs.js';

export const trainHelp = `faceflow train <preset.json> --data <dir> --out <dir> [options]

Trains the preset's attention gate or fusion node with semi-hard triplet loss (margin 0.2) on
top of the frozen pipeline: every image runs through the preset once (clean, and once more with a
synthetic occluder on the aligned face) and the gate's feature maps or the fusion's embeddings and
context vectors are cached; then AdamW (lr 1e-3, weight decay 1e-5), step decay x0.1 at 40/60/80%
of the epochs, early stopping on validation loss. Writes <out>/<name>.json + .weights.bin (tfjs
format) and one JSON line per epoch on stdout.

  --data <dir>            training images as <dir>/<identity>/<image>.{jpg,png}
  --out <dir>             where the weights are written (e.g. next to the preset)
  --pairs-val <pairs.txt> validation pairs (LFW View 2 format); their identities leave the training set
  --val-images <dir>      images the validation pairs name (default: --data)
  --val-fraction <f>      without --pairs-val: share of identities held out for validation (default 0.2)
  --module <m>            gate | concat | attention | transformer (default: the preset's only one), or
                          occlusion: the context node's mask / eye-occlusion classifier (cross-entropy on
                          the preset's aligned faces with synthetic occluders, split by identity as above), or
                          backbone: fine-tunes MobileFaceNet's later stages with a gate inside (teacher-student
                          distillation from the frozen network + triplet loss + gate supervision; see below)
  --occlude <kind>        ${OCCLUSION_KINDS.join(' | ')} | any-mask | any | training-mix | none
                          (default any-mask; training-mix for the backbone)

Backbone options (--module backbone; the preset's mobilefacenet node is the student):
  --train-from <block>    conv2d_4.3 | conv2d_5 | conv2d_6: first fine-tuned block (default conv2d_5, 14x14 map)
  --front-cache <dir>     keep the rows (frozen front maps, occluder coverage, teacher targets) on disk, keyed by
                          what they depend on: a second run with other training settings starts training at once
  --init <student.json>   continue from an earlier student file (same --train-from and gate) instead of the pretrained start
  --gate <on|off>         spatial gate on the map entering the trained part (default on)
  --gate-weight <w>       weight of the gate-map supervision by the synthetic occluder's place (default 1)
  --triplet-weight <w>    weight of the triplet loss next to the distillation terms (default 1)
  --gate-lr <x>           the gate's learning rate (default 0.001); --lr is the fine-tuned layers' (default 0.0002)
  --epochs <n>            default 30
  --seed <s>              default 1: initialisation, batches, occluders, the split
  --batch <n>             rows per batch (default 64), --per-identity <k> images per identity (default 4)
  --lr <x>                default 0.001;  --patience <n> early-stopping patience (default 8)
  --occluded-passes <k>   occluded copies of every image, each with other occluders (default 1)
  --consistency <w>       add w x (1 - cos) between each row's output and the untrained module's output
                          on the clean version of the same image (default 0: triplet loss alone, as the paper)
  --name <name>           file name (default: <preset name>.<module>)
  --log <file.jsonl>      also append the epoch lines to this file
  --workers <n>           worker threads for the cache pass;  --backend <name> ${BACKENDS.join(' | ')}
  --param node.name=val   override a node's param (repeatable);  --models <dir> model files folder
  --allow-path <dir>      let the preset read files under this folder too (repeatable; by default only its
                          own folder, the bundled presets and the paths given here: --data, --val-images, ...)
  --max-pixels <n>        refuse images larger than this many pixels, from their header (default 40000000)
${PLUGIN_HELP}`;

const MODULES: string[] = ['gate', 'concat', 'attention', 'transformer', 'occlusion', 'backbone'];

export function num(v: string | undefined, name: string, def: number, check: (x: number) => boolean): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} ${v}: out of range`);
  return x;
}

/** How the cache passes run: backend, threads, model folder and the node types (built-ins + --plugin). */
export type RunOpts = { backend?: ReturnType<typeof parseBackend>; workers?: number; models?: string; registry: NodeRegistry };

/** Run one cache pass over the images with the worker pool: the outputs per image (undefined where it failed). */
export async function runPass(pass: TrainPass, images: DatasetImage[], presetFile: string, run: RunOpts): Promise<ItemOutputs[]> {
  compileOrExplain(pass.pipeline, presetFile, run.registry);
  const r = throwIfRunFailed(await runPipeline(pass.pipeline, await fileRunItems(images), nodejsRun({ backend: run.backend, workers: run.workers, modelDir: run.models, registry: run.registry, onItems: progressBar(`cache ${pass.name}`) })));
  return r.items.map((it) => (it.error ? undefined : it.outputs));
}

function collectWith<R>(passes: TrainPass[], images: DatasetImage[], presetFile: string, run: RunOpts, extract: (out: ItemOutputs, image: number) => R | undefined) {
  return collectPasses(passes, (pass) => runPass(pass, images, presetFile, run), extract);
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    data: { type: 'string' }, out: { type: 'string' }, 'pairs-val': { type: 'string' }, 'val-images': { type: 'string' },
    'val-fraction': { type: 'string' }, module: { type: 'string' }, occlude: { type: 'string' }, epochs: { type: 'string' },
    seed: { type: 'string' }, batch: { type: 'string' }, 'per-identity': { type: 'string' }, lr: { type: 'string' },
    patience: { type: 'string' }, consistency: { type: 'string' }, 'occluded-passes': { type: 'string' },
    'train-from': { type: 'string' }, 'front-cache': { type: 'string' }, init: { type: 'string' }, gate: { type: 'string' }, 'gate-weight': { type: 'string' }, 'triplet-weight': { type: 'string' }, 'gate-lr': { type: 'string' }, name: { type: 'string' }, log: { type: 'string' }, workers: { type: 'string' },
    backend: { type: 'string' }, param: { type: 'string', multiple: true }, models: { type: 'string' },
    'allow-path': { type: 'string', multiple: true }, 'max-pixels': { type: 'string' }, plugin: { type: 'string', multiple: true },
  }, trainHelp);
  const presetFile = positionals[0];
  if (!presetFile) throw new UsageError('train: missing <preset.json>');
  if (!values.data) throw new UsageError('train: missing --data <dir>');
  if (!values.out) throw new UsageError('train: missing --out <dir>');
  if (values.module && !MODULES.includes(values.module)) throw new UsageError(`--module ${values.module}: expected ${MODULES.join(', ')}`);
  // the same rules as every command that runs a preset: outputs checked now, and the preset reads
  // only under its folder, the bundled presets, --allow-path and the paths named here (--data, ...)
  checkOutputPaths([
    { flag: '--out', path: values.out, kind: 'dir' },
    { flag: '--log', path: values.log, kind: 'file' },
    { flag: '--front-cache', path: values['front-cache'], kind: 'dir' },
  ]);
  applyMaxPixels(values['max-pixels']);
  const registry = await pluginRegistry(values);
  await applyFilePolicy(presetFile, applyParamOverrides(await readPreset(presetFile), values.param ?? [], registry), values);
  if (values.module === 'backbone') return trainBackbone(presetFile, argv, values as BackboneArgs, registry);
  const module = values.module as TrainTargetKind | undefined;
  const occlude = values.occlude ?? 'any-mask';
  if (!OCCLUDE_SETTINGS.includes(occlude)) throw new UsageError(`--occlude ${occlude}: unknown kind`);
  const epochs = num(values.epochs, 'epochs', 30, (x) => !epochsProblem(x));
  const seed = num(values.seed, 'seed', 1, Number.isInteger);
  const opts = {
    ...defaultTrainOptions(epochs, seed),
    batchSize: num(values.batch, 'batch', 64, (x) => Number.isInteger(x) && x >= 4),
    perIdentity: num(values['per-identity'], 'per-identity', 4, (x) => Number.isInteger(x) && x >= 2),
    lr: num(values.lr, 'lr', 1e-3, (x) => x > 0 && x < 1),
    patience: num(values.patience, 'patience', 8, (x) => Number.isInteger(x) && x >= 1),
    consistency: num(values.consistency, 'consistency', 0, (x) => x >= 0 && x <= 100),
    milestones: defaultMilestones(epochs),
  };
  const occludedPasses = num(values['occluded-passes'], 'occluded-passes', 1, (x) => Number.isInteger(x) && x >= 1 && x <= 16);
  const valFraction = num(values['val-fraction'], 'val-fraction', 0.2, (x) => x > 0 && x < 1);
  const backend = parseBackend(values.backend);
  const workers = parseWorkers(values.workers);

  const pipeline = applyParamOverrides(await readPreset(presetFile), values.param ?? [], registry);
  compileOrExplain(pipeline, presetFile, registry);
  let target: TrainTarget;
  let cache: Pipeline;
  try {
    target = findTrainTarget(pipeline, registry, module);
    cache = cachePipeline(pipeline, target);
  } catch (e) {
    throw new UsageError(`${presetFile}: ${(e as Error).message}`);
  }
  let passes: TrainPass[];
  try {
    passes = trainPasses(cache, target, occlude, seed, occludedPasses);
  } catch (e) {
    throw new UsageError(`${presetFile}: ${(e as Error).message}`);
  }

  // Identities: training ones from --data; validation from --pairs-val, or a seeded share of --data.
  let all: DatasetImage[];
  try {
    all = await readIdentityFolder(values.data);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let trainImages: DatasetImage[];
  let valImages: DatasetImage[];
  let valPairIndex: [number, number, boolean][] = [];
  if (values['pairs-val']) {
    const pairs = await readPairsDataset(values['pairs-val'], values['val-images'] ?? values.data, (p) => readUserTextFile(p, 'pairs')).catch((e) => {
      throw e instanceof PairsFileError || (e as NodeJS.ErrnoException).code === 'ENOENT' ? new UsageError((e as Error).message) : e;
    });
    const held = new Set(pairs.images.map((i) => i.identity));
    trainImages = all.filter((i) => !held.has(i.identity));
    valImages = pairs.images;
    valPairIndex = pairs.index.map(([a, b], k) => [a, b, pairs.pairs[k].same]);
  } else {
    ({ train: trainImages, val: valImages } = splitIdentities(all, valFraction, seed));
  }
  const labelOf = identityLabeler([...trainImages, ...valImages]);
  const run = { backend, workers, models: values.models, registry };

  if (target.kind === 'occlusion') {
    return trainOcclusion({ presetFile, argv, target, cache, trainImages, valImages, run, seed, epochs, opts, out: values.out, name: values.name, logFile: values.log });
  }
  // Validation pairs: the first image clean, the second occluded when occlusion is on (the robustness case).
  // Without a pairs file, the session's seeded sample of clean x occluded pairs of the held-out identities (as the app does).
  const valPairs = valPairIndex.length ? (valSet: { rows: CollectedRow[][] }) => {
    const rowOf = (pass: number) => {
      const offset = valSet.rows.slice(0, pass).reduce((n, r) => n + r.length, 0);
      return new Map(valSet.rows[pass].map((r, k) => [r.image, offset + k]));
    };
    const clean = rowOf(0);
    const other = rowOf(passes.length - 1);
    return valPairIndex.flatMap(([a, b, same]) => (clean.has(a) && other.has(b) ? [{ a: clean.get(a)!, b: other.get(b)!, same }] : []));
  } : undefined;

  const io = createNodeIO({ modelDir: values.models });
  const jl = jsonLog(values.log);
  await jl.start();
  const log = jl.line;
  const bar = progressBar('train');
  const pending: Promise<void>[] = [];
  const { result, weights: { file, training } } = await runTrainingSession({
    target, passes, trainImages, valImages, labelOf, seed, valPairs,
    runPass: (pass, imgs) => runPass(pass, imgs, presetFile, run),
    loadTail: async () => {
      const tail = await loadMobileFaceNetTail(io);
      return (f: tf.Tensor4D) => tail.run(f);
    },
    opts: {
      ...opts,
      onProgress: (f) => bar(Math.round(f * 1000), 1000),
      onEpoch: (l: EpochLog) => pending.push(log({ event: 'epoch', ...l })),
    },
    onStart: (summary) => log({ event: 'start', ...summary, seed, epochs, lr: opts.lr, milestones: opts.milestones, consistency: opts.consistency }),
    keep: async (mod, config, result, summary) => {
      await Promise.all(pending);
      // The default name: `<preset>.gate` or `<preset>.fusion-<kind>` (the module's weights kind).
      const name = values.name ?? `${path.basename(presetFile, '.json')}.${mod.kind}`;
      const training = trainingRecord(`faceflow train ${argv.join(' ')}`, seed, result, summary);
      return { file: await saveWeightsFiles(values.out!, name, mod.kind, config, mod.variables as Record<string, tf.Tensor>, training), training };
    },
  });
  await log({ event: 'done', weights: file, best_epoch: result.bestEpoch, initial: result.initial, best: training.best });
  const verdict = trainingVerdict(result.bestEpoch, result.logs.length, result.initial.valLoss !== undefined);
  process.stderr.write(verdict.improved
    ? `faceflow train: wrote ${file} (${verdict.message}); use it with --param ${target.nodeId}.weights=${file}\n`
    : `faceflow train: wrote ${file}, but ${verdict.message}: it is not an improvement, keep the node's current weights\n`);
  return 0;
}

/** Faces of the first face per image, as crops for the occlusion classifier (fallback crops skipped: they are not aligned). */
function faceCrop(out: ItemOutputs, t: TrainTarget): FacesValue | undefined {
  const f = out?.[t.sources.faces.node]?.[t.sources.faces.port] as FacesValue | undefined;
  return f && f.count > 0 && !f.fallback[0] ? f : undefined;
}

function stackCrops(faces: FacesValue[]): FaceCrops {
  if (!faces.length) throw new UsageError('no aligned faces found in the images');
  const size = faces[0].size;
  const stride = size * size * 3;
  const data = new Uint8Array(faces.length * stride);
  faces.forEach((f, i) => data.set(f.data.subarray(0, stride), i * stride));
  return { size, count: faces.length, data };
}

async function trainOcclusion(a: {
  presetFile: string; argv: string[]; target: TrainTarget; cache: Pipeline; trainImages: DatasetImage[]; valImages: DatasetImage[];
  run: RunOpts; seed: number; epochs: number; opts: { batchSize: number; lr: number; weightDecay: number; patience: number }; out: string; name?: string; logFile?: string;
}): Promise<number> {
  const passes: TrainPass[] = [{ name: 'faces', pipeline: a.cache }];
  const tr = await collectWith(passes, a.trainImages, a.presetFile, a.run, (o) => faceCrop(o, a.target));
  const va = await collectWith(passes, a.valImages, a.presetFile, a.run, (o) => faceCrop(o, a.target));
  const train = stackCrops(tr.rows[0]);
  const val = stackCrops(va.rows[0]);
  const template = tr.rows[0][0].template;
  if (!(template in ALIGN_TEMPLATES)) throw new UsageError(`${a.presetFile}: the occlusion classifier needs landmark-aligned faces (template ${template})`);
  const landmarks = templatePoints(template as TemplateName, train.size);
  const log = jsonLog(a.logFile);
  await log.start();
  await log.line({ event: 'start', module: 'occlusion-classifier', train_faces: train.count, val_faces: val.count, skipped_images: tr.skipped + va.skipped, template, seed: a.seed, epochs: a.epochs });
  const pending: Promise<void>[] = [];
  const r = await trainOcclusionClassifier(train, val, {
    epochs: a.epochs, seed: a.seed, batchSize: a.opts.batchSize, lr: a.opts.lr, weightDecay: a.opts.weightDecay, patience: a.opts.patience,
    landmarks, copies: 8, onEpoch: (l) => pending.push(log.line({ event: 'epoch', ...l })),
  });
  await Promise.all(pending);
  const best = r.logs.reduce((x, y) => (y.valLoss < x.valLoss ? y : x), { valLoss: r.initial.valLoss, valAccuracy: r.initial.valAccuracy, epoch: -1 });
  const training = {
    command: `faceflow train ${a.argv.join(' ')}`, seed: a.seed, epochs_run: r.logs.length, best_epoch: best.epoch,
    initial: r.initial, best: { val_loss: best.valLoss, val_accuracy: best.valAccuracy }, train_faces: train.count, val_faces: val.count, template,
    note: 'validation accuracy is on held-out identities with synthetic occluders, not on real masks',
  };
  const name = a.name ?? `${path.basename(a.presetFile, '.json')}.occlusion`;
  const file = await saveWeightsFiles(a.out, name, 'occlusion-classifier', DEFAULT_OCC_CONFIG, r.weights, training);
  tf.dispose(Object.values(r.weights));
  await log.line({ event: 'done', weights: file, best_epoch: best.epoch, initial: r.initial, best: training.best });
  const verdict = trainingVerdict(best.epoch, r.logs.length, r.initial.valLoss !== undefined);
  process.stderr.write(verdict.improved
    ? `faceflow train: wrote ${file} (${verdict.message}); use it with --param ${a.target.nodeId}.occlusionWeights=${file}\n`
    : `faceflow train: wrote ${file}, but ${verdict.message}: it is not an improvement, keep the node's current weights\n`);
  return 0;
}

/** JSON lines on stdout, and in a file when asked. */
export function jsonLog(file?: string) {
  return {
    async start() {
      if (!file) return;
      await mkdir(path.dirname(path.resolve(file)), { recursive: true });
      await writeFile(file, '');
    },
    async line(obj: Record<string, unknown>) {
      const text = `${JSON.stringify(obj)}\n`;
      process.stdout.write(text);
      if (file) await appendFile(file, text);
    },
  };
}
