/**
 * Bounds-checked big-endian reading and writing for the C37.118.2 codec (all fields are
 * big-endian, §6.2). A read past the end is a frame whose fields do not fit its FRAMESIZE, so it
 * is refused with `C37_FRAMESIZE_INVALID` naming the field; writes check each value's range
 * (`C37_FIELD_INVALID`) so an encoder never emits a truncated or wrapped field.
 */
import { LightNodeError, ValidationError } from '../errors.js';

/** Reads fields from a frame body; `end` is exclusive (the CHK offset). */
export class ByteReader {
  private readonly view: DataView;
  pos: number;
  constructor(readonly bytes: Uint8Array, start: number, readonly end: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }
  private need(n: number, field: string): number {
    if (this.pos + n > this.end) {
      throw new LightNodeError('C37_FRAMESIZE_INVALID', `${field}: the frame ends ${this.pos + n - this.end} byte(s) before this field does (FRAMESIZE too small for the counts it carries)`, { field });
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(field: string): number { return this.view.getUint8(this.need(1, field)); }
  u16(field: string): number { return this.view.getUint16(this.need(2, field)); }
  i16(field: string): number { return this.view.getInt16(this.need(2, field)); }
  u32(field: string): number { return this.view.getUint32(this.need(4, field)); }
  i32(field: string): number { return this.view.getInt32(this.need(4, field)); }
  /** float32; `allowInfinite` only for fields where the standard gives ±∞ a meaning (CFG-3 location). */
  f32(field: string, allowInfinite = false): number {
    const v = this.view.getFloat32(this.need(4, field));
    if (Number.isNaN(v) || (!allowInfinite && !Number.isFinite(v))) throw new ValidationError('C37_VALUE_NOT_FINITE', field, 'a finite float32', v);
    return v;
  }
  raw(n: number, field: string): Uint8Array { const at = this.need(n, field); return this.bytes.subarray(at, at + n); }
  /** A fixed 16-byte ASCII name (CFG-1/2 STN and CHNAM, §6.4 Table 8): trailing spaces/NULs are padding. */
  name16(field: string): string { return asciiName(this.raw(16, field), field); }
  /** A CFG-3 name: one length byte, then that many UTF-8 bytes (§6.4 Table 10, Table 12). */
  name8(field: string): string {
    const n = this.u8(`${field}.length`);
    const bytes = this.raw(n, field);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ValidationError('C37_FIELD_INVALID', field, 'UTF-8 text', `bytes(${n})`);
    }
  }
  remaining(): number { return this.end - this.pos; }
}

function asciiName(bytes: Uint8Array, field: string): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0)) end--;
  let s = '';
  for (let i = 0; i < end; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) throw new ValidationError('C37_FIELD_INVALID', field, 'printable ASCII padded with spaces or NULs', `byte 0x${c.toString(16)} at ${i}`);
    s += String.fromCharCode(c);
  }
  return s;
}

function range(field: string, v: number, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ValidationError('C37_FIELD_INVALID', field, what, v);
  return v;
}

/** Appends fields to a growing buffer; every value is range-checked first. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  u8(field: string, v: number): void { const value = range(field, v, 0, 0xff, 'an integer 0..255'); const at = this.room(1); this.view.setUint8(at, value); }
  u16(field: string, v: number): void { const value = range(field, v, 0, 0xffff, 'an integer 0..65535'); const at = this.room(2); this.view.setUint16(at, value); }
  i16(field: string, v: number): void { const value = range(field, v, -0x8000, 0x7fff, 'an integer -32768..32767'); const at = this.room(2); this.view.setInt16(at, value); }
  u32(field: string, v: number): void { const value = range(field, v, 0, 0xffffffff, 'an integer 0..2^32-1'); const at = this.room(4); this.view.setUint32(at, value); }
  i32(field: string, v: number): void { const value = range(field, v, -0x80000000, 0x7fffffff, 'a 32-bit signed integer'); const at = this.room(4); this.view.setInt32(at, value); }
  f32(field: string, v: number, allowInfinite = false): void {
    if (typeof v !== 'number' || Number.isNaN(v) || (!allowInfinite && !Number.isFinite(v))) throw new ValidationError('C37_VALUE_NOT_FINITE', field, 'a finite number', v);
    const at = this.room(4); // grow first: growing replaces this.view
    this.view.setFloat32(at, v);
  }
  raw(field: string, bytes: Uint8Array, size?: number): void {
    if (!(bytes instanceof Uint8Array) || (size !== undefined && bytes.length !== size)) throw new ValidationError('C37_FIELD_INVALID', field, `${size ?? 'some'} bytes`, bytes);
    this.buf.set(bytes, this.room(bytes.length));
  }
  /** 16-byte ASCII name, space-padded (§6.4 Table 8). */
  name16(field: string, s: string): void {
    if (typeof s !== 'string' || s.length > 16 || !/^[\x20-\x7e]*$/.test(s) || s.endsWith(' ')) {
      throw new ValidationError('C37_FIELD_INVALID', field, 'at most 16 printable ASCII characters, no trailing space', s);
    }
    const at = this.room(16);
    for (let i = 0; i < 16; i++) this.buf[at + i] = i < s.length ? s.charCodeAt(i) : 0x20;
  }
  /** Length-prefixed UTF-8 name (CFG-3). */
  name8(field: string, s: string): void {
    const bytes = typeof s === 'string' ? new TextEncoder().encode(s) : undefined;
    if (!bytes || bytes.length > 255) throw new ValidationError('C37_FIELD_INVALID', field, 'a string of at most 255 UTF-8 bytes', s);
    this.u8(`${field}.length`, bytes.length);
    this.buf.set(bytes, this.room(bytes.length));
  }
  /** Overwrite a u16 already written (FRAMESIZE, CHK). */
  setU16(at: number, v: number): void { this.view.setUint16(at, v); }
  bytes(): Uint8Array { return this.buf.slice(0, this.length); }
  view16(): Uint8Array { return this.buf.subarray(0, this.length); }
}
