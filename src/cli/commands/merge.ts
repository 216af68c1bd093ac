import path from 'node:path';
import { collectShards, rowsToArrow, StoredEmbeddingsError } from '../../eval/stored-embeddings';
import { parseCommandArgs } from '../args';
import { UsageError } from '../errors';
import { checkOutputPaths, writeOutputFile } from '../outputs';

export const mergeHelp = `faceflow merge <dir> [--out <file.arrow>]

Joins the parts that faceflow embed wrote in <dir> into one Arrow IPC file, after checking that
every shard 0..n-1 is there and complete, that all were made by the same preset (hash) and that
no (path, face) row appears twice. Rows are sorted by path, then face index.

  --out <file>            the merged file (default <dir>/embeddings.arrow)`;

export async function mergeCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, { out: { type: 'string' } }, mergeHelp);
  const dir = positionals[0];
  if (!dir) throw new UsageError('merge: missing <dir>');
  const out = values.out ?? path.join(dir, 'embeddings.arrow');
  checkOutputPaths([{ flag: '--out', path: out, kind: 'file' }]);
  let collected;
  try {
    collected = await collectShards(dir);
  } catch (e) {
    if (e instanceof StoredEmbeddingsError) throw new UsageError(e.message);
    throw e;
  }
  const { rows, metadata, manifests } = collected;
  rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.face_index - b.face_index));
  const { ['faceflow.shard']: _shard, ...meta } = metadata;
  await writeOutputFile(out, rowsToArrow(rows, { ...meta, 'faceflow.shards': String(manifests[0].shards), 'faceflow.images': String(manifests.reduce((n, m) => n + m.images, 0)) }));
  process.stderr.write(`faceflow merge: ${manifests.length} shard(s), ${rows.length} rows, preset ${manifests[0].preset} (${manifests[0].preset_hash.slice(0, 12)}) -> ${out}\n`);
  return 0;
}
