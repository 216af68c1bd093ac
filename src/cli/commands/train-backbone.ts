import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readIdentityFolder, type DatasetImage } from '../../eval/datasets-nodejs.js';
import type { NodeRegistry } from '../../graph/registry.js';
import type { PipelineNode } from '../../graph/schema.js';
import type { FacesValue } from '../../graph/values.js';
import { createNodeIO } from '../../io/nodejs-io.js';
import { initBackend } from '../../runtime/backend.js';
import { loadMobileFaceNet } from '../../models/mobilefacenet/index.js';
import { splitAt, STUDENT_KIND, studentShapes, TRAIN_FROM, type StudentConfig, type StudentSplit } from '../../models/mobilefacenet/student.js';
import { checkWeights } from '../../models/fusion/common.js';
import { cachePipeline } from '../../train/prepare.js';
import { defaultMilestones } from '../../train/schedule.js';
import { identityLabeler, OCCLUDE_SETTINGS, pairsFromRows, splitIdentities, trainPasses } from '../../train/session.js';
import { buildStudentData, studentConfig, trainStudent, type FaceRow, type StudentEpochLog } from '../../train/student.js';
import { loadStudentCache, saveStudentCache, studentCacheKey } from '../../train/student-cache-nodejs.js';
import { loadWeightsFiles, saveWeightsFiles } from '../../io/weights-file-nodejs.js';
import { UsageError } from '../errors.js';
import { applyParamOverrides, compileOrExplain, readPreset } from '../../runtime/preset.js';
import { parseBackend, parseWorkers } from '../pipeline-args.js';
import { progressBar } from '../progress.js';
import { jsonLog, num, runPass, type RunOpts } from './train.js';

export interface BackboneArgs {
  data?: string; out?: string; 'val-fraction'?: string; occlude?: string; epochs?: string; seed?: string; batch?: string;
  'per-identity'?: string; lr?: string; patience?: string; 'occluded-passes'?: string; name?: string; log?: string;
  workers?: string; backend?: string; param?: string[]; models?: string;
  'train-from'?: string; 'front-cache'?: string; init?: string; gate?: string; 'gate-weight'?: string; 'triplet-weight'?: string; 'gate-lr'?: string;
}

/** MobileFaceNet's input size: the aligned crops the cache pass makes. */
const FACE_SIZE = 112;

/** The preset's MobileFaceNet node: the student. */
function studentNode(nodes: PipelineNode[], presetFile: string): PipelineNode {
  const found = nodes.filter((n) => n.type === 'mobilefacenet');
  if (found.length !== 1) throw new UsageError(`${presetFile}: --module backbone needs exactly one mobilefacenet node (found ${found.length})`);
  return found[0];
}

