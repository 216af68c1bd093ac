import { convKernel, convPlan, outSize, type ConvPlan } from './conv.js';
import { Code, V128, moduleBytes } from './emit.js';
import { type PoolPadding, poolKernel, poolSize } from './pool.js';

/**
 * A small CNN (convs, max pools, dense layers, each with optional PReLU) run on WebAssembly SIMD
 * kernels generated for its shapes: MTCNN's nets on the CPU backends, where tfjs' general
 * kernels leave most of a core's SIMD throughput unused on these narrow layers.
 */

export type CnnLayer =
  /** VALID stride-1 convolution, HWIO filter; PReLU when `alpha` is given. */
  | { op: 'conv'; filter: Float32Array; shape: [number, number, number, number]; bias: Float32Array; alpha?: Float32Array }
  /** Stride-2 max pool. */
  | { op: 'pool'; size: number; pad: PoolPadding }
  /** Fully connected on the flattened (h, w, c) map, weights [inputs, outputs]; PReLU when `alpha` is given. */
  | { op: 'dense'; weights: Float32Array; shape: [number, number]; bias: Float32Array; alpha?: Float32Array };

type Step =
  | { op: 'conv' | 'dense'; plan: ConvPlan; kernels: Record<number, string>; params: number }
  | { op: 'pool'; size: number; pad: PoolPadding; fn: string };

/**
 * Output tiles are 1 to 4 pixels wide. A row of width w takes ceil(w / t) tiles, the last one
 * overlapping the one before, so each row picks the width that wastes least; the relative speed
 * per pixel of each width (fewer accumulators, more overhead per pixel) was measured on MTCNN's layers.
 */
const TILE_SPEED: Record<number, number> = { 4: 1, 3: 0.95, 2: 0.8, 1: 0.45 };

export function tileFor(width: number): number {
  let best = 1, cost = Infinity;
  for (const t of [4, 3, 2, 1]) {
    const c = (Math.ceil(width / t) * t) / TILE_SPEED[t];
    if (t <= width && c < cost) [best, cost] = [t, c];
  }
  return best;
}

/** Bytes past a buffer's end that its last vector store may spill into. */
export const SLACK = 16;
const PAGE = 65536;
export const align = (n: number) => Math.ceil(n / 64) * 64;

/** Whether this engine runs WebAssembly SIMD (every current browser and Node does). */
export function simdSupported(): boolean {
  const c = new Code([]);
  c.v128Zero().v128Zero().f32x4Add().set(c.local(V128));
  return typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes([{ name: 'f', code: c }]));
}

/**
 * Work per kernel call: a band of output rows of one image. V8 starts a WebAssembly function on
 * its baseline compiler and swaps in optimized code only for its next call, so one long call per
 * layer would run a single image (the lab's run) several times slower.
 */
const PIECE_ROWS = 8;

export type Kernel = (...a: number[]) => void;

/**
 * A module being built: its generated functions, one per layout (shapes, stride, PReLU) and tile
 * width, which every layer of that layout calls with the address of its own parameters, and those
 * parameters, packed into the module's memory when it is instantiated.
 */
export class KernelSet {
  readonly functions: { name: string; code: Code }[] = [];
  private readonly names = new Map<string, string>();
  private readonly packs: { at: number; pack: (f32: Float32Array) => void }[] = [];
  private paramBytes = 0;

  /** The function `make()` makes, made once per `layout`. */
  one(layout: string, make: () => Code): string {
    let name = this.names.get(layout);
    if (!name) {
      name = `k${this.functions.length}`;
      this.functions.push({ name, code: make() });
      this.names.set(layout, name);
    }
    return name;
  }

  /** The functions `make(t)` makes for tile widths 1-4, by width. */
  tiles(layout: string, make: (tile: number) => Code): Record<number, string> {
    return Object.fromEntries([1, 2, 3, 4].map((t) => [t, this.one(`${layout} x${t}`, () => make(t))]));
  }

  /** Room for `bytes` of a layer's parameters, which `pack` writes (from their start) at instantiation: their byte address. */
  params(bytes: number, pack: (f32: Float32Array) => void): number {
    const at = this.paramBytes;
    this.packs.push({ at, pack });
    this.paramBytes = align(at + bytes);
    return at;
  }

  /** Compile and instantiate over a fresh memory holding the packed parameters; activations may start at byte `free`. */
  async instantiate(): Promise<{ memory: WebAssembly.Memory; fns: Record<string, Kernel>; free: number }> {
    const memory = new WebAssembly.Memory({ initial: Math.ceil((this.paramBytes + SLACK) / PAGE) + 1 });
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(moduleBytes(this.functions)), { env: { memory } });
    const f32 = new Float32Array(memory.buffer);
    for (const p of this.packs) p.pack(f32.subarray(p.at / 4));
    return { memory, fns: instance.exports as Record<string, Kernel>, free: this.paramBytes };
  }
}

/** Grow `memory` so that it holds `bytes` at least. */
export function reserve(memory: WebAssembly.Memory, bytes: number): void {
  const need = bytes - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / PAGE));
}

/**
 * A windowed layer (conv, depthwise conv: `k` rows, `stride`) as one call per band of output rows
 * of each image, in order, so that each band's spilled stores are overwritten by the next.
 */
