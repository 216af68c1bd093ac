import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../../graph/compile.js';
import type { RunItem } from '../../graph/node-definition.js';
import type { Pipeline } from '../../graph/schema.js';
import type { DetectionsValue, EmbeddingsValue, FacesValue } from '../../graph/values.js';
import type { ContextValue } from '../../context/vector.js';
import { findEmbeddingsOutput } from '../../eval/embed-items.js';
import { fileRunItem } from '../../eval/datasets-nodejs.js';
import { listPartFiles, manifestName, readStoredFile, rowsToArrow, FORMAT, type EmbeddingRow, type ShardManifest } from '../../eval/stored-embeddings.js';
import type { ItemResult } from '../../runtime/executor.js';
import { defaultWorkers, nodejsHost } from '../../runtime/nodejs-host.js';
import { runPipeline, throwIfRunFailed } from '../../runtime/run.js';
import { stableStringify } from '../../util/hash.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { loadPresetRun, PIPELINE_HELP, PIPELINE_OPTIONS } from '../pipeline-args.js';
import { checkOutputPaths, writeOutputFile } from '../outputs.js';

export const embedHelp = `faceflow embed <preset.json> --input <dir> --out <dir> [--shard i/n | --shard auto [--shards n]] [--resume] [options]

Runs the preset on every JPEG/PNG below <dir> (recursively, in a stable order) and streams one row
per face (path, face index, box, score, 5 landmarks, float32 embedding, context vector, mask flag
and twin with a masked-twin node, error) to Arrow IPC files in <out>, a part at a time, each
written to a temporary name and then renamed. Memory stays bounded by the part size.

  --input <dir>           folder of images (required)
  --out <dir>             output folder (required): shard-<i>-of-<n>.part-<k>.arrow and shard-<i>-of-<n>.json
  --shard <i/n>           process only shard i of n (0-based); an image's shard is a hash of its
                          relative path, so adding files never moves others (default 0/1)
  --shard auto            i from JOB_COMPLETION_INDEX (Kubernetes Indexed Job; n from --shards or
                          FACEFLOW_SHARDS) or SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (n from
                          SLURM_ARRAY_TASK_COUNT, or --shards)
  --shards <n>            the shard count for --shard auto
  --resume                keep the parts already committed by an earlier run of this shard, do the rest
  --part-size <n>         images per part (default 256)
${PIPELINE_HELP}`;

export interface ShardSpec {
  index: number;
  count: number;
}

