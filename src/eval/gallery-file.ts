import { mkdir, rename, writeFile } from 'node:fs/promises';
import { UserError } from '../graph/errors.js';
import { FileAccessError } from '../io/file-policy.js';
import { readFileWithPolicy } from '../io/file-policy-nodejs.js';
import path from 'node:path';
import { emptyGallery, parseGallery, serializeGallery, type Gallery } from './gallery.js';

/** Node-only gallery persistence: a JSON file, written atomically (temp file + rename). */

export async function loadGalleryFile(file: string, orEmpty?: { model: string; dim: number }): Promise<Gallery> {
  let text: string;
  try {
    // named by the user: no folder rule, but a regular file under the gallery size cap
    text = new TextDecoder().decode(await readFileWithPolicy(file, 'gallery', { roots: undefined }));
  } catch (e) {
    if (e instanceof FileAccessError && e.rule === 'missing') {
      if (orEmpty) return emptyGallery(orEmpty.model, orEmpty.dim);
      throw new UserError(`${file}: cannot read the gallery (ENOENT)`);
    }
    throw e;
  }
  return parseGallery(text, file);
}

export async function saveGalleryFile(file: string, gallery: Gallery): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, serializeGallery(gallery));
  await rename(tmp, file);
}
