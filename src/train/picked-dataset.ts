import { splitIdentities } from './session.js';

/**
 * A training set picked in the app: files of a folder laid out as <identity>/<image>.jpg|png
 * (paths relative to the picked folder). Pure: the UI lists and checks with it before it hands
 * the images to the worker.
 */
export const TRAIN_IMAGE_FILE = /\.(jpe?g|png)$/i;

export interface TrainingImage<F> {
  identity: string;
  /** The path inside the picked folder, e.g. "Aaron/Aaron_0001.jpg". */
  name: string;
  file: F;
}

/** Images directly inside an identity folder (deeper paths use their first folder as the identity; top-level files are ignored). */
export function trainingImages<F>(files: { path: string; file: F }[]): TrainingImage<F>[] {
  return files
    .filter((f) => TRAIN_IMAGE_FILE.test(f.path) && f.path.includes('/'))
    .map((f) => ({ identity: f.path.slice(0, f.path.indexOf('/')), name: f.path, file: f.file }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Images per identity. */
export function identityCounts(images: { identity: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of images) counts.set(i.identity, (counts.get(i.identity) ?? 0) + 1);
  return counts;
}

const usable = (images: { identity: string }[]) => [...identityCounts(images).values()].filter((c) => c >= 2).length;

/**
 * Why this set cannot train (one line), or undefined when it can: triplets need at least two
 * identities with two or more images each, in the training part left after the seeded
 * validation split (the same split the worker and `faceflow train` make).
 */
export function trainingSetProblem(images: { identity: string }[], valFraction: number, seed: number): string | undefined {
  if (!images.length) return 'no images: pick a folder with one sub-folder of .jpg/.png images per identity';
  const ids = identityCounts(images).size;
  const n = usable(images);
  if (n < 2) return `the folder needs at least 2 identities with 2 or more images each; it has ${n} (of ${ids} identity folder${ids === 1 ? '' : 's'})`;
  if (!(valFraction > 0 && valFraction < 1)) return `validation fraction ${valFraction}: expected between 0 and 1`;
  const { train, val } = splitIdentities(images, valFraction, seed);
  const t = usable(train);
  if (t < 2) return `after holding out ${identityCounts(val).size} identit${identityCounts(val).size === 1 ? 'y' : 'ies'} for validation, only ${t} training identit${t === 1 ? 'y has' : 'ies have'} 2 or more images (2 needed): add identities or lower the validation fraction`;
  return undefined;
}
