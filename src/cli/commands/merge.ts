import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { AsyncByteQueue, RecordBatchFileWriter, type Table } from 'apache-arrow';
import {
  readShardManifests, rowsToTable, shardParts, StoredEmbeddingsError, type EmbeddingRow, type ShardManifest,
} from '../../eval/stored-embeddings.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { checkOutputPaths, writeOutputFile } from '../outputs.js';

export const mergeHelp = `faceflow merge <dir> [--out <file.arrow>]

Joins the parts that faceflow embed wrote in <dir> into one Arrow IPC file, after checking that
every shard 0..n-1 is there and complete, that all were made by the same preset (hash) and that
no (path, face) row appears twice. Rows are sorted by path, then face index. Streams: it holds
one part per shard and one output batch, not the whole set.

  --out <file>            the merged file (default <dir>/embeddings.arrow)`;

/** Rows written per record batch of the merged file. */
const BATCH_ROWS = 4096;

const byKey = (a: EmbeddingRow, b: EmbeddingRow) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.face_index - b.face_index);

/**
 * One shard's rows in order: embed lists a shard's images sorted by path and cuts the list into
 * parts, so the parts follow each other in order (checked); a part, held whole anyway, is sorted.
 */
async function* shardRows(dir: string, m: ShardManifest, onFirstPart: (metadata: Record<string, string>) => void): AsyncGenerator<EmbeddingRow> {
  let last: EmbeddingRow | undefined;
  for await (const f of shardParts(dir, m)) {
    onFirstPart(f.metadata);
    for (const r of f.rows.sort(byKey)) {
      const order = last ? byKey(last, r) : -1;
      if (order === 0) throw new StoredEmbeddingsError(`${f.file}: duplicate row for ${r.path} face ${r.face_index}`);
      if (order > 0) throw new StoredEmbeddingsError(`${f.file}: its rows come before the shard's previous part (${r.path} face ${r.face_index}); not written by faceflow embed?`);
      last = r;
      yield r;
    }
  }
}

/** A k-way merge of sorted row streams by (path, face index), through a binary heap of the streams' heads. */
async function* mergeSorted(streams: AsyncGenerator<EmbeddingRow>[]): AsyncGenerator<EmbeddingRow> {
  const heap: { row: EmbeddingRow; src: AsyncGenerator<EmbeddingRow> }[] = [];
  const less = (i: number, j: number) => byKey(heap[i].row, heap[j].row) < 0;
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j], heap[i]]);
  const push = (e: (typeof heap)[number]) => {
    heap.push(e);
    for (let i = heap.length - 1; i > 0 && less(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
  };
  const siftDown = () => {
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  const advance = async (src: AsyncGenerator<EmbeddingRow>) => {
    const n = await src.next();
    if (!n.done) push({ row: n.value, src });
  };
  for (const s of streams) await advance(s);
  while (heap.length) {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      siftDown();
    }
    yield top.row;
    await advance(top.src);
  }
}

/** An Arrow byte sink that writes each chunk to the file as it comes (nothing queued in memory). */
class FileSink extends AsyncByteQueue {
  constructor(private readonly fd: number) {
    super();
  }

  override write(value: Uint8Array): void {
    if (value.byteLength) writeSync(this.fd, value);
  }
}

/** A table's record batches (writing the Table itself would finish the file after it). */
function writeBatches(writer: RecordBatchFileWriter, table: Table): void {
  for (const b of table.batches) writer.write(b);
}

/** Stream the merged rows into `file` as record batches; returns the row count. Duplicates across shards meet as neighbours. */
async function writeMerged(file: string, dir: string, manifests: ShardManifest[]): Promise<number> {
  let metadata: Record<string, string> | undefined;
  const onFirstPart = (m: Record<string, string>) => {
    if (metadata) return;
    const { ['faceflow.shard']: _shard, ...rest } = m;
    metadata = { ...rest, 'faceflow.shards': String(manifests[0].shards), 'faceflow.images': String(manifests.reduce((n, x) => n + x.images, 0)) };
  };
  const fd = openSync(file, 'w');
  const writer = new RecordBatchFileWriter();
  writer.reset(new FileSink(fd));
  let rows = 0;
  let batch: EmbeddingRow[] = [];
  let last: EmbeddingRow | undefined;
  try {
    for await (const r of mergeSorted(manifests.map((m) => shardRows(dir, m, onFirstPart)))) {
      if (last && byKey(last, r) === 0) throw new StoredEmbeddingsError(`${dir}: duplicate row for ${r.path} face ${r.face_index} (in two shards)`);
      last = r;
      batch.push(r);
      if (batch.length === BATCH_ROWS) {
        writeBatches(writer, rowsToTable(batch, metadata!));
        rows += batch.length;
        batch = [];
      }
    }
    // the last batch (or an empty one, so that a set with no rows still has its schema)
    if (batch.length || !rows) writeBatches(writer, rowsToTable(batch, metadata ?? emptySetMetadata(manifests)));
    rows += batch.length;
    writer.close(); // writes the footer
  } finally {
    closeSync(fd);
  }
  return rows;
}

/** The metadata when no shard wrote a part (an empty input folder). */
function emptySetMetadata(manifests: ShardManifest[]): Record<string, string> {
  const m = manifests[0];
  return { 'faceflow.preset_hash': m.preset_hash, 'faceflow.preset': m.preset, 'faceflow.model': m.model, 'faceflow.shards': String(m.shards), 'faceflow.images': '0' };
}

export async function mergeCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, { out: { type: 'string' } }, mergeHelp);
  const dir = positionals[0];
  if (!dir) throw new UsageError('merge: missing <dir>');
  const out = values.out ?? path.join(dir, 'embeddings.arrow');
  checkOutputPaths([{ flag: '--out', path: out, kind: 'file' }]);
  const asUsage = (e: unknown) => (e instanceof StoredEmbeddingsError ? new UsageError(e.message) : e);
  const manifests = await readShardManifests(dir).catch((e) => Promise.reject(asUsage(e)));
  let rows = 0;
  await writeOutputFile(out, async (tmp) => {
    rows = await writeMerged(tmp, dir, manifests).catch((e) => Promise.reject(asUsage(e)));
  });
  process.stderr.write(`faceflow merge: ${manifests.length} shard(s), ${rows} rows, preset ${manifests[0].preset} (${manifests[0].preset_hash.slice(0, 12)}) -> ${out}\n`);
  return 0;
}
