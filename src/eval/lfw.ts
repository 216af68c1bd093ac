import { UserError } from '../graph/errors.js';

/**
 * LFW "View 2" pairs files: a header `FOLDS<TAB>N` (or just `N` for one fold), then for
 * each fold N matched lines `Name<TAB>i<TAB>j` followed by N mismatched lines
 * `Name1<TAB>i<TAB>Name2<TAB>j`. Images live at `Name/Name_%04d.<ext>`.
 */

export interface PairImage {
  identity: string;
  /** 1-based image number as written in pairs.txt. */
  number: number;
}

export interface VerificationPair {
  a: PairImage;
  b: PairImage;
  same: boolean;
  /** 1-based fold. */
  fold: number;
  /** 1-based line in the pairs file, for error messages. */
  line: number;
}

export interface PairsFile {
  folds: number;
  pairsPerFold: number;
  pairs: VerificationPair[];
}

/** A malformed pairs file; the message names the file and line. */
export class PairsFileError extends UserError {
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'PairsFileError';
  }
}

const NAME = /^[^\s/\\]+$/;

/**
 * A field quoted in an error message only when it is a short plain token (`"x" `): messages
 * never print a line of the file, nor a long field (a preset that pointed a pairs file at a
 * password file must not get its first line back).
 */
function quoteToken(field: string): string {
  return /^[\w.-]{1,16}$/.test(field) ? `"${field}" ` : '';
}

function parseNumber(field: string, file: string, line: number, what: string): number {
  if (!/^\d+$/.test(field)) throw new PairsFileError(file, line, `${what} ${quoteToken(field)}is not a positive whole number`);
  const n = Number(field);
  if (n < 1) throw new PairsFileError(file, line, `${what} must be >= 1, got ${n}`);
  return n;
}

function parseName(field: string, file: string, line: number): string {
  if (!NAME.test(field) || field === '.' || field === '..') throw new PairsFileError(file, line, `an identity name is empty, ".", ".." or contains "/" or "\\"`);
  return field;
}

/** Parse pairs.txt text. Blank trailing lines are ignored; anything else out of place is an error naming its line. */
export function parsePairs(text: string, file = 'pairs.txt'): PairsFile {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (!lines.length) throw new PairsFileError(file, 1, 'empty file');
  const header = lines[0].trim().split(/\s+/);
  let folds: number;
  let perFold: number;
  if (header.length === 2) {
    folds = parseNumber(header[0], file, 1, 'fold count');
    perFold = parseNumber(header[1], file, 1, 'pairs per fold');
  } else if (header.length === 1) {
    folds = 1;
    perFold = parseNumber(header[0], file, 1, 'pair count');
  } else {
    throw new PairsFileError(file, 1, `header should be "FOLDS<TAB>N", got ${header.length} fields`);
  }
  const expected = 1 + folds * perFold * 2;
  if (lines.length !== expected) {
    throw new PairsFileError(file, Math.min(lines.length, expected) + (lines.length < expected ? 1 : 0),
      `the header promises ${folds} fold(s) of ${perFold} matched + ${perFold} mismatched pairs (${expected - 1} lines), but the file has ${lines.length - 1}`);
  }
  const pairs: VerificationPair[] = [];
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const k = i - 1;
    const fold = Math.floor(k / (2 * perFold)) + 1;
    const same = k % (2 * perFold) < perFold;
    const f = lines[i].trim().split(/\s+/);
    if (same) {
      if (f.length !== 3) throw new PairsFileError(file, lineNo, `expected a matched pair "Name<TAB>i<TAB>j" (fold ${fold}), got ${f.length} field(s)`);
      const name = parseName(f[0], file, lineNo);
      pairs.push({ a: { identity: name, number: parseNumber(f[1], file, lineNo, 'image number') }, b: { identity: name, number: parseNumber(f[2], file, lineNo, 'image number') }, same, fold, line: lineNo });
    } else {
      if (f.length !== 4) throw new PairsFileError(file, lineNo, `expected a mismatched pair "Name1<TAB>i<TAB>Name2<TAB>j" (fold ${fold}), got ${f.length} field(s)`);
      pairs.push({
        a: { identity: parseName(f[0], file, lineNo), number: parseNumber(f[1], file, lineNo, 'image number') },
        b: { identity: parseName(f[2], file, lineNo), number: parseNumber(f[3], file, lineNo, 'image number') },
        same, fold, line: lineNo,
      });
    }
  }
  return { folds, pairsPerFold: perFold, pairs };
}

/** `Name/Name_0001` (no extension): the image's path relative to the images folder, without its extension. */
export function pairImageStem(p: PairImage): string {
  return `${p.identity}/${p.identity}_${String(p.number).padStart(4, '0')}`;
}