/** `faceflow train <preset> --module backbone ...`: fine-tune MobileFaceNet's later stages (see src/train/student.ts). */
export async function trainBackbone(presetFile: string, argv: string[], v: BackboneArgs, registry: NodeRegistry): Promise<number> {
  if (!v.data) throw new UsageError('train: missing --data <dir>');
  if (!v.out) throw new UsageError('train: missing --out <dir>');
  const trainFromKey = v['train-from'] ?? 'conv2d_5';
  const trainFrom = TRAIN_FROM[trainFromKey];
  if (!trainFrom) throw new UsageError(`--train-from ${trainFromKey}: expected ${Object.keys(TRAIN_FROM).join(', ')}`);
  if (v.gate !== undefined && v.gate !== 'on' && v.gate !== 'off') throw new UsageError(`--gate ${v.gate}: expected on or off`);
  const occlude = v.occlude ?? 'training-mix';
  if (!OCCLUDE_SETTINGS.includes(occlude) || occlude === 'none') throw new UsageError(`--occlude ${occlude}: the backbone learns from occluded faces; pick an occluder kind`);
  const epochs = num(v.epochs, 'epochs', 8, (x) => Number.isInteger(x) && x >= 1 && x <= 1000);
  const seed = num(v.seed, 'seed', 1, Number.isInteger);
  const opts = {
    epochs, seed,
    batchSize: num(v.batch, 'batch', 64, (x) => Number.isInteger(x) && x >= 4),
    perIdentity: num(v['per-identity'], 'per-identity', 4, (x) => Number.isInteger(x) && x >= 2),
    lr: num(v.lr, 'lr', 2e-4, (x) => x > 0 && x < 1),
    gateLr: num(v['gate-lr'], 'gate-lr', 1e-3, (x) => x > 0 && x < 1),
    weightDecay: 1e-5, milestones: defaultMilestones(epochs), decay: 0.1, margin: 0.2,
    patience: num(v.patience, 'patience', 3, (x) => Number.isInteger(x) && x >= 1),
    tripletWeight: num(v['triplet-weight'], 'triplet-weight', 1, (x) => x >= 0 && x <= 100),
    gateWeight: num(v['gate-weight'], 'gate-weight', 1, (x) => x >= 0 && x <= 100),
  };
  const occludedPasses = num(v['occluded-passes'], 'occluded-passes', 3, (x) => Number.isInteger(x) && x >= 1 && x <= 16);
  const valFraction = num(v['val-fraction'], 'val-fraction', 0.2, (x) => x > 0 && x < 1);
  const run: RunOpts = { backend: parseBackend(v.backend), workers: parseWorkers(v.workers), models: v.models, registry };

  const pipeline = applyParamOverrides(await readPreset(presetFile), v.param ?? [], registry);
  compileOrExplain(pipeline, presetFile, registry);
  const node = studentNode(pipeline.nodes, presetFile);
  const source = pipeline.edges.find((e) => e.to.node === node.id && e.to.port === 'faces')?.from;
  if (!source) throw new UsageError(`${presetFile}: node "${node.id}" has no faces connected`);
  // The cache pass: everything the student's faces depend on (an occlusion node goes after align).
  const target = { kind: 'concat' as const, nodeId: node.id, sources: { faces: source } };
  const passes = trainPasses(cachePipeline(pipeline, target), target, occlude, seed, occludedPasses);

  let all: DatasetImage[];
  try {
    all = await readIdentityFolder(v.data);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { train: trainImages, val: valImages } = splitIdentities(all, valFraction, seed);
  const labelOf = identityLabeler([...trainImages, ...valImages]);
  // Each pass's faces: the align node's in the clean pass, the occlusion node's after it in the others.
  const collect = async (images: DatasetImage[]) => {
    const rows: FaceRow[][] = [];
    let skipped = 0;
    for (const pass of passes) {
      const occ = pass.pipeline.edges.find((e) => e.from.node === source.node && e.from.port === source.port && pass.pipeline.nodes.find((n) => n.id === e.to.node)?.type === 'occlusion');
      const from = occ ? { node: occ.to.node, port: 'faces' } : source;
      const outs = await runPass(pass, images, presetFile, run);
      const passRows: FaceRow[] = [];
      outs.forEach((out, i) => {
        const f = out?.[from.node]?.[from.port] as FacesValue | undefined;
        if (f && f.count > 0) passRows.push({ image: i, label: labelOf(images[i]), pixels: f.data.slice(0, f.size * f.size * 3) });
        else skipped++;
      });
      rows.push(passRows);
    }
    return { rows, skipped };
  };
  await initBackend(run.backend);
  const net = await loadMobileFaceNet(createNodeIO({ modelDir: v.models }));
  const split = splitAt(net.layers, trainFrom);
  const cfg = studentConfig(trainFrom, split.cutShape[2], v.gate !== 'off');
  const key = studentCacheKey({ passes: passes.map((p) => p.pipeline), images: all.map((i) => [i.name, i.identity]), valFraction, seed, trainFrom });
  const t0 = performance.now();
  let data = v['front-cache'] ? await loadStudentCache(v['front-cache'], key) : undefined;
  if (!data) {
    const trainRows = await collect(trainImages);
    const valRows = await collect(valImages);
    data = {
      train: await buildStudentData(net, split, keepWithClean(trainRows.rows), FACE_SIZE),
      val: await buildStudentData(net, split, keepWithClean(valRows.rows), FACE_SIZE),
      valPairs: pairsFromRows({ rows: keepWithClean(valRows.rows) }, 2000, seed),
      skipped: trainRows.skipped + valRows.skipped,
    };
    if (v['front-cache']) await saveStudentCache(v['front-cache'], key, data);
  }
  const { train, val, valPairs } = data;
  const cacheSeconds = (performance.now() - t0) / 1000;

  const log = jsonLog(v.log);
  await log.start();
  const summary = {
    module: STUDENT_KIND, train_from: trainFromKey, cut: split.cutShape, gate: cfg.gate !== null,
    train_rows: train.labels.length, val_rows: val.labels.length, train_identities: new Set(train.labels).size, val_identities: new Set(val.labels).size,
    skipped_images: data.skipped, val_pairs: valPairs.length, passes: passes.map((p) => p.name),
  };
  await log.line({ event: 'start', ...summary, ...opts, cache_seconds: cacheSeconds });
  const bar = progressBar('train');
  const pending: Promise<void>[] = [];
  // --init: continue from a student file made with the same cut and gate (its weights are the start).
  const start = v.init ? await loadStudentStart(v.init, cfg, split) : undefined;
  const r = await trainStudent(net, cfg, train, val, {
    ...opts, valPairs,
    onProgress: (f) => bar(Math.round(f * 1000), 1000),
    onEpoch: (l: StudentEpochLog) => pending.push(log.line({ event: 'epoch', ...l })),
  }, start);
  if (start) tf.dispose(Object.values(start));
  await Promise.all(pending);
  const best = r.bestEpoch >= 0 ? r.logs[r.bestEpoch] : undefined;
  const training = {
    command: `faceflow train ${argv.join(' ')}`, seed, epochs_run: r.logs.length, best_epoch: r.bestEpoch, stopped_early: r.stoppedEarly,
    initial: r.initial, best: best && { val_distill: best.valDistill, val_distill_occluded: best.valDistillOccluded, val_accuracy: best.valAccuracy, val_gate_ratio: best.valGateRatio },
    seconds: { cache_and_front: cacheSeconds, epochs: r.logs.reduce((s, l) => s + l.seconds, 0) },
    ...summary,
  };
  const name = v.name ?? `${path.basename(presetFile, '.json')}.student`;
  const file = await saveWeightsFiles(v.out, name, STUDENT_KIND, cfg, r.weights, training);
  tf.dispose(Object.values(r.weights));
  await log.line({ event: 'done', weights: file, best_epoch: r.bestEpoch, initial: r.initial, best: training.best });
  process.stderr.write(r.bestEpoch >= 0
    ? `faceflow train: wrote ${file} (best epoch ${r.bestEpoch + 1}); use it with --param ${node.id}.weights=${file}\n`
    : `faceflow train: wrote ${file}, but no epoch beat the pretrained network on validation: keep the pretrained one\n`);
  return 0;
}

/** Per pass, only the rows whose image has a clean row (the first pass), so row order matches buildStudentData's. */
function keepWithClean(passes: FaceRow[][]): FaceRow[][] {
  const clean = new Set((passes[0] ?? []).map((r) => r.image));
  return passes.map((p) => p.filter((r) => clean.has(r.image)));
}

/** The weights of an earlier student file as the start of this run; it must fit the same cut and gate. */
async function loadStudentStart(file: string, cfg: StudentConfig, split: StudentSplit): Promise<Record<string, tf.Tensor>> {
  const w = await loadWeightsFiles(file).catch((e) => {
    throw new UsageError(`--init ${file}: ${(e as Error).message}`);
  });
  const c = w.config as StudentConfig;
  try {
    if (w.kind !== STUDENT_KIND || c?.trainFrom !== cfg.trainFrom || (c.gate === null) !== (cfg.gate === null)) {
      throw new Error(`holds ${w.kind} weights trained from ${c?.trainFrom ?? '?'}, not a ${STUDENT_KIND} from ${cfg.trainFrom}${cfg.gate ? ' with a gate' : ''}`);
    }
    checkWeights('student', w.weights, studentShapes(split, cfg));
  } catch (e) {
    tf.dispose(Object.values(w.weights));
    throw new UsageError(`--init ${file}: ${(e as Error).message}`);
  }
  return w.weights;
}
