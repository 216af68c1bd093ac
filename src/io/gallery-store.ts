import { parseGallery, serializeGallery, type Gallery } from '../eval/gallery.js';
import { dbDelete, dbGet, dbGetAll, dbPut, GALLERIES } from './lab-db.js';

/**
 * Identification galleries saved in this browser (IndexedDB, the page and the worker alike).
 * A pipeline names one as `idb:galleries/<name>` (e.g. in the identify node's galleryFile);
 * the browser HostIO reads such URLs from here.
 */
export const GALLERY_URL_PREFIX = 'idb:galleries/';

export interface StoredGallery {
  name: string;
  savedAt: number;
  gallery: Gallery;
}

export const galleryUrl = (name: string) => `${GALLERY_URL_PREFIX}${encodeURIComponent(name)}`;

export function galleryNameFromUrl(url: string): string | undefined {
  return url.startsWith(GALLERY_URL_PREFIX) ? decodeURIComponent(url.slice(GALLERY_URL_PREFIX.length)) : undefined;
}

export async function saveGallery(name: string, gallery: Gallery): Promise<StoredGallery> {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('give the gallery a name');
  // Round-trip through the checked format, so only valid galleries are stored.
  const record = { name: trimmed, savedAt: Date.now(), gallery: parseGallery(serializeGallery(gallery), trimmed) };
  await dbPut(GALLERIES, record);
  return record;
}

export async function listGalleries(): Promise<StoredGallery[]> {
  return (await dbGetAll<StoredGallery>(GALLERIES)).sort((a, b) => a.name.localeCompare(b.name));
}

export async function loadGallery(name: string): Promise<Gallery> {
  const rec = await dbGet<StoredGallery>(GALLERIES, name);
  if (!rec) throw new Error(`gallery “${name}” is not saved in this browser (save one from an enroll node)`);
  return rec.gallery;
}

export async function deleteGallery(name: string): Promise<void> {
  await dbDelete(GALLERIES, name);
}

/** The bytes of a gallery URL, as HostIO.readFile returns them. */
export async function readGalleryUrl(url: string): Promise<Uint8Array> {
  const name = galleryNameFromUrl(url);
  if (name === undefined) throw new Error(`${url}: not a gallery URL`);
  return new TextEncoder().encode(serializeGallery(await loadGallery(name)));
}
