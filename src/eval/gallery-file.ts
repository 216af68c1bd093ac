import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyGallery, parseGallery, serializeGallery, type Gallery } from './gallery';

/** Node-only gallery persistence: a JSON file, written atomically (temp file + rename). */

export async function loadGalleryFile(file: string, orEmpty?: { model: string; dim: number }): Promise<Gallery> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && orEmpty) return emptyGallery(orEmpty.model, orEmpty.dim);
    throw new Error(`${file}: cannot read the gallery (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseGallery(text, file);
}

export async function saveGalleryFile(file: string, gallery: Gallery): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, serializeGallery(gallery));
  await rename(tmp, file);
}
