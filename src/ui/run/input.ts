import { dbGet, dbPut, INPUTS } from '../../io/lab-db.js';
import { hashBytes } from '../../util/hash.js';
import { lab, toast } from '../state/store.js';

interface StoredInput {
  key: 'current';
  name: string;
  type: string;
  bytes: Uint8Array;
}

function setFileInput(name: string, bytes: Uint8Array, type: string): void {
  const prev = lab.get().input;
  if (prev.kind === 'file') URL.revokeObjectURL(prev.url);
  lab.set({ input: { kind: 'file', name, id: `file:${hashBytes(bytes)}`, bytes, url: URL.createObjectURL(new Blob([bytes as BlobPart], { type })) } });
}

/** Make a picked or dropped image file the run's input (its content hash keys the cache); kept in IndexedDB for the next reload. */
export async function openImageFile(file: File): Promise<void> {
  if (file.size > 200 * 1024 * 1024) {
    toast(`${file.name}: file is larger than 200 MB`, 'error');
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  setFileInput(file.name, bytes, file.type);
  try {
    await dbPut<StoredInput>(INPUTS, { key: 'current', name: file.name, type: file.type, bytes });
  } catch (e) {
    toast(`${file.name}: not kept for the next visit (${(e as Error).message})`, 'error');
  }
}

/** After a reload: bring back the image the user had picked, unless they chose another input meanwhile. */
export async function restoreInputImage(): Promise<void> {
  const before = lab.get().input;
  const stored = await dbGet<StoredInput>(INPUTS, 'current').catch(() => undefined);
  if (!stored || lab.get().input !== before) return;
  setFileInput(stored.name, new Uint8Array(stored.bytes), stored.type);
}
