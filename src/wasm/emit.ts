/**
 * A small WebAssembly binary writer: just what the generated SIMD kernels need (i32 arithmetic,
 * loops, v128 loads, stores and f32x4 arithmetic over one imported memory). Kernels are
 * generated at load time with their shapes baked in as constants, so nothing is compiled at
 * install and no binary is committed. Encoding: https://webassembly.github.io/spec/core/binary/
 */

export const I32 = 0x7f;
export const V128 = 0x7b;
type ValType = typeof I32 | typeof V128;

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

const SIMD = 0xfd;
const simdOps = {
  load: 0x00, load32Splat: 0x09, store: 0x0b,
  f32x4Add: 0xe4, f32x4Mul: 0xe6, f32x4Pmin: 0xea, f32x4Pmax: 0xeb,
} as const;

/** One function body: locals are declared with `local(type)`, instructions are appended in order. */
export class Code {
  readonly bytes: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(readonly params: ValType[]) {}

  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  private op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }

  private simd(code: number, memarg?: { offset: number; align: number }): this {
    this.bytes.push(SIMD);
    uleb(code, this.bytes);
    if (memarg) {
      uleb(memarg.align, this.bytes);
      uleb(memarg.offset, this.bytes);
    }
    return this;
  }

  get(i: number) { this.op(0x20); uleb(i, this.bytes); return this; }
  set(i: number) { this.op(0x21); uleb(i, this.bytes); return this; }
  tee(i: number) { this.op(0x22); uleb(i, this.bytes); return this; }
  i32(n: number) { this.op(0x41); sleb(n | 0, this.bytes); return this; }
  add() { return this.op(0x6a); }
  sub() { return this.op(0x6b); }
  mul() { return this.op(0x6c); }
  divS() { return this.op(0x6d); }
  shl() { return this.op(0x74); }
  shrS() { return this.op(0x75); }
  ltS() { return this.op(0x48); }
  geS() { return this.op(0x4e); }
  /** `local += n` */
  inc(i: number, n: number) { return this.get(i).i32(n).add().set(i); }

  /** loop ... end: `br_if 0` in the body continues it. */
  loop(body: () => void) { this.op(0x03, 0x40); body(); return this.op(0x0b); }
  brIf(depth: number) { this.op(0x0d); uleb(depth, this.bytes); return this; }
  select() { return this.op(0x1b); }

  /** for (v = from; v < to; v += step) body(), with from < to known; `to` a local or constant. */
  for(v: number, from: number, to: { local: number } | { const: number }, step: number, body: () => void) {
    this.i32(from).set(v);
    return this.loop(() => {
      body();
      this.inc(v, step).get(v);
      if ('local' in to) this.get(to.local); else this.i32(to.const);
      this.ltS().brIf(0);
    });
  }

  v128Load(offset = 0) { return this.simd(simdOps.load, { offset, align: 4 }); }
  v128Store(offset = 0) { return this.simd(simdOps.store, { offset, align: 4 }); }
  f32Splat(offset = 0) { return this.simd(simdOps.load32Splat, { offset, align: 2 }); }
  f32x4Add() { return this.simd(simdOps.f32x4Add); }
  f32x4Mul() { return this.simd(simdOps.f32x4Mul); }
  f32x4Pmin() { return this.simd(simdOps.f32x4Pmin); }
  f32x4Pmax() { return this.simd(simdOps.f32x4Pmax); }
  /** v128 zero. */
  v128Zero() { this.simd(0x0c); for (let i = 0; i < 16; i++) this.bytes.push(0); return this; }

  /** The function body as the code section wants it (size-prefixed, locals run-length encoded). */
  encode(): number[] {
    const body: number[] = [];
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(runs.length, body);
    for (const [n, t] of runs) { uleb(n, body); body.push(t); }
    const out: number[] = [];
    uleb(body.length + this.bytes.length + 1, out);
    return out.concat(body, this.bytes, [0x0b]);
  }
}

function section(id: number, content: number[]): number[] {
  const out = [id];
  uleb(content.length, out);
  return out.concat(content);
}

function name(s: string, out: number[]): void {
  const b = new TextEncoder().encode(s);
  uleb(b.length, out);
  out.push(...b);
}

/** A module importing `env.memory` and exporting the given functions (all `(i32...) -> ()`). */
export function moduleBytes(functions: { name: string; code: Code }[]): Uint8Array<ArrayBuffer> {
  const types: number[] = [];
  uleb(functions.length, types);
  for (const f of functions) {
    types.push(0x60);
    uleb(f.code.params.length, types);
    types.push(...f.code.params, 0x00);
  }
  const imports: number[] = [1];
  name('env', imports);
  name('memory', imports);
  imports.push(0x02, 0x00, 0x01); // memory, limits: min 1 page, no max
  const funcs: number[] = [];
  uleb(functions.length, funcs);
  functions.forEach((_, i) => uleb(i, funcs));
  const exports: number[] = [];
  uleb(functions.length, exports);
  functions.forEach((f, i) => { name(f.name, exports); exports.push(0x00); uleb(i, exports); });
  const count: number[] = [];
  uleb(functions.length, count);
  const code = count.concat(...functions.map((f) => f.code.encode()));
  const head = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types), ...section(2, imports), ...section(3, funcs), ...section(7, exports)];
  const size: number[] = [];
  uleb(code.length, size);
  return new Uint8Array(head.concat([10], size, code));
}
