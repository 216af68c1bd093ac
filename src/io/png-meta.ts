import { concatBytes } from '../util/bytes.js';
/**
 * Pipeline JSON inside a PNG: an iTXt chunk (UTF-8, uncompressed) with the keyword below,
 * inserted before IEND. Readers also accept a tEXt chunk with the same keyword. Pure byte
 * functions, usable in the browser and in Node.
 */
export const PIPELINE_KEYWORD = 'faceflow-pipeline';
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

interface Chunk {
  type: string;
  /** Offset of the chunk's length field. */
  at: number;
  data: Uint8Array;
}

function chunks(png: Uint8Array): Chunk[] {
  if (!isPng(png)) throw new Error('not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const len = view.getUint32(at);
    if (at + 12 + len > png.length) throw new Error('truncated PNG chunk');
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    out.push({ type, at, data: png.subarray(at + 8, at + 8 + len) });
    at += 12 + len;
    if (type === 'IEND') break;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** The PNG with `text` stored under `keyword` (an existing chunk with that keyword is replaced). */
export function embedPngText(png: Uint8Array, text: string, keyword = PIPELINE_KEYWORD): Uint8Array {
  const list = chunks(png);
  const iend = list.find((c) => c.type === 'IEND');
  if (!iend) throw new Error('PNG without IEND');
  const enc = new TextEncoder();
  // iTXt: keyword \0, compression flag 0, method 0, language tag "" \0, translated keyword "" \0, text.
  const body = [...enc.encode(keyword), 0, 0, 0, 0, 0, ...enc.encode(text)];
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  for (const c of list) {
    if (c.type === 'IEND') break;
    if ((c.type === 'iTXt' || c.type === 'tEXt') && readKeyword(c.data) === keyword) continue;
    parts.push(png.subarray(c.at, c.at + 12 + c.data.length));
  }
  parts.push(chunk('iTXt', Uint8Array.from(body)), chunk('IEND', new Uint8Array(0)));
  return concatBytes(parts);
}

function readKeyword(data: Uint8Array): string {
  const z = data.indexOf(0);
  return new TextDecoder('latin1').decode(data.subarray(0, z < 0 ? data.length : z));
}

/** The text stored under `keyword` (iTXt uncompressed, or tEXt), or undefined. */
export function readPngText(png: Uint8Array, keyword = PIPELINE_KEYWORD): string | undefined {
  for (const c of chunks(png)) {
    if (c.type !== 'iTXt' && c.type !== 'tEXt') continue;
    if (readKeyword(c.data) !== keyword) continue;
    let at = keyword.length + 1;
    if (c.type === 'tEXt') return new TextDecoder('latin1').decode(c.data.subarray(at));
    const compressed = c.data[at];
    if (compressed) throw new Error('compressed iTXt pipeline chunks are not supported');
    at += 2;
    at = c.data.indexOf(0, at) + 1; // language tag
    at = c.data.indexOf(0, at) + 1; // translated keyword
    return new TextDecoder().decode(c.data.subarray(at));
  }
  return undefined;
}
