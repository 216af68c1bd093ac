import type { Pipeline } from '../../graph/schema.js';
import { parsePresetFile } from './actions.js';
import { portablePipeline } from './portable.js';

/** The URL fragment that carries a pipeline: `#p=` then the document's JSON, deflated, in base64url. */
const KEY = '#p=';

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A link that opens this lab on the document (portable: bundled weights named relative to presets/). */
export async function shareUrl(p: Pipeline): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(portablePipeline(p)));
  return `${location.origin}${location.pathname}${KEY}${toBase64Url(await pipe(json, new CompressionStream('deflate-raw')))}`;
}

/** The document a link's fragment carries, checked like an imported file; undefined when the URL has none. */
export async function pipelineFromHash(hash: string): Promise<{ ok: true; pipeline: Pipeline } | { ok: false; error: string } | undefined> {
  if (!hash.startsWith(KEY)) return undefined;
  let text: string;
  try {
    text = new TextDecoder().decode(await pipe(fromBase64Url(hash.slice(KEY.length)), new DecompressionStream('deflate-raw')));
  } catch {
    return { ok: false, error: 'the link is damaged (its pipeline does not decompress): ask for it again' };
  }
  return parsePresetFile('the link', text);
}
