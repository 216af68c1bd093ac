import { fileRunItems, readIdentityFolder } from '../../eval/datasets-nodejs.js';
import { embedItems, findEmbeddingsOutput } from '../../eval/embed-items.js';
import { enroll } from '../../eval/gallery.js';
import { loadGalleryFile, saveGalleryFile } from '../../eval/gallery-file.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { loadPresetRun, PIPELINE_HELP, PIPELINE_OPTIONS } from '../pipeline-args.js';
import { progressBar } from '../progress.js';
import { checkOutputPaths } from '../outputs.js';

export const enrollHelp = `faceflow enroll <preset.json> --images <dir> --gallery <file.json> [options]

Builds (or adds to) a gallery: runs the preset on <dir>/<Identity>/<image>.{jpg,png} and stores,
per identity, the mean of its images' unit embeddings (renormalised). Images with no detected
face are skipped (a centre-crop fallback is not enrolled). An existing gallery file is extended;
an identity enrolled again has its template merged, weighted by image counts.

  --images <dir>          folder of identities (required)
  --gallery <file.json>   the gallery to create or extend (required)
  --per-identity <n>      enroll at most the first n images (by name) of each identity
${PIPELINE_HELP}`;

export async function enrollCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandArgs(argv, {
    images: { type: 'string' },
    gallery: { type: 'string' },
    'per-identity': { type: 'string' },
    ...PIPELINE_OPTIONS,
  }, enrollHelp);
  const presetFile = positionals[0];
  if (!presetFile) throw new UsageError('enroll: missing <preset.json>');
  if (!values.images) throw new UsageError('enroll: missing --images <dir>');
  if (!values.gallery) throw new UsageError('enroll: missing --gallery <file.json>');
  const perIdentity = values['per-identity'] === undefined ? Infinity : Number(values['per-identity']);
  if (!(Number.isInteger(perIdentity) && perIdentity > 0) && perIdentity !== Infinity) throw new UsageError(`--per-identity ${values['per-identity']}: expected a whole number >= 1`);
  checkOutputPaths([{ flag: '--gallery', path: values.gallery, kind: 'file' }]);
  const { pipeline, plan, run } = await loadPresetRun(presetFile, values);
  try {
    findEmbeddingsOutput(plan);
  } catch (e) {
    throw new UsageError(`${presetFile}: ${(e as Error).message}`);
  }
  let images;
  try {
    images = await readIdentityFolder(values.images);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const counts = new Map<string, number>();
  images = images.filter((im) => {
    const n = counts.get(im.identity) ?? 0;
    counts.set(im.identity, n + 1);
    return n < perIdentity;
  });
  const items = await fileRunItems(images);
  const embedded = await embedItems(pipeline, plan, items, { ...run, onItems: progressBar('enroll') });

  const groups = new Map<string, { names: string[]; vectors: Float32Array[]; twins: ArrayLike<number>[] }>();
  let twinWeight: number | undefined;
  const skipped: { image: string; reason: string }[] = [];
  embedded.items.forEach((e, i) => {
    const im = images[i];
    if (e.error) skipped.push({ image: im.name, reason: e.error });
    else if (!e.embedding || e.failedDetection) skipped.push({ image: im.name, reason: 'no face detected' });
    else {
      const g = groups.get(im.identity) ?? { names: [], vectors: [], twins: [] };
      g.names.push(im.name);
      g.vectors.push(e.embedding);
      if (e.twin) g.twins.push(e.twin);
      twinWeight ??= e.twinWeight;
      groups.set(im.identity, g);
    }
  });
  if (!groups.size) throw new UsageError(`${values.images}: no face found in any of ${images.length} image(s); nothing enrolled`);
  let gallery;
  try {
    gallery = await loadGalleryFile(values.gallery, { model: embedded.model, dim: embedded.dim });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (gallery.model !== embedded.model || gallery.dim !== embedded.dim) {
    throw new UsageError(`${values.gallery} holds ${gallery.dim}-D ${gallery.model} templates; this preset makes ${embedded.dim}-D ${embedded.model} embeddings`);
  }
  for (const [name, g] of groups) gallery = enroll(gallery, name, g.vectors, g.names, twinWeight === undefined ? undefined : { vectors: g.twins, weight: twinWeight });
  await saveGalleryFile(values.gallery, gallery);
  for (const s of skipped) process.stderr.write(`faceflow enroll: skipped ${s.image}: ${s.reason}\n`);
  process.stderr.write(
    `faceflow enroll: ${images.length - skipped.length}/${images.length} image(s) of ${groups.size} identit${groups.size === 1 ? 'y' : 'ies'} enrolled; ` +
      `${values.gallery} now holds ${gallery.identities.length} ${gallery.model} identit${gallery.identities.length === 1 ? 'y' : 'ies'}\n`,
  );
  return 0;
}
