import { writeFoldSplit } from '../../train/fold-split-nodejs.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { checkOutputPaths } from '../outputs.js';

export const splitHelp = `faceflow split <pairs.txt> --images <dir> --out <dir> [--train 1,2] [--test 3,4,5]

Splits an LFW-layout pairs set by folds, identity-disjoint: <out>/train/<identity>/ links the
training folds' images (a folder of identities for \`faceflow train --data\`), <out>/pairs-test.txt
holds the test folds' pairs (for \`faceflow eval --pairs\`), <out>/split.json says what went where;
identities of a test fold are dropped from training.

  --images <dir>          the pairs' images (required)
  --out <dir>             where the split is written (required)
  --train <folds>         training folds, comma-separated (default 1,2)
  --test <folds>          test folds (default 3,4,5)`;

function folds(value: string | undefined, flag: string, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const list = value.split(',').map(Number);
  if (!list.length || list.some((f) => !Number.isInteger(f) || f < 1)) throw new UsageError(`${flag} ${value}: expected fold numbers such as 1,2`);
  return list;
}

export async function splitCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    images: { type: 'string' }, out: { type: 'string' }, train: { type: 'string' }, test: { type: 'string' },
  }, splitHelp);
  const pairsFile = positionals[0];
  if (!pairsFile) throw new UsageError('split: missing <pairs.txt>');
  if (!values.images) throw new UsageError('split: missing --images <dir>');
  if (!values.out) throw new UsageError('split: missing --out <dir>');
  checkOutputPaths([{ flag: '--out', path: values.out, kind: 'dir' }]);
  const summary = await writeFoldSplit(pairsFile, values.images, values.out, folds(values.train, '--train', [1, 2]), folds(values.test, '--test', [3, 4, 5]));
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}
