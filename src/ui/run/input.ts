import { hashBytes } from '../../runtime/hash';
import { lab, toast } from '../state/store';

/** Make a picked or dropped image file the run's input (its content hash keys the cache). */
export async function openImageFile(file: File): Promise<void> {
  if (file.size > 200 * 1024 * 1024) {
    toast(`${file.name}: file is larger than 200 MB`, 'error');
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const prev = lab.get().input;
  if (prev.kind === 'file') URL.revokeObjectURL(prev.url);
  lab.set({ input: { kind: 'file', name: file.name, id: `file:${hashBytes(bytes)}`, bytes, url: URL.createObjectURL(file) } });
}
