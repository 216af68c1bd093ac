import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  Bool, Field, FixedSizeList, Float32, Float64, Int32, List, Schema, Table, Utf8,
  tableFromIPC, tableToIPC, vectorFromArray, type Vector,
} from 'apache-arrow';
import type { FaceVector } from './adaptive.js';

/**
 * Embeddings stored as columnar files (Arrow IPC file format, `.arrow`; see docs/cluster.md for
 * why Arrow and not Parquet): one row per face the preset's Embeddings output has for an image,
 * or one row with face_index -1 for an image with no face or an error. `faceflow embed` writes
 * them in parts, `faceflow merge` joins the parts of all shards into one file, and `faceflow eval`
 * / `identify` with `--embeddings` read them instead of running the networks.
 *
 * Columns (all but path, face_index and failed_detection nullable):
 *   path             image path relative to the input folder, '/'-separated
 *   face_index       the face's index in the Embeddings output (-1: no face, or an error)
 *   box              [x1, y1, x2, y2] in source pixels (float64)
 *   score            detector score
 *   landmarks        5 points as [x0, y0, ..., x4, y4]
 *   embedding        float32 unit vector (list<float32>)
 *   failed_detection the face is a fallback crop, or there is none (as eval counts them)
 *   context          the 12-D context vector when the preset has a context node
 *   masked, twin, twin_weight   a masked-twin node's mask flag, masked twin and twin weight
 *   error            the pipeline's error for this image
 *
 * Schema metadata: faceflow.preset_hash, faceflow.preset, faceflow.model, faceflow.shard
 * ("i/n"), faceflow.part.
 */

export interface EmbeddingRow {
  path: string;
  face_index: number;
  box: number[] | null;
  score: number | null;
  landmarks: number[] | null;
  embedding: Float32Array | null;
  failed_detection: boolean;
  context: Float32Array | null;
  masked: boolean | null;
  twin: Float32Array | null;
  twin_weight: number | null;
  error: string | null;
}

export const FORMAT = 'faceflow/embeddings';
export const FORMAT_VERSION = '1';

function f32List() {
  return new List(new Field('item', new Float32(), true));
}

export function rowSchema(metadata: Record<string, string> = {}): Schema {
  return new Schema([
    new Field('path', new Utf8(), false),
    new Field('face_index', new Int32(), false),
    new Field('box', new FixedSizeList(4, new Field('item', new Float64(), false)), true),
    new Field('score', new Float64(), true),
    new Field('landmarks', new FixedSizeList(10, new Field('item', new Float64(), false)), true),
    new Field('embedding', f32List(), true),
    new Field('failed_detection', new Bool(), false),
    new Field('context', f32List(), true),
    new Field('masked', new Bool(), true),
    new Field('twin', f32List(), true),
    new Field('twin_weight', new Float64(), true),
    new Field('error', new Utf8(), true),
  ], new Map(Object.entries({ 'faceflow.format': FORMAT, 'faceflow.format_version': FORMAT_VERSION, ...metadata })));
}

/** Rows -> an Arrow table with the metadata on its schema. */
export function rowsToTable(rows: EmbeddingRow[], metadata: Record<string, string>): Table {
  const schema = rowSchema(metadata);
  const columns: Record<string, Vector> = {};
  for (const field of schema.fields) {
    const values = rows.map((r) => (r as unknown as Record<string, unknown>)[field.name] ?? null);
    columns[field.name] = vectorFromArray(values, field.type);
  }
  const table = new Table(columns);
  // the table's schema is inferred from the vectors; the metadata is added to it
  for (const [k, v] of schema.metadata) table.schema.metadata.set(k, v);
  return table;
}

/** Rows -> Arrow IPC file bytes, with the metadata on the schema. */
export function rowsToArrow(rows: EmbeddingRow[], metadata: Record<string, string>): Uint8Array {
  return tableToIPC(rowsToTable(rows, metadata), 'file');
}

export interface StoredFile {
  file: string;
  metadata: Record<string, string>;
  rows: EmbeddingRow[];
}

const toF32 = (v: unknown): Float32Array | null => (v == null ? null : Float32Array.from((v as { toArray(): ArrayLike<number> }).toArray()));
const toNums = (v: unknown): number[] | null => (v == null ? null : Array.from((v as { toArray(): ArrayLike<number> }).toArray()));

/** Read one Arrow IPC file of embedding rows (written by embed or merge). */
export async function readStoredFile(file: string): Promise<StoredFile> {
  const table = tableFromIPC(await readFile(file));
  const metadata = Object.fromEntries(table.schema.metadata);
  if (metadata['faceflow.format'] !== FORMAT) throw new Error(`${file}: not a faceflow embeddings file (no faceflow.format=${FORMAT} in its schema metadata)`);
  const col = (name: string) => {
    const c = table.getChild(name);
    if (!c) throw new Error(`${file}: no column "${name}"`);
    return c;
  };
  const cols = Object.fromEntries(rowSchema().fields.map((f) => [f.name, col(f.name)]));
  const rows: EmbeddingRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const twinWeight = cols.twin_weight.get(i) as number | null;
    rows.push({
      path: cols.path.get(i) as string,
      face_index: cols.face_index.get(i) as number,
      box: toNums(cols.box.get(i)),
      score: cols.score.get(i) as number | null,
      landmarks: toNums(cols.landmarks.get(i)),
      embedding: toF32(cols.embedding.get(i)),
      failed_detection: cols.failed_detection.get(i) as boolean,
      context: toF32(cols.context.get(i)),
      masked: cols.masked.get(i) as boolean | null,
      twin: toF32(cols.twin.get(i)),
      twin_weight: twinWeight,
      error: cols.error.get(i) as string | null,
    });
  }
  return { file, metadata, rows };
}