export function windowsInPieces(kernel: Kernel, k: number, stride: number, from: number, to: number, [n, h, w, c]: number[], [, oh, ow, oc]: number[], params: number): void {
  for (let i = 0; i < n; i++) {
    const src = from + i * h * w * c * 4, dst = to + i * oh * ow * oc * 4;
    for (let r = 0; r < oh; r += PIECE_ROWS) {
      const rows = Math.min(PIECE_ROWS, oh - r);
      kernel(src + r * stride * w * c * 4, dst + r * ow * oc * 4, 1, (rows - 1) * stride + k, w, params);
    }
  }
}

/** A 1x1 layer (or a dense one) over `count` pixels (rows) of `cin` channels, as calls of 256 pixels at most, in order. */
export function pixelsInPieces(kernels: Record<number, string>, fns: Record<string, Kernel>, cin: number, cout: number, from: number, to: number, count: number, params: number): void {
  const piece = PIECE_ROWS * 32;
  for (let k = 0; k < count; k += piece) {
    const m = Math.min(piece, count - k);
    fns[kernels[tileFor(m)]](from + k * cin * 4, to + k * cout * 4, 1, 1, m, params);
  }
}

export class SimdCnn {
  private constructor(
    private readonly steps: Step[],
    private readonly memory: WebAssembly.Memory,
    private readonly fns: Record<string, Kernel>,
    private readonly activationsAt: number,
    private readonly inputChannels: number,
  ) {}

  static async compile(layers: CnnLayer[], inputChannels: number): Promise<SimdCnn> {
    const steps: Step[] = [];
    const set = new KernelSet();
    let channels = inputChannels;
    layers.forEach((l, i) => {
      if (l.op === 'pool') {
        const fn = set.one(`pool ${l.size} ${l.pad} ${channels}`, () => poolKernel(l.size, channels, l.pad));
        steps.push({ op: 'pool', size: l.size, pad: l.pad, fn });
        return;
      }
      const [kh, kw, cin, cout] = l.op === 'conv' ? l.shape : [1, 1, l.shape[0], l.shape[1]];
      if (l.op === 'conv' && cin !== channels) throw new Error(`layer ${i}: conv expects ${cin} channels, gets ${channels}`);
      const plan = convPlan({ kh, kw, cin, cout, prelu: !!l.alpha });
      const kernels = set.tiles(`conv ${kh} ${kw} ${cin} ${cout} ${plan.prelu}`, (t) => convKernel(plan, t));
      const filter = l.op === 'conv' ? l.filter : l.weights;
      const params = set.params(plan.bytes, (f32) => plan.pack(f32, filter, l.bias, l.alpha));
      steps.push({ op: l.op, plan, kernels, params });
      channels = cout;
    });
    const { memory, fns, free } = await set.instantiate();
    return new SimdCnn(steps, memory, fns, free, inputChannels);
  }

  /** Milliseconds spent in `run` since compile (for profiles). */
  elapsedMs = 0;

  /** The shape after each layer, input first: [n, h, w, c] (a dense layer's output is [n, 1, 1, c]). */
  shapes(n: number, h: number, w: number): number[][] {
    let shape = [n, h, w, this.inputChannels];
    const shapes = [shape];
    for (const s of this.steps) {
      const [, sh, sw, sc] = shape;
      if (s.op === 'pool') shape = [n, poolSize(sh, s.size, s.pad), poolSize(sw, s.size, s.pad), sc];
      else if (s.op === 'conv') shape = [n, outSize(sh, s.plan.kh, s.plan.stride), outSize(sw, s.plan.kw, s.plan.stride), s.plan.cout];
      else {
        if (sh * sw * sc !== s.plan.cin) throw new Error(`dense layer expects ${s.plan.cin} inputs, gets ${sh}x${sw}x${sc}`);
        shape = [n, 1, 1, s.plan.cout];
      }
      if (shape[1] < 1 || shape[2] < 1) throw new Error(`input ${h}x${w} is too small for this net`);
      shapes.push(shape);
    }
    return shapes;
  }

  /**
   * Run on n images of h x w x inputChannels (NHWC). Returns a fresh array of the last layer's
   * output: [n, h', w', c] after a conv or pool, [n, c] after a dense layer.
   */
  run(x: Float32Array, n: number, h: number, w: number): { data: Float32Array; shape: number[] } {
    const t0 = performance.now();
    if (x.length !== n * h * w * this.inputChannels) throw new Error(`input has ${x.length} values, not ${n}x${h}x${w}x${this.inputChannels}`);
    const shapes = this.shapes(n, h, w);
    const bytes = align(Math.max(...shapes.map((s) => s[0] * s[1] * s[2] * s[3] * 4)) + SLACK);
    const a = this.activationsAt, b = a + bytes;
    reserve(this.memory, b + bytes);
    new Float32Array(this.memory.buffer, a, x.length).set(x);
    let from = a, to = b;
    this.steps.forEach((s, i) => {
      const [, sh, sw, sc] = shapes[i];
      if (s.op === 'pool') this.fns[s.fn](from, to, n, sh, sw);
      else if (s.op === 'conv') windowsInPieces(this.fns[s.kernels[tileFor(shapes[i + 1][2])]], s.plan.kh, s.plan.stride ?? 1, from, to, shapes[i], shapes[i + 1], s.params);
      else pixelsInPieces(s.kernels, this.fns, sh * sw * sc, s.plan.cout, from, to, n, s.params);
      [from, to] = [to, from];
    });
    const out = shapes[shapes.length - 1];
    const data = new Float32Array(this.memory.buffer, from, out[0] * out[1] * out[2] * out[3]).slice();
    this.elapsedMs += performance.now() - t0;
    return { data, shape: this.steps[this.steps.length - 1].op === 'dense' ? [n, out[3]] : out };
  }
}
