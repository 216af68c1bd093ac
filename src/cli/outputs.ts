import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../graph/errors.js';
import { UsageError } from './errors.js';

/**
 * Output paths: checked before a run (so a typo in --json fails in a second, not after an
 * hour of evaluation), and written atomically (a temporary file renamed into place), so an
 * interrupted run leaves no partial file.
 */

export interface OutputSpec {
  /** The flag, for messages: "--json". */
  flag: string;
  path: string | undefined;
  /** A file that will be written, or a folder that files will be written into. */
  kind: 'file' | 'dir';
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** Throw a UsageError naming the flag and the path when an output cannot be written there. */
export function checkOutputPaths(outputs: OutputSpec[]): void {
  for (const o of outputs) {
    if (!o.path || (o.path === '-' && o.kind === 'file')) continue;
    const abs = path.resolve(o.path);
    const fail = (why: string) => new UsageError(`${o.flag} ${o.path}: cannot write there (${why})`);
    const st = statOrUndefined(abs);
    if (st) {
      if (o.kind === 'file' && st.isDirectory()) throw fail('it is a directory');
      if (o.kind === 'file' && !st.isFile()) throw fail('it is not a regular file');
      if (o.kind === 'dir' && !st.isDirectory()) throw fail('it is a file, not a directory');
    }
    // the nearest folder that exists must be a writable directory (the rest is created)
    let dir = st && o.kind === 'dir' ? abs : path.dirname(abs);
    for (;;) {
      const d = statOrUndefined(dir);
      if (d) {
        if (!d.isDirectory()) throw fail(`${dir} is a file, not a directory`);
        try {
          accessSync(dir, constants.W_OK);
        } catch {
          throw fail(`${dir} is not writable`);
        }
        break;
      }
      const up = path.dirname(dir);
      if (up === dir) throw fail('no such folder');
      dir = up;
    }
  }
}

const pending = new Set<string>();
const STOP_SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

/**
 * SIGINT/SIGTERM/SIGHUP while a write is in progress: remove the temporary files, say so in one
 * line and exit with 128 + the signal number. At any other time no handler is installed, so the
 * signal ends the process at once (even in the middle of a long kernel on the main thread), and
 * there is nothing partial to remove: outputs only ever appear by rename.
 */
function onStopSignal(signal: keyof typeof STOP_SIGNALS): void {
  removePartialOutputs();
  process.stderr.write(`\nfaceflow: stopped by ${signal}; no partial output left\n`);
  process.exit(128 + STOP_SIGNALS[signal]);
}

const handlers = Object.fromEntries(Object.keys(STOP_SIGNALS).map((s) => [s, () => onStopSignal(s as keyof typeof STOP_SIGNALS)]));

function track(tmp: string): void {
  if (!pending.size) for (const [s, h] of Object.entries(handlers)) process.on(s, h);
  pending.add(tmp);
}

function untrack(tmp: string): void {
  pending.delete(tmp);
  if (!pending.size) for (const [s, h] of Object.entries(handlers)) process.off(s, h);
}

/** Remove the temporary files of writes in progress. */
export function removePartialOutputs(): void {
  for (const tmp of pending) rmSync(tmp, { force: true });
}

/** `-` as an output file (`--json -`): the data goes to stdout, and the command's messages stay on stderr. */
function writeStdout(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
}

/**
 * Write a file atomically (`-`: to stdout): to `<file>.partial-<pid>` first, then renamed over
 * `file`. `data` may be a function that writes the temporary file itself (a streamed output).
 * Errors are UsageErrors naming the file.
 */
export async function writeOutputFile(file: string, data: string | Uint8Array | ((tmp: string) => Promise<void>)): Promise<void> {
  if (file === '-' && typeof data !== 'function') return writeStdout(data);
  const tmp = `${file}.partial-${process.pid}`;
  track(tmp);
  try {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    await (typeof data === 'function' ? data(tmp) : writeFile(tmp, data));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    if (e instanceof UserError) throw e; // a streamed output's own refusal (merge: a duplicate row)
    throw new UsageError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    untrack(tmp);
  }
}
