import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendChoice {
  name: BackendName;
  /** Why this one: "requested", "auto: ...", or what failed before falling back. */
  reason: string;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined' && typeof self === 'undefined';

/** Software GPU adapters/renderers lose to wasm by 20-100x here, so the automatic choice skips them. */
const SOFTWARE_GPU = /swiftshader|llvmpipe|softpipe|software|basic render/i;

async function hardwareWebGPU(): Promise<string | undefined> {
  if (isNode) {
    const whyNot = await nodeGPU();
    if (whyNot) return whyNot;
  }
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<any> } } | undefined)?.gpu;
  if (!gpu) return 'no navigator.gpu';
  const adapter: any = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return 'no WebGPU adapter';
  const info = (adapter as { info?: Record<string, unknown> }).info ?? {};
  const desc = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`;
  if (adapter.isFallbackAdapter || info.isFallbackAdapter || SOFTWARE_GPU.test(desc)) return `software WebGPU adapter (${desc.trim() || 'fallback'})`;
  return undefined;
}

function hardwareWebGL(): string | undefined {
  if (typeof OffscreenCanvas === 'undefined') return 'no OffscreenCanvas';
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
  if (!gl) return 'no WebGL2';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  if (SOFTWARE_GPU.test(renderer)) return `software WebGL renderer (${renderer})`;
  return undefined;
}

/**
 * Node has no navigator.gpu: Dawn from the optional `webgpu` package provides one (and the
 * GPU* constants tfjs-backend-webgpu reads as globals). Returns why not, when it cannot.
 */
async function nodeGPU(): Promise<string | undefined> {
  const nav = globalThis.navigator as (Navigator & { gpu?: unknown }) | undefined;
  if (nav?.gpu) return undefined;
  // typed here, not from the package: it is optional (npm ci --omit=optional leaves it out)
  let dawn: { create(flags: string[]): unknown; globals: Record<string, unknown> };
  try {
    // a specifier bundlers leave alone: the package is native and Node-only
    const pkg = 'webgpu';
    dawn = await import(/* @vite-ignore */ pkg);
  } catch (e) {
    return `the optional "webgpu" package cannot be loaded (${(e as Error).message.split('\n')[0]})`;
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return undefined;
}

/**
 * Node on Linux: whether the machine has a GPU device (an NVIDIA device or a DRM render node).
 * Without one, loading Dawn would only cost start-up time (and Mesa's noise on stderr) in every
 * run and worker, to find at best a software adapter. VK_ICD_FILENAMES set, or
 * FACEFLOW_PROBE_GPU=1 / 0, forces the look-up on / off.
 */
async function mayHaveGPU(): Promise<boolean> {
  const forced = process.env.FACEFLOW_PROBE_GPU;
  if (forced) return forced !== '0';
  if (process.platform !== 'linux' || process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return true;
  const fsName = 'node:fs';
  const { existsSync, readdirSync } = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
  if (existsSync('/dev/nvidiactl') || existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

async function registerWebGPU(): Promise<void> {
  if (tf.engine().registryFactory.webgpu) return;
  // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is imported
  if (isNode) {
    const whyNot = await nodeGPU();
    if (whyNot) throw new Error(whyNot);
  }
  await import('@tensorflow/tfjs-backend-webgpu');
}

async function trySet(name: BackendName): Promise<string | undefined> {
  try {
    if (name === 'webgpu') await registerWebGPU();
    if (!tf.engine().registryFactory[name]) return `${name} backend is not available here`;
    const ok = await tf.setBackend(name);
    if (!ok) return `${name} failed to initialise`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `${name} failed: ${(e as Error).message}`;
  }
}

/**
 * Pick and initialise a backend. With `requested`, use it or fall back down the list
 * (saying why); without, take the first hardware-accelerated one, else wasm, else cpu.
 */
export async function initBackend(requested?: BackendName): Promise<BackendChoice> {
  const notes: string[] = [];
  let order: BackendName[];
  if (requested) {
    order = [requested, ...BACKENDS.slice(BACKENDS.indexOf(requested) + 1)];
  } else {
    order = [];
    const gpuWhyNot = isNode && !(await mayHaveGPU()) ? 'no GPU device (/dev/nvidia*, /dev/dri/renderD*)' : await hardwareWebGPU();
    if (gpuWhyNot) notes.push(`webgpu skipped: ${gpuWhyNot}`);
    else order.push('webgpu');
    if (!isNode) {
      const glWhyNot = hardwareWebGL();
      if (glWhyNot) notes.push(`webgl skipped: ${glWhyNot}`);
      else order.push('webgl');
    }
    order.push('wasm', 'cpu');
  }
  for (const name of order) {
    if (tf.getBackend() === name) return { name, reason: describe(requested, name, notes) };
    const whyNot = await trySet(name);
    if (!whyNot) return { name, reason: describe(requested, name, notes) };
    notes.push(whyNot);
  }
  throw new Error(`no tfjs backend could be initialised: ${notes.join('; ')}`);
}

function describe(requested: BackendName | undefined, name: BackendName, notes: string[]): string {
  const head = requested === name ? 'requested' : requested ? `fell back from ${requested}` : 'auto';
  return notes.length ? `${head} (${notes.join('; ')})` : head;
}

/**
 * Resolves with the reason when the GPU under the current backend goes away (webgpu: the
 * device's `lost` promise; webgl: the context's webglcontextlost event). Never resolves on
 * wasm or cpu. Ops on a lost device can fail or quietly return zeros, so a caller that sees
 * this discards what was computed meanwhile and falls back.
 */
export function gpuLost(): Promise<string> {
  const name = tf.getBackend();
  const b = tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> }; gpgpu?: { gl?: { canvas?: EventTarget } } };
  if (name === 'webgpu' && b.device?.lost) {
    return b.device.lost.then((info) => `the WebGPU device was lost (${[info?.reason, info?.message].filter(Boolean).join(': ') || 'no reason given'})`);
  }
  const canvas = b.gpgpu?.gl?.canvas;
  if (name === 'webgl' && canvas) return new Promise((resolve) => canvas.addEventListener('webglcontextlost', () => resolve('the WebGL context was lost'), { once: true }));
  return new Promise(() => undefined);
}
