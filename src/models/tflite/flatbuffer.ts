/**
 * Minimal read-only FlatBuffers access (little-endian binary format): tables found through
 * their vtables, scalars, strings, vectors of scalars and vectors of tables.
 */
export class FlatTable {
  constructor(readonly buf: FlatBuffer, readonly pos: number) {}

  /** Byte position of field `index`'s value, or 0 when the field is absent (use the default). */
  private field(index: number): number {
    const { view } = this.buf;
    const vtable = this.pos - view.getInt32(this.pos, true);
    const slot = 4 + 2 * index;
    if (slot >= view.getUint16(vtable, true)) return 0;
    const rel = view.getUint16(vtable + slot, true);
    return rel ? this.pos + rel : 0;
  }

  has(index: number): boolean {
    return this.field(index) !== 0;
  }

  int8(index: number, def = 0): number {
    const p = this.field(index);
    return p ? this.buf.view.getInt8(p) : def;
  }

  uint8(index: number, def = 0): number {
    const p = this.field(index);
    return p ? this.buf.view.getUint8(p) : def;
  }

  bool(index: number, def = false): boolean {
    const p = this.field(index);
    return p ? this.buf.view.getUint8(p) !== 0 : def;
  }

  int32(index: number, def = 0): number {
    const p = this.field(index);
    return p ? this.buf.view.getInt32(p, true) : def;
  }

  uint32(index: number, def = 0): number {
    const p = this.field(index);
    return p ? this.buf.view.getUint32(p, true) : def;
  }

  /** A 64-bit unsigned field as a JS number (exact below 2^53). */
  uint64(index: number, def = 0): number {
    const p = this.field(index);
    return p ? Number(this.buf.view.getBigUint64(p, true)) : def;
  }

  float32(index: number, def = 0): number {
    const p = this.field(index);
    return p ? this.buf.view.getFloat32(p, true) : def;
  }

  /** Position of the object an offset field points to, or 0 when absent. */
  private target(index: number): number {
    const p = this.field(index);
    return p ? p + this.buf.view.getUint32(p, true) : 0;
  }

  table(index: number): FlatTable | undefined {
    const t = this.target(index);
    return t ? new FlatTable(this.buf, t) : undefined;
  }

  string(index: number): string | undefined {
    const t = this.target(index);
    if (!t) return undefined;
    const len = this.buf.view.getUint32(t, true);
    return this.buf.decoder.decode(this.buf.bytes.subarray(t + 4, t + 4 + len));
  }

  /** Start (first element) and length of a vector field; length 0 when absent. */
  vector(index: number): { start: number; length: number } {
    const t = this.target(index);
    if (!t) return { start: 0, length: 0 };
    return { start: t + 4, length: this.buf.view.getUint32(t, true) };
  }

  /** A vector of bytes as a view into the file (not copied). */
  bytes(index: number): Uint8Array | undefined {
    const t = this.target(index);
    if (!t) return undefined;
    return this.buf.bytes.subarray(t + 4, t + 4 + this.buf.view.getUint32(t, true));
  }

  int32s(index: number): number[] {
    const { start, length } = this.vector(index);
    const out = new Array<number>(length);
    for (let i = 0; i < length; i++) out[i] = this.buf.view.getInt32(start + 4 * i, true);
    return out;
  }

  tables(index: number): FlatTable[] {
    const { start, length } = this.vector(index);
    const out = new Array<FlatTable>(length);
    for (let i = 0; i < length; i++) {
      const p = start + 4 * i;
      out[i] = new FlatTable(this.buf, p + this.buf.view.getUint32(p, true));
    }
    return out;
  }
}

export class FlatBuffer {
  readonly view: DataView;
  readonly decoder = new TextDecoder();

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The 4-character file identifier stored after the root offset ('' when there is none). */
  get identifier(): string {
    return this.bytes.length >= 8 ? String.fromCharCode(...this.bytes.subarray(4, 8)) : '';
  }

  root(): FlatTable {
    if (this.bytes.length < 8) throw new Error('not a FlatBuffer: too short');
    return new FlatTable(this, this.view.getUint32(0, true));
  }
}
