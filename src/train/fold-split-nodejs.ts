import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parsePairs } from '../eval/lfw.js';
import { foldSplit } from './fold-split.js';
import { readUserTextFile } from '../io/file-policy-nodejs.js';

/**
 * Node only: write an identity-disjoint split of an LFW-layout pairs set:
 *   <out>/train/<identity>/<image>   symlinks to the training folds' images (a folder of identities for `faceflow train --data`)
 *   <out>/pairs-test.txt             the test folds (for `faceflow eval --pairs ... --images <images>`)
 *   <out>/split.json                 what went where
 * (`faceflow split`).
 */
export async function writeFoldSplit(pairsFile: string, imagesDir: string, outDir: string, trainFolds: number[], testFolds: number[]) {
  const pairs = parsePairs(await readUserTextFile(pairsFile, 'pairs'), pairsFile);
  const split = foldSplit(pairs, trainFolds, testFolds);
  const trainDir = path.join(outDir, 'train');
  await rm(trainDir, { recursive: true, force: true });
  let linked = 0;
  const listings = new Map<string, string[]>();
  for (const stem of split.trainImages) {
    const identity = stem.split('/')[0];
    if (!listings.has(identity)) listings.set(identity, await readdir(path.join(imagesDir, identity)));
    const base = path.posix.basename(stem);
    const file = listings.get(identity)!.find((f) => path.parse(f).name === base);
    if (!file) throw new Error(`${pairsFile}: image ${stem} not found in ${imagesDir}`);
    await mkdir(path.join(trainDir, identity), { recursive: true });
    await symlink(path.resolve(imagesDir, identity, file), path.join(trainDir, identity, file));
    linked++;
  }
  await writeFile(path.join(outDir, 'pairs-test.txt'), split.testPairsText);
  const summary = {
    pairs: pairsFile, images: imagesDir, train_folds: trainFolds, test_folds: testFolds,
    train_identities: split.trainIdentities.length, train_images: linked, overlap_dropped: split.overlap,
  };
  await writeFile(path.join(outDir, 'split.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
