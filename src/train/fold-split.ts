import { pairImageStem, type PairsFile } from '../eval/lfw.js';

/**
 * Identity-disjoint train/test splits of an LFW View-2 pairs set, so that modules trained on
 * cached vectors never see an identity of the folds they are evaluated on.
 */
export interface FoldSplit {
  /** Identities of the training folds that appear in no test fold, sorted. */
  trainIdentities: string[];
  /** Images (`Name/Name_0001`, no extension) the training folds' pairs name, of those identities. */
  trainImages: string[];
  /** The test folds as a pairs.txt (renumbered 1..k). */
  testPairsText: string;
  /** Identities shared by training and test folds (dropped from training); 0 for LFW's folds. */
  overlap: string[];
}

function pairLine(p: PairsFile['pairs'][number]): string {
  return p.same ? `${p.a.identity}\t${p.a.number}\t${p.b.number}` : `${p.a.identity}\t${p.a.number}\t${p.b.identity}\t${p.b.number}`;
}

/** Split by folds (1-based): train on the identities of `trainFolds`, test on `testFolds`. Pure. */
export function foldSplit(pairs: PairsFile, trainFolds: number[], testFolds: number[]): FoldSplit {
  for (const f of [...trainFolds, ...testFolds]) {
    if (!Number.isInteger(f) || f < 1 || f > pairs.folds) throw new Error(`fold ${f}: the pairs file has folds 1..${pairs.folds}`);
  }
  if (trainFolds.some((f) => testFolds.includes(f))) throw new Error('a fold cannot be both a training and a test fold');
  if (!testFolds.length) throw new Error('no test fold');
  const inFolds = (folds: number[]) => pairs.pairs.filter((p) => folds.includes(p.fold));
  const testIds = new Set(inFolds(testFolds).flatMap((p) => [p.a.identity, p.b.identity]));
  const trainPairs = inFolds(trainFolds);
  const ids = new Set(trainPairs.flatMap((p) => [p.a.identity, p.b.identity]));
  const overlap = [...ids].filter((id) => testIds.has(id)).sort();
  const images = new Set(trainPairs.flatMap((p) => [p.a, p.b]).filter((im) => !testIds.has(im.identity)).map(pairImageStem));
  const lines = [`${testFolds.length}\t${pairs.pairsPerFold}`];
  for (const f of testFolds) {
    const fold = pairs.pairs.filter((p) => p.fold === f);
    lines.push(...fold.filter((p) => p.same).map(pairLine), ...fold.filter((p) => !p.same).map(pairLine));
  }
  return {
    trainIdentities: [...ids].filter((id) => !testIds.has(id)).sort(),
    trainImages: [...images].sort(),
    testPairsText: `${lines.join('\n')}\n`,
    overlap,
  };
}