/** --shard i/n, or auto from the environment of a Kubernetes Indexed Job or a Slurm array task. */
export function resolveShard(value: string | undefined, shards: string | undefined, env: NodeJS.ProcessEnv = process.env): ShardSpec {
  const int = (s: string | undefined, what: string) => {
    const n = Number(s);
    if (s === undefined || s === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${what}: expected a whole number, got "${s ?? ''}"`);
    return n;
  };
  let spec: ShardSpec;
  if (value === undefined) spec = { index: 0, count: shards === undefined ? 1 : int(shards, '--shards') };
  else if (value === 'auto') {
    if (env.JOB_COMPLETION_INDEX !== undefined) {
      const count = shards ?? env.FACEFLOW_SHARDS;
      if (count === undefined) throw new UsageError('--shard auto with JOB_COMPLETION_INDEX: give the shard count with --shards <n> (the Job\'s completions) or FACEFLOW_SHARDS');
      spec = { index: int(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX'), count: int(count, '--shards') };
    } else if (env.SLURM_ARRAY_TASK_ID !== undefined) {
      const count = shards ?? env.SLURM_ARRAY_TASK_COUNT;
      if (count === undefined) throw new UsageError('--shard auto with SLURM_ARRAY_TASK_ID: no SLURM_ARRAY_TASK_COUNT; give --shards <n>');
      const min = env.SLURM_ARRAY_TASK_MIN === undefined ? 0 : int(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN');
      spec = { index: int(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID') - min, count: int(count, 'SLURM_ARRAY_TASK_COUNT') };
    } else {
      throw new UsageError('--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm array) is set');
    }
  } else {
    const m = /^(\d+)\/(\d+)$/.exec(value);
    if (!m) throw new UsageError(`--shard ${value}: expected i/n (e.g. 0/4) or auto`);
    spec = { index: Number(m[1]), count: Number(m[2]) };
  }
  if (spec.count < 1 || spec.index < 0 || spec.index >= spec.count) throw new UsageError(`shard ${spec.index} of ${spec.count}: expected 0 <= i < n`);
  return spec;
}

/** The shard of an image: the first 32 bits of sha256(relative path) modulo n (independent of every other file). */
export function shardOf(relPath: string, count: number): number {
  return createHash('sha256').update(relPath).digest().readUInt32BE(0) % count;
}

/** A hash of what the rows depend on in the preset: nodes' types and params and the edges (not names, docs or positions). */
export function presetHash(pipeline: Pipeline): string {
  const nodes = pipeline.nodes.map((n) => ({ id: n.id, type: n.type, params: n.params })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const edges = pipeline.edges.map((e) => `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`).sort();
  return createHash('sha256').update(stableStringify({ nodes, edges })).digest('hex');
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every JPEG/PNG below dir, as '/'-separated relative paths sorted by code point (locale-independent). */
export async function walkImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    const entries = (await readdir(path.join(dir, rel), { withFileTypes: true })).sort((a, b) => byCodePoint(a.name, b.name));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) out.push(r);
    }
  };
  await walk('');
  return out.sort(byCodePoint);
}

interface Targets {
  embeddings: { nodeId: string; port: string };
  faces?: { nodeId: string; port: string };
  detections?: { nodeId: string; port: string };
  context?: { nodeId: string; port: string };
}

/** Where the rows' fields come from: the Embeddings output, the Faces it was computed on, their detections, a Context output. */
function findTargets(plan: Plan): Targets {
  const embeddings = findEmbeddingsOutput(plan);
  const steps = new Map(plan.steps.map((s) => [s.nodeId, s]));
  let faces: Targets['faces'];
  // walk up from the backbone to the node that made its faces
  const seen = new Set<string>();
  const queue = [embeddings.nodeId];
  while (queue.length && !faces) {
    const step = steps.get(queue.shift()!);
    if (!step || seen.has(step.nodeId)) continue;
    seen.add(step.nodeId);
    for (const ref of Object.values(step.inputs)) {
      const up = steps.get(ref.node);
      if (up?.def.outputs[ref.port]?.type === 'Faces') {
        faces = { nodeId: ref.node, port: ref.port };
        break;
      }
      queue.push(ref.node);
    }
  }
  let detections: Targets['detections'];
  // the detections the faces were cut by: upstream of the faces node (through e.g. an occlusion node)
  const up = faces ? [faces.nodeId] : [];
  const visited = new Set<string>();
  while (up.length && !detections) {
    const step = steps.get(up.shift()!);
    if (!step || visited.has(step.nodeId)) continue;
    visited.add(step.nodeId);
    for (const ref of Object.values(step.inputs)) {
      if (steps.get(ref.node)?.def.outputs[ref.port]?.type === 'Detections') detections = { nodeId: ref.node, port: ref.port };
      else up.push(ref.node);
    }
  }
  let context: Targets['context'];
  for (const s of plan.steps) {
    if (s.phase !== 'items') continue;
    for (const [port, spec] of Object.entries(s.def.outputs)) if (spec.type === 'Context') context = { nodeId: s.nodeId, port };
  }
  return { embeddings, faces, detections, context };
}

const sameBox = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The rows of one image's run. */
export function rowsOf(relPath: string, r: ItemResult, t: Targets): EmbeddingRow[] {
  const empty = { box: null, score: null, landmarks: null, embedding: null, context: null, masked: null, twin: null, twin_weight: null };
  if (r.error) return [{ path: relPath, face_index: -1, ...empty, failed_detection: false, error: r.error.message }];
  const get = <T>(ref?: { nodeId: string; port: string }) => (ref ? (r.outputs[ref.nodeId]?.[ref.port] as T | undefined) : undefined);
  const e = get<EmbeddingsValue>(t.embeddings);
  if (!e?.count) return [{ path: relPath, face_index: -1, ...empty, failed_detection: true, error: null }];
  const faces = get<FacesValue>(t.faces);
  const det = get<DetectionsValue>(t.detections);
  const ctx = get<ContextValue>(t.context);
  const rows: EmbeddingRow[] = [];
  for (let i = 0; i < e.count; i++) {
    const box = faces && faces.count === e.count ? faces.boxes[i] : undefined;
    const d = box && det && !(faces!.fallback[i]) ? det.boxes.findIndex((b) => sameBox(b, box)) : -1;
    const lm = d >= 0 ? det!.landmarks[d] : undefined;
    rows.push({
      path: relPath,
      face_index: i,
      box: box ? [...box] : null,
      score: d >= 0 ? det!.scores[d] : null,
      landmarks: lm && lm.length === 5 ? lm.flat() : null,
      embedding: e.data.slice(i * e.dim, (i + 1) * e.dim),
      failed_detection: e.fallback[i],
      context: ctx && ctx.count === e.count ? ctx.data.slice(i * ctx.dim, (i + 1) * ctx.dim) : null,
      masked: e.twins ? e.twins.masked[i] : null,
      twin: e.twins ? e.twins.data.slice(i * e.dim, (i + 1) * e.dim) : null,
      twin_weight: e.twins ? e.twins.weight : null,
      error: null,
    });
  }
  return rows;
}

export async function embedCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    input: { type: 'string' },
    out: { type: 'string' },
    shard: { type: 'string' },
    shards: { type: 'string' },
    resume: { type: 'boolean' },
    'part-size': { type: 'string' },
    ...PIPELINE_OPTIONS,
  }, embedHelp);
  const presetFile = positionals[0];
  if (!presetFile) throw new UsageError('embed: missing <preset.json>');
  if (!values.input) throw new UsageError('embed: missing --input <dir>');
  if (!values.out) throw new UsageError('embed: missing --out <dir>');
  const shard = resolveShard(values.shard, values.shards);
  const partSize = Number(values['part-size'] ?? 256);
  if (!Number.isInteger(partSize) || partSize < 1) throw new UsageError(`--part-size ${values['part-size']}: expected a whole number >= 1`);
  const inSt = await stat(values.input).catch(() => undefined);
  if (!inSt?.isDirectory()) throw new UsageError(`--input ${values.input}: not a directory`);
  checkOutputPaths([{ flag: '--out', path: values.out, kind: 'dir' }]);
  const { pipeline, plan, run } = await loadPresetRun(presetFile, values);
  let targets: Targets;
  try {
    targets = findTargets(plan);
  } catch (e) {
    throw new UsageError(`${presetFile}: ${(e as Error).message}`);
  }
  const hash = presetHash(pipeline);
  const out = values.out;
  const prefix = `shard-${shard.index}-of-${shard.count}`;

  // what an earlier run of this shard left
  const manifestFile = path.join(out, manifestName(shard.index, shard.count));
  const existing = (await listPartFiles(out).catch(() => [] as string[])).filter((f) => path.basename(f).startsWith(`${prefix}.`));
  const oldManifest = await readFile(manifestFile, 'utf8').then((t) => JSON.parse(t) as ShardManifest, () => undefined);
  if ((existing.length || oldManifest) && !values.resume) {
    throw new UsageError(`--out ${out}: shard ${shard.index}/${shard.count} has output there already; add --resume to continue it, or use an empty folder`);
  }
  if (oldManifest && oldManifest.preset_hash !== hash) {
    throw new UsageError(`--out ${out}: shard ${shard.index}/${shard.count} there was made by another preset (hash ${oldManifest.preset_hash.slice(0, 12)}, this one ${hash.slice(0, 12)})`);
  }
  // leftovers of a killed write are never committed parts: remove them
  for (const f of await readdir(out).catch(() => [] as string[])) {
    if (f.startsWith(`${prefix}.`) && f.includes('.partial-')) await rm(path.join(out, f), { force: true });
  }

  const all = await walkImages(values.input);
  const mine = all.filter((p) => shardOf(p, shard.count) === shard.index);
  const parts: string[][] = [];
  for (let i = 0; i < mine.length; i += partSize) parts.push(mine.slice(i, i + partSize));
  const partName = (k: number) => `${prefix}.part-${String(k).padStart(6, '0')}.arrow`;
  const done = new Set(existing.map((f) => path.basename(f)));
  const model = { name: '' };
  const metadata = () => ({
    'faceflow.preset_hash': hash, 'faceflow.preset': path.basename(presetFile), 'faceflow.model': model.name, 'faceflow.shard': `${shard.index}/${shard.count}`,
  });
  const writeManifest = (complete: boolean, rows: number) => {
    const m: ShardManifest = {
      format: FORMAT, shard: shard.index, shards: shard.count, preset_hash: hash, preset: path.basename(presetFile), model: model.name || oldManifest?.model || '',
      images: mine.length, rows, parts: parts.map((_, k) => partName(k)).filter((n) => done.has(n)), complete,
    };
    return writeOutputFile(manifestFile, `${JSON.stringify(m, null, 2)}\n`);
  };

  const todo = parts.map((_, k) => k).filter((k) => !done.has(partName(k)));
  process.stderr.write(`faceflow embed: shard ${shard.index}/${shard.count}: ${mine.length} of ${all.length} images, ${parts.length} part(s), ${parts.length - todo.length} already committed\n`);
  const workers = Math.max(1, Math.min(run.workers ?? defaultWorkers(), partSize, mine.length || 1));
  const keep = [targets.embeddings.nodeId, targets.faces?.nodeId, targets.detections?.nodeId, targets.context?.nodeId].filter((x): x is string => !!x);
  const t0 = performance.now();
  let imagesDone = 0;
  let rowCount = 0;
  let peakRss = 0;
  // no image repeats within an embed run: keep no outputs in memory (worker threads read the same variable)
  process.env.FACEFLOW_MEMORY_CACHE_BYTES ??= '0';
  if (todo.length) {
    // one host and one set of threads for every part
    const host = nodejsHost({ backend: run.backend, modelDir: run.modelDir });
    const pool = workers > 1 ? await host.startPool!(workers, run.registry) : undefined;
    try {
      for (const k of todo) {
        const items: RunItem[] = await Promise.all(parts[k].map(async (rel) => {
          const file = path.join(values.input!, rel);
          return fileRunItem(file, rel, await stat(file));
        }));
        const results: ItemResult[] = throwIfRunFailed(await runPipeline(pipeline, items, { host, registry: run.registry, pool, workers: 1, batch: run.batch, keep })).items;
        const rows = results.flatMap((r, i) => rowsOf(parts[k][i], r, targets));
        for (const r of results) {
          const e = r.outputs[targets.embeddings.nodeId]?.[targets.embeddings.port] as EmbeddingsValue | undefined;
          if (e?.model) model.name ||= e.model;
        }
        await writeOutputFile(path.join(out, partName(k)), rowsToArrow(rows, metadata()));
        done.add(partName(k));
        imagesDone += items.length;
        rowCount += rows.length;
        await writeManifest(false, rowCount);
        const s = (performance.now() - t0) / 1000;
        const rss = process.memoryUsage().rss / 2 ** 20;
        peakRss = Math.max(peakRss, rss);
        process.stderr.write(`faceflow embed: part ${k + 1}/${parts.length} committed (${rows.length} rows), ${imagesDone} images, ${(imagesDone / s).toFixed(1)} images/s, RSS ${rss.toFixed(0)} MB\n`);
      }
    } finally {
      await pool?.close();
    }
  }
  // count every row of the shard for the manifest (parts committed by an earlier run included)
  let total = 0;
  for (const k of parts.keys()) {
    const f = await readStoredFile(path.join(out, partName(k)));
    total += f.rows.length;
    model.name ||= f.metadata['faceflow.model'] ?? '';
  }
  await writeManifest(true, total);
  const s = (performance.now() - t0) / 1000;
  process.stderr.write(`faceflow embed: shard ${shard.index}/${shard.count} complete: ${mine.length} images, ${total} rows in ${parts.length} part(s); ${imagesDone} images computed in ${s.toFixed(1)} s (${(imagesDone / Math.max(s, 1e-9)).toFixed(2)} images/s, ${workers} worker(s)), peak RSS after a part ${peakRss.toFixed(0)} MB\n`);
  return 0;
}
