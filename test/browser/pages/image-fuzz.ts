// Served by the dev server in the browser tests: one image case at a time through the lab's own
// decoder (decodeImageBrowser: header checks, then createImageBitmap and a canvas read-back).
import { UserError } from '../../../src/graph/errors.js';
import { decodeImageBrowser } from '../../../src/io/browser-io.js';

async function decodeCase(b64: string, name: string) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const t0 = performance.now();
  try {
    const img = await decodeImageBrowser(bytes, name);
    const sizeOk = img.data.length === img.width * img.height * img.channels;
    return { ok: true, sizeOk, width: img.width, height: img.height, ms: performance.now() - t0 };
  } catch (e) {
    const err = e as Error;
    return { ok: false, userError: e instanceof UserError, errorName: err?.name, message: String(err?.message ?? e), ms: performance.now() - t0 };
  }
}

const w = window as unknown as { decodeCase: typeof decodeCase; heapMB: () => number | undefined; fuzzReady: boolean };
w.decodeCase = decodeCase;
w.heapMB = () => {
  const used = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
  return used === undefined ? undefined : used / 2 ** 20;
};
w.fuzzReady = true;
