import type { z } from 'zod';

/** "nodes[2].id: must start with a letter" from a zod issue. */
export function formatZodIssue(issue: z.core.$ZodIssue, prefix = ''): string {
  const path = issue.path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), prefix);
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * The project's one user-error type: a mistake in what the user gave (a file, a preset, an
 * argument, an image). The CLI prints its message in one line and exits with code 2; anything
 * else is a bug. Messages name the file and the rule broken, never the file's contents.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** True when `key` is an own property of `obj` (never an inherited one such as `toString` or `__proto__`). */
export function hasOwn(obj: object | undefined | null, key: string): boolean {
  return obj != null && Object.hasOwn(obj, key);
}

/** `obj[key]` when `key` is an own property, else undefined: for looking up names that come from a document. */
export function ownValue<T>(obj: Record<string, T> | undefined | null, key: string): T | undefined {
  return obj != null && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * A JSON.parse error without the text it quotes: V8 puts a snippet of the input in its
 * messages (`Unexpected token 'r', "root:x:0:0"... is not valid JSON`), which would print part
 * of whatever file was read. Keeps the position only.
 */
export function jsonErrorWithoutContents(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const pos = /position (\d+)/.exec(msg);
  if (/Unexpected end of JSON input/i.test(msg)) return 'not valid JSON (it ends too early)';
  return pos ? `not valid JSON (at character ${Number(pos[1]) + 1})` : 'not valid JSON';
}
