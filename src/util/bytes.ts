/** Typed-array chunks joined into one array made by `make` (one chunk is returned as it is). */
export function concatArrays<T extends Uint8Array | Float32Array>(chunks: T[], make: (length: number) => T): T {
  if (chunks.length === 1) return chunks[0];
  const out = make(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Byte chunks joined into one array (one chunk is returned as it is). */
export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  return concatArrays(chunks, (n) => new Uint8Array(n));
}