/** Committed part files of an embed output folder, sorted by name (temporary files are ignored). */
export async function listPartFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => /^shard-\d+-of-\d+\.part-\d+\.arrow$/.test(f)).sort().map((f) => path.join(dir, f));
}

/** Rows from a merged file, or from every committed part in an embed output folder (checked like merge does). */
export async function loadStoredEmbeddings(source: string): Promise<{ rows: EmbeddingRow[]; metadata: Record<string, string> }> {
  const st = await stat(source).catch(() => undefined);
  if (!st) throw new StoredEmbeddingsError(`${source}: no such file or directory`);
  if (st.isFile()) {
    const f = await readStoredFile(source);
    return { rows: f.rows, metadata: f.metadata };
  }
  const { rows, metadata } = await collectShards(source);
  return { rows, metadata };
}

export class StoredEmbeddingsError extends Error {}

export interface ShardManifest {
  format: string;
  shard: number;
  shards: number;
  preset_hash: string;
  preset: string;
  model: string;
  images: number;
  rows: number;
  parts: string[];
  complete: boolean;
}

export function manifestName(shard: number, shards: number): string {
  return `shard-${shard}-of-${shards}.json`;
}

/**
 * Every shard's manifest in an embed output folder, checked: all shards 0..n-1 there and
 * complete, one split, one preset hash. In shard order.
 */
export async function readShardManifests(dir: string): Promise<ShardManifest[]> {
  const names = await readdir(dir).catch(() => {
    throw new StoredEmbeddingsError(`${dir}: cannot read the folder`);
  });
  const manifests: ShardManifest[] = [];
  for (const n of names.filter((x) => /^shard-\d+-of-\d+\.json$/.test(x)).sort()) {
    manifests.push(JSON.parse(await readFile(path.join(dir, n), 'utf8')) as ShardManifest);
  }
  if (!manifests.length) throw new StoredEmbeddingsError(`${dir}: no shard manifests (shard-<i>-of-<n>.json): run faceflow embed --out ${dir} first`);
  const counts = new Set(manifests.map((m) => m.shards));
  if (counts.size > 1) throw new StoredEmbeddingsError(`${dir}: shards of different splits (${[...counts].map((c) => `of ${c}`).join(', ')}); keep one split per folder`);
  const shards = manifests[0].shards;
  const hashes = new Set(manifests.map((m) => m.preset_hash));
  if (hashes.size > 1) {
    throw new StoredEmbeddingsError(`${dir}: shards made by different presets: ${manifests.map((m) => `shard ${m.shard} ${m.preset_hash.slice(0, 12)}`).join(', ')}`);
  }
  const missing: number[] = [];
  for (let i = 0; i < shards; i++) {
    const m = manifests.find((x) => x.shard === i);
    if (!m || !m.complete) missing.push(i);
  }
  if (missing.length) throw new StoredEmbeddingsError(`${dir}: shard(s) ${missing.join(', ')} of ${shards} missing or unfinished; run (or --resume) faceflow embed --shard <i>/${shards} for them`);
  return manifests.sort((a, b) => a.shard - b.shard);
}

/** A shard's parts, one file at a time, each checked to carry its manifest's preset hash. */
export async function* shardParts(dir: string, m: ShardManifest): AsyncGenerator<StoredFile> {
  for (const part of m.parts) {
    const f = await readStoredFile(path.join(dir, part));
    if (f.metadata['faceflow.preset_hash'] !== m.preset_hash) throw new StoredEmbeddingsError(`${f.file}: made by another preset than its shard's manifest`);
    yield f;
  }
}

/** The key merge sorts and checks duplicates by. */
const rowKey = (r: EmbeddingRow) => `${r.path}\u0000${r.face_index}`;

/**
 * Every shard's rows in an embed output folder (checked as readShardManifests does, and no
 * (path, face_index) twice). Rows in shard order, then part order. All in memory: for eval and
 * identify; merge streams instead.
 */
export async function collectShards(dir: string): Promise<{ rows: EmbeddingRow[]; metadata: Record<string, string>; manifests: ShardManifest[] }> {
  const manifests = await readShardManifests(dir);
  const rows: EmbeddingRow[] = [];
  const seen = new Set<string>();
  let metadata: Record<string, string> = {};
  for (const m of manifests) {
    for await (const f of shardParts(dir, m)) {
      metadata = f.metadata;
      for (const r of f.rows) {
        const key = rowKey(r);
        if (seen.has(key)) throw new StoredEmbeddingsError(`${f.file}: duplicate row for ${r.path} face ${r.face_index}`);
        seen.add(key);
        rows.push(r);
      }
    }
  }
  return { rows, metadata, manifests };
}

/** Per image path: the FaceVector eval and identify use (face 0; a run takes each image's first embedding). */
export interface StoredImage {
  vector?: FaceVector;
  failedDetection: boolean;
  error?: string;
}

export function imagesByPath(rows: EmbeddingRow[]): Map<string, StoredImage> {
  const out = new Map<string, StoredImage>();
  for (const r of rows) {
    if (r.face_index > 0) continue;
    if (r.error != null) {
      out.set(r.path, { failedDetection: false, error: r.error });
    } else if (!r.embedding) {
      out.set(r.path, { failedDetection: true });
    } else {
      const twin = r.masked != null && r.twin ? { masked: r.masked, twin: r.twin, twinWeight: r.twin_weight ?? 0 } : {};
      out.set(r.path, { vector: { embedding: r.embedding, ...twin }, failedDetection: r.failed_detection });
    }
  }
  return out;
}
