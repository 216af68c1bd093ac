import { concatBytes } from '../util/bytes.js';
import { UserError } from '../graph/errors.js';

/**
 * The file access policy, the part shared by Node and the browser: what kinds of files a
 * pipeline reads, how large each may be, and the errors. The Node side (which folders, regular
 * files only, bounded reads) is in file-policy-nodejs.ts; the browser's in browser-io.ts.
 *
 * The rule: a preset may read files only under its own folder, the bundled presets, or a folder
 * the user allowed (`--allow-path`); in the browser only same-origin URLs or files the user picked.
 * Only regular files (no devices, FIFOs, sockets, or symlinks leading out), each no larger than
 * the cap of its kind, checked before reading. Messages name the file and the rule, never the
 * file's contents.
 */

export type FileKind = 'preset' | 'weights' | 'weights-data' | 'gallery' | 'pairs' | 'image' | 'model' | 'other';

const MB = 1024 * 1024;

/** Largest file of each kind that is read at all. */
export const FILE_SIZE_CAPS: Record<FileKind, number> = {
  preset: 16 * MB,
  weights: 16 * MB, // a weights manifest (JSON)
  'weights-data': 512 * MB, // the .bin next to it
  gallery: 512 * MB,
  pairs: 64 * MB,
  image: 256 * MB,
  model: 512 * MB,
  other: 256 * MB,
};

const KIND_WORDS: Record<FileKind, string> = {
  preset: 'presets',
  weights: 'weights manifests',
  'weights-data': 'weights data',
  gallery: 'galleries',
  pairs: 'pairs files',
  image: 'images',
  model: 'model files',
  other: 'files',
};

/** The kind of a file from its name, when the caller does not say. */
export function fileKindOf(file: string): FileKind {
  const f = file.toLowerCase().replace(/[?#].*$/, '');
  if (/\.(jpe?g|png)$/.test(f)) return 'image';
  if (/\.bin$/.test(f)) return 'weights-data';
  if (/\.(tflite|onnx)$/.test(f)) return 'model';
  if (/\.txt$/.test(f)) return 'pairs';
  if (/\.json$/.test(f)) return 'weights';
  return 'other';
}

/** A read refused by the policy; `rule` says which rule, for tests and logs. */
export class FileAccessError extends UserError {
  constructor(readonly file: string, readonly rule: 'outside' | 'not-regular' | 'too-large' | 'missing' | 'unreadable' | 'origin' | 'manifest', reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'FileAccessError';
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * MB) return `${(n / 1024 / MB).toFixed(1)} GB`;
  if (n >= MB) return `${(n / MB).toFixed(n >= 10 * MB ? 0 : 1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${n} bytes`;
}

export function tooLarge(file: string, kind: FileKind, size: number | undefined): FileAccessError {
  const cap = FILE_SIZE_CAPS[kind];
  return new FileAccessError(file, 'too-large', `refused: ${size === undefined ? 'larger than' : `${formatBytes(size)}, over`} the ${formatBytes(cap)} limit for ${KIND_WORDS[kind]}`);
}

/** A fetch response's body, read up to the cap of its kind (the declared length is checked first). */
export async function readBounded(res: Response, what: string, kind: FileKind): Promise<Uint8Array> {
  const cap = FILE_SIZE_CAPS[kind];
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > cap) throw tooLarge(what, kind, declared);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel();
      throw tooLarge(what, kind, undefined);
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}


/**
 * Normalise a path or URL path: resolve `.` and `..` segments and repeated slashes, keeping a
 * scheme prefix (`idb:`, `http://host`) as it is. `..` above the start is kept, so callers can
 * see that a reference climbs out.
 */
export function normalizeRef(ref: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:(?:\/\/[^/]*)?)?(.*)$/.exec(ref)!;
  const prefix = m[1] ?? '';
  const rest = m[2].replace(/\\/g, '/');
  const absolute = rest.startsWith('/');
  const out: string[] = [];
  for (const seg of rest.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (seg === '..' && absolute) continue;
    else out.push(seg);
  }
  return prefix + (absolute ? '/' : '') + out.join('/');
}

/**
 * A reader for a weights manifest and its data files that lets the manifest name data files
 * only inside its own folder (no absolute paths, URLs or `..` leading out) and checks the
 * manifest's shape before any data file is read. Wraps any reader (HostIO.readFile).
 */
export function confineWeightsReads(read: (file: string, kind?: FileKind) => Promise<Uint8Array>, manifestPath: string): (file: string) => Promise<Uint8Array> {
  const dir = manifestPath.includes('/') ? manifestPath.slice(0, manifestPath.lastIndexOf('/') + 1) : '';
  const normDir = normalizeRef(dir || '.');
  return async (file) => {
    if (file === manifestPath) {
      const bytes = await read(file, 'weights');
      checkWeightsManifest(bytes, file);
      return bytes;
    }
    const rel = file.startsWith(dir) ? file.slice(dir.length) : undefined;
    const norm = normalizeRef(file);
    const inside = rel !== undefined && rel !== '' && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(rel) && !rel.startsWith('/') && !rel.startsWith('\\') &&
      (dir === '' ? !norm.startsWith('..') : norm.startsWith(normDir.endsWith('/') ? normDir : `${normDir}/`));
    if (!inside) throw new FileAccessError(manifestPath, 'manifest', `refused: the manifest names a data file outside its own folder (${JSON.stringify(rel ?? file)})`);
    return read(file, 'weights-data');
  };
}

/** Throw a FileAccessError unless the bytes are a JSON weights manifest whose groups list data file paths. */
function checkWeightsManifest(bytes: Uint8Array, file: string): void {
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new FileAccessError(file, 'manifest', 'not a faceflow weights file (not valid JSON)');
  }
  const groups = (m as { weightsManifest?: unknown } | null)?.weightsManifest;
  const ok = m !== null && typeof m === 'object' && !Array.isArray(m) && Array.isArray(groups) &&
    groups.every((g) => g !== null && typeof g === 'object' && Array.isArray((g as { paths?: unknown }).paths) && (g as { paths: unknown[] }).paths.every((p) => typeof p === 'string' && p !== ''));
  if (!ok) throw new FileAccessError(file, 'manifest', 'not a faceflow weights file (expected "weightsManifest": [{ "paths": [...] }])');
}
