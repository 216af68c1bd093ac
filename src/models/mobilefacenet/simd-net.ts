import { convKernel, convPlan, outSize } from '../../wasm/conv.js';
import { addKernel, depthwiseKernel, depthwisePlan } from '../../wasm/depthwise.js';
import { type Kernel, KernelSet, SLACK, align, pixelsInPieces, reserve, tileFor, windowsInPieces } from '../../wasm/cnn.js';
import type { ConvStep, MobileFaceNetGraph } from './graph.js';

/**
 * MobileFaceNet's layer program on generated WebAssembly SIMD kernels (the CPU backends' engine):
 * convolutions (3x3 stride 2, 1x1), depthwise convolutions (3x3, the 7x7 global one), residual
 * adds. 'same' padding is a copy into a larger buffer with a zeroed border. Faces go through in
 * chunks, so activation memory stays bounded whatever the batch; each face gets what it gets alone.
 */

/**
 * Faces per pass through the layers. Activations peak near 1 M floats (4 MB) per face, so small
 * passes stay in the caches: 2 faces per pass ran 9% faster per face than 8 here.
 */
const CHUNK = 2;

type Shape = [number, number, number];

interface Pads { top: number; left: number; bottom: number; right: number }

/** tfjs' 'same': output ceil(in / stride), the padding split with the extra pixel after. */
function samePads(h: number, w: number, k: number, stride: number): Pads {
  const total = (n: number) => Math.max((Math.ceil(n / stride) - 1) * stride + k - n, 0);
  const [th, tw] = [total(h), total(w)];
  return { top: th >> 1, left: tw >> 1, bottom: th - (th >> 1), right: tw - (tw >> 1) };
}

type Op =
  | { op: 'conv'; input: number; output: number; inShape: Shape; pads?: Pads; padded: Shape; outShape: Shape; pointwise: boolean; k: number; stride: number; kernels: Record<number, string>; params: number }
  | { op: 'add'; a: number; b: number; output: number; size: number };

export class SimdMobileFaceNet {
  private constructor(
    private readonly ops: Op[],
    private readonly shapes: Map<number, Shape>,
    /** Step index after which each tensor is read no more. */
    private readonly lastUse: Map<number, number>,
    private readonly input: number,
    private readonly memory: WebAssembly.Memory,
    private readonly fns: Record<string, Kernel>,
    /** The residual add's function. */
    private readonly add: string,
    private readonly arenaAt: number,
    /** Reshaped tensors -> the tensor they view. */
    private readonly alias: Map<number, number>,
  ) {}

  static async compile(graph: MobileFaceNetGraph): Promise<SimdMobileFaceNet> {
    const shapes = new Map<number, Shape>([[graph.input, [graph.inputSize, graph.inputSize, 3]]]);
    const ops: Op[] = [];
    const set = new KernelSet();
    const add = set.one('add', addKernel);
    const alias = new Map<number, number>();
    const id = (t: number) => alias.get(t) ?? t;
    graph.steps.forEach((s, i) => {
      if (s.kind === 'reshape') {
        alias.set(s.output, id(s.input));
        return;
      }
      if (s.kind === 'add') {
        const shape = shapes.get(id(s.a))!;
        shapes.set(s.output, shape);
        ops.push({ op: 'add', a: id(s.a), b: id(s.b), output: s.output, size: shape[0] * shape[1] * shape[2] });
        return;
      }
      const inShape = shapes.get(id(s.input))!;
      const [h, w, c] = inShape;
      const [k, , , cout] = s.filter.shape;
      const pads = s.padding === 'same' && k > 1 ? samePads(h, w, k, s.stride) : undefined;
      const padded: Shape = pads ? [h + pads.top + pads.bottom, w + pads.left + pads.right, c] : inShape;
      const outShape: Shape = [outSize(padded[0], k, s.stride), outSize(padded[1], k, s.stride), s.depthwise ? c : cout];
      shapes.set(s.output, outShape);
      const { layout, code, bytes, pack } = stepKernels(s, c);
      const kernels = set.tiles(layout, code);
      const params = set.params(bytes, pack);
      ops.push({ op: 'conv', input: id(s.input), output: s.output, inShape, pads, padded, outShape, pointwise: k === 1 && s.stride === 1, k, stride: s.stride, kernels, params });
    });
    const lastUse = new Map<number, number>();
    ops.forEach((o, i) => (o.op === 'add' ? [o.a, o.b] : [o.input]).forEach((t) => lastUse.set(t, i)));
    const { memory, fns, free } = await set.instantiate();
    return new SimdMobileFaceNet(ops, shapes, lastUse, graph.input, memory, fns, add, free, alias);
  }

  /** Shape [h, w, c] per face of a graph tensor. */
  shapeOf(tensor: number): Shape {
    const s = this.shapes.get(this.alias.get(tensor) ?? tensor);
    if (!s) throw new Error(`MobileFaceNet: no tensor ${tensor}`);
    return s;
  }

  /**
   * n faces, RGB 0..255 [n, size, size, 3] -> the graph tensors `wanted`, each [n * h * w * c]
   * (the input normalisation (x - 127.5) / 128 is applied here, as the net expects).
   */
  run(rgb: Float32Array, n: number, wanted: number[]): Float32Array[] {
    const ids = wanted.map((t) => this.alias.get(t) ?? t);
    const sizes = ids.map((t) => { const [h, w, c] = this.shapeOf(t); return h * w * c; });
    const out = sizes.map((s) => new Float32Array(n * s));
    const [ih, iw] = this.shapeOf(this.input);
    const perFace = ih * iw * 3;
    for (let f = 0; f < n; f += CHUNK) {
      const m = Math.min(CHUNK, n - f);
      const got = this.runChunk(rgb.subarray(f * perFace, (f + m) * perFace), m, ids);
      got.forEach((g, j) => out[j].set(g, f * sizes[j]));
    }
    return out;
  }

