import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { concatBytes } from '../util/bytes.js';
import { packageRoot } from '../util/package-root.js';
import { FileAccessError, FILE_SIZE_CAPS, fileKindOf, readBounded, tooLarge, type FileKind } from './file-policy.js';

/**
 * The file access policy in Node: which folders a pipeline may read, and the one bounded
 * reader every loader uses (image inputs, weights manifests and their .bin files, galleries,
 * pairs files, presets, model files). See file-policy.ts for the rule.
 */

/** A folder files may be read from. */
export interface AllowedRoot {
  path: string;
  /**
   * 'strict': the file's real path (symlinks resolved) must lie inside the folder's real path;
   * used for folders a preset brings (its own, the bundled presets). 'named': a folder or file
   * the user named on the command line; its own symlinks are the user's and are followed.
   */
  mode: 'strict' | 'named';
  /** Why it is allowed, for messages: "the preset's folder", "--allow-path", ... */
  why: string;
}

export interface FileAccessPolicy {
  /** Undefined: any folder (library use, tests); the size and file-type rules still hold. */
  roots?: AllowedRoot[];
  /** Called with the real path of every file opened, for tests that check no read left the roots. */
  onOpen?: (realPath: string) => void;
}

/** The bundled presets folder (presets/ at the repository root, or in the installed package). */
export const BUNDLED_PRESETS_DIR = path.join(packageRoot(import.meta.url), 'presets') + path.sep;

let current: FileAccessPolicy = {};

/** The process's policy: the CLI sets it once from the preset and its flags; worker threads get a copy. */
export function setFileAccessPolicy(policy: FileAccessPolicy): void {
  current = policy;
}

export function getFileAccessPolicy(): FileAccessPolicy {
  return current;
}

/** The roots in a form that crosses to worker threads (no functions). */
export function serializablePolicy(policy: FileAccessPolicy = current): FileAccessPolicy {
  return policy.roots ? { roots: policy.roots.map((r) => ({ ...r })) } : {};
}

/**
 * The policy for a preset run: the preset's folder, the bundled presets, every --allow-path,
 * and the files and folders the user named on the command line (inputs, image folders, pairs
 * files, galleries, --param file values).
 */
export function presetRunPolicy(opts: { presetFile?: string; allowPaths?: string[]; named?: (string | undefined)[] }): FileAccessPolicy {
  const roots: AllowedRoot[] = [];
  if (opts.presetFile) roots.push({ path: path.dirname(path.resolve(opts.presetFile)), mode: 'strict', why: "the preset's folder" });
  roots.push({ path: BUNDLED_PRESETS_DIR, mode: 'strict', why: 'the bundled presets' });
  for (const p of opts.allowPaths ?? []) roots.push({ path: path.resolve(p), mode: 'named', why: '--allow-path' });
  for (const p of opts.named ?? []) if (p) roots.push({ path: path.resolve(p), mode: 'named', why: 'named on the command line' });
  return { roots };
}

function inside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realOrSelf(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return p;
  }
}

function describeRoots(roots: AllowedRoot[]): string {
  const whys = [...new Set(roots.map((r) => r.why))];
  return whys.join(', ');
}

/** Where the file really is, after the policy's folder rule; throws FileAccessError when it is outside every root. */
async function checkRoots(file: string, abs: string, real: string, policy: FileAccessPolicy): Promise<void> {
  const roots = policy.roots;
  if (!roots) return;
  for (const root of roots) {
    if (root.mode === 'named' && inside(abs, root.path)) return;
    if (inside(real, await realOrSelf(root.path))) return;
  }
  const viaLink = roots.some((r) => inside(abs, r.path));
  throw new FileAccessError(file, 'outside', viaLink
    ? `refused: a symbolic link leading out of the folders a preset may read (${describeRoots(roots)})`
    : `refused: outside the folders a preset may read (${describeRoots(roots)}); allow a folder with --allow-path`);
}

function fileType(st: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Check a file against the policy without reading it: inside an allowed folder, a regular
 * file, no larger than its kind's cap. Returns its real path and size.
 */
export async function checkFileAccess(file: string, kind: FileKind = fileKindOf(file), policy: FileAccessPolicy = current): Promise<{ real: string; size: number }> {
  const abs = path.resolve(file);
  let real: string;
  try {
    real = await realpath(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // a missing file is reported only when it is somewhere it may be read from
    await checkRoots(file, abs, abs, policy);
    throw new FileAccessError(file, code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable', code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot read (${code ?? 'error'})`);
  }
  await checkRoots(file, abs, real, policy);
  const st = await stat(real);
  if (!st.isFile()) throw new FileAccessError(file, 'not-regular', `refused: ${fileType(st)}, expected a regular file`);
  if (st.size > FILE_SIZE_CAPS[kind]) throw tooLarge(file, kind, st.size);
  return { real, size: st.size };
}

/**
 * Read a whole file under the policy. The checks run before any byte is read; the read itself
 * is bounded too (a file that grows, or a /proc file that reports size 0, stops at the cap).
 */
export async function readFileWithPolicy(file: string, kind: FileKind = fileKindOf(file), policy: FileAccessPolicy = current): Promise<Uint8Array> {
  if (/^https?:\/\//i.test(file)) return fetchWithCap(file, kind);
  const { real } = await checkFileAccess(file, kind, policy);
  const cap = FILE_SIZE_CAPS[kind];
  let fh;
  try {
    fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    throw new FileAccessError(file, 'unreadable', `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new FileAccessError(file, 'not-regular', `refused: ${fileType(st)}, expected a regular file`);
    if (st.size > cap) throw tooLarge(file, kind, st.size);
    policy.onOpen?.(real);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(Math.max(st.size - total, 64 * 1024), cap + 1 - total);
      if (want <= 0) throw tooLarge(file, kind, undefined);
      const buf = new Uint8Array(want);
      const { bytesRead } = await fh.read(buf, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === want ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > cap) throw tooLarge(file, kind, undefined);
    }
    return concatBytes(chunks);
  } catch (e) {
    if (e instanceof FileAccessError) throw e;
    throw new FileAccessError(file, 'unreadable', `cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await fh.close();
  }
}

/**
 * An http(s) URL (a model the user serves, say): the folder rule is about local files and does
 * not apply; the size cap of the kind does, on the declared length and while reading.
 */
async function fetchWithCap(url: string, kind: FileKind): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new FileAccessError(url, 'unreadable', `cannot fetch (${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message})`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new FileAccessError(url, res.status === 404 ? 'missing' : 'unreadable', `HTTP ${res.status}`);
  }
  return readBounded(res, url, kind);
}

/**
 * A text file the user named on the command line (a pairs file, a labels file), read whole:
 * the user's choice of folder stands, but only a regular file no larger than its kind's cap is read.
 */
export async function readUserTextFile(file: string, kind: FileKind): Promise<string> {
  return new TextDecoder().decode(await readFileWithPolicy(file, kind, { roots: undefined }));
}