  private runChunk(rgb: Float32Array, n: number, ids: number[]): Float32Array[] {
    const arena = new Arena(this.arenaAt, this.memory);
    const where = new Map<number, number>();
    const bytesOf = (t: number) => { const [h, w, c] = this.shapes.get(t)!; return n * h * w * c * 4 + SLACK; };
    const keep = new Set(ids);
    const inAt = arena.alloc(bytesOf(this.input));
    const x = arena.f32(inAt, rgb.length);
    for (let i = 0; i < rgb.length; i++) x[i] = (rgb[i] - 127.5) / 128;
    where.set(this.input, inAt);
    // up to the last op that makes a wanted tensor (a fine-tuned student's front stops half-way)
    const last = Math.max(-1, ...this.ops.map((o, i) => (keep.has(o.output) ? i : -1)));
    this.ops.slice(0, last + 1).forEach((o, i) => {
      const outAt = arena.alloc(bytesOf(o.output));
      if (o.op === 'add') this.fns[this.add](where.get(o.a)!, where.get(o.b)!, outAt, n * o.size);
      else {
        let from = where.get(o.input)!;
        let scratch = 0;
        if (o.pads) {
          const [ph, pw, c] = o.padded;
          scratch = arena.alloc(n * ph * pw * c * 4 + SLACK);
          padInto(arena, from, scratch, n, o.inShape, o.padded, o.pads);
          from = scratch;
        }
        const [oh, ow, oc] = o.outShape;
        if (o.pointwise) pixelsInPieces(o.kernels, this.fns, o.inShape[2], oc, from, outAt, n * oh * ow, o.params);
        else windowsInPieces(this.fns[o.kernels[tileFor(ow)]], o.k, o.stride, from, outAt, [n, ...o.padded], [n, ...o.outShape], o.params);
        if (scratch) arena.free(scratch, n * o.padded[0] * o.padded[1] * o.padded[2] * 4 + SLACK);
      }
      where.set(o.output, outAt);
      for (const t of o.op === 'add' ? [o.a, o.b] : [o.input]) {
        if (this.lastUse.get(t) === i && !keep.has(t) && where.has(t)) {
          arena.free(where.get(t)!, bytesOf(t));
          where.delete(t);
        }
      }
    });
    return ids.map((t) => { const [h, w, c] = this.shapes.get(t)!; return arena.f32(where.get(t)!, n * h * w * c).slice(); });
  }
}

/** Layout, kernels and parameters of one conv step: a depthwise layer, or a regular conv (3x3 stride 2, 1x1). */
function stepKernels(s: ConvStep, channels: number) {
  const [k, , , cout] = s.filter.shape;
  const pack = (plan: { pack(out: Float32Array, f: Float32Array, b: Float32Array, a?: Float32Array): void }) => (f32: Float32Array) => plan.pack(f32, s.filter.values, s.bias, s.alpha);
  if (s.depthwise) {
    const plan = depthwisePlan({ k, channels, stride: s.stride, prelu: !!s.alpha });
    return { layout: `dw ${k} ${channels} ${s.stride} ${plan.prelu}`, bytes: plan.bytes, code: (t: number) => depthwiseKernel(plan, t), pack: pack(plan) };
  }
  const plan = convPlan({ kh: k, kw: k, cin: channels, cout, prelu: !!s.alpha, stride: s.stride });
  return { layout: `conv ${k} ${channels} ${cout} ${s.stride} ${plan.prelu}`, bytes: plan.bytes, code: (t: number) => convKernel(plan, t), pack: pack(plan) };
}

/** Copy n maps into the middle of larger maps, zeroing the border around them. */
function padInto(arena: Arena, from: number, to: number, n: number, [h, w, c]: Shape, [ph, pw]: Shape, p: Pads): void {
  const all = arena.f32(0, arena.memory.buffer.byteLength / 4);
  const dst = to / 4, src = from / 4;
  const row = pw * c;
  for (let i = 0; i < n; i++) {
    const image = dst + i * ph * row;
    all.fill(0, image, image + p.top * row);
    all.fill(0, image + (p.top + h) * row, image + ph * row);
    for (let y = 0; y < h; y++) {
      const at = image + (y + p.top) * row;
      const s = src + (i * h + y) * w * c;
      all.fill(0, at, at + p.left * c);
      all.copyWithin(at + p.left * c, s, s + w * c);
      all.fill(0, at + (p.left + w) * c, at + row);
    }
  }
}

/** Activation memory of one chunk: bump allocation with free lists by exact size (the net's sizes repeat). */
class Arena {
  private top: number;
  private readonly freed = new Map<number, number[]>();

  constructor(start: number, readonly memory: WebAssembly.Memory) {
    this.top = start;
  }

  alloc(bytes: number): number {
    const size = align(bytes);
    const reuse = this.freed.get(size)?.pop();
    if (reuse !== undefined) return reuse;
    const at = this.top;
    this.top += size;
    reserve(this.memory, this.top);
    return at;
  }

  free(at: number, bytes: number): void {
    const size = align(bytes);
    const list = this.freed.get(size) ?? [];
    list.push(at);
    this.freed.set(size, list);
  }

  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }
}
