/**
 * The one register engine: renders a physical meter snapshot into register words through a
 * device template (float32 with word order, int16/acc32 with SunSpec scale factors, strings,
 * constants, "not implemented" sentinels for NaN). Pure: no sockets, no clocks.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import { ModbusException } from '../modbus/pdu.js';
import type { MeterSnapshot } from '../physics/meter-model.js';
import { pointWords, unitFactor, type DeviceTemplate, type PointDef, type WordOrder } from './template.js';

export interface RenderOptions {
  /** Word order for 32-bit values, overriding the template's (fault injection). */
  wordOrder?: WordOrder;
  /** Render every measured point as NaN / its "not implemented" sentinel. */
  nan?: boolean;
}

/** A rendered register image: one word array per declared range. */
export interface RegisterImage { ranges: { fc: 3 | 4; start: number; words: Uint16Array }[] }

/** Splits 4 big-endian bytes ABCD into two registers in the given word order. */
export function bytesToWords(b: Uint8Array, order: WordOrder): [number, number] {
  const [A, B, C, D] = [b[0]!, b[1]!, b[2]!, b[3]!];
  switch (order) {
    case 'ABCD': return [(A << 8) | B, (C << 8) | D];
    case 'CDAB': return [(C << 8) | D, (A << 8) | B];
    case 'BADC': return [(B << 8) | A, (D << 8) | C];
    case 'DCBA': return [(D << 8) | C, (B << 8) | A];
  }
}

function sfOf(t: DeviceTemplate, p: PointDef): number {
  if (p.scaleFactor === undefined) return 0;
  const sf = t.points.find((q) => q.name === p.scaleFactor)!;
  return Number(sf.value ?? 0);
}

/** Encodes one physical value (already in the point's unit) into the point's words. */
export function encodePoint(p: PointDef, value: number, sf: number, order: WordOrder): number[] {
  const dv = new DataView(new ArrayBuffer(4));
  const scaled = value / 10 ** sf;
  const nan = !Number.isFinite(value);
  switch (p.type) {
    case 'float32': dv.setFloat32(0, value); break;
    case 'int16':
    case 'sunssf': return [nan ? 0x8000 : Math.max(-32767, Math.min(32767, Math.round(scaled))) & 0xffff];
    case 'uint16': return [nan ? 0xffff : Math.max(0, Math.min(0xffff, Math.round(scaled)))];
    case 'int32': dv.setInt32(0, nan ? -0x80000000 : Math.max(-0x7fffffff, Math.min(0x7fffffff, Math.round(scaled)))); break;
    case 'uint32': dv.setUint32(0, nan ? 0xffffffff : Math.max(0, Math.min(0xffffffff, Math.round(scaled)))); break;
    // Accumulators wrap and are floored so a counter never reads higher than its energy.
    case 'acc32': dv.setUint32(0, nan ? 0 : Math.floor(Math.max(0, scaled)) % 0x100000000); break;
    case 'string': throw new LightNodeError('SIM_INTERNAL', 'strings are encoded by encodeString');
  }
  return bytesToWords(new Uint8Array(dv.buffer), order);
}

/** ASCII text, two characters per register, NUL padded to `length` registers. */
export function encodeString(text: string, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i++) out.push(((text.charCodeAt(2 * i) || 0) << 8) | (text.charCodeAt(2 * i + 1) || 0));
  return out;
}

/** Renders the whole register image of `t` for `snap`. */
export function renderRegisters(t: DeviceTemplate, snap: MeterSnapshot, opts: RenderOptions = {}): RegisterImage {
  const ranges = t.ranges.map((r) => ({ fc: r.fc, start: r.start, words: new Uint16Array(r.count) }));
  const order = opts.wordOrder ?? t.wordOrder;
  for (const p of t.points) {
    let words: number[];
    if (p.type === 'string') words = encodeString(String(p.value ?? ''), pointWords(p));
    else if (p.source === undefined) words = encodePoint(p, Number(p.value), 0, order);
    else {
      const raw = snap[p.source];
      const v = opts.nan || raw === undefined ? NaN : raw * unitFactor(p.source, p.unit);
      words = encodePoint(p, v, sfOf(t, p), order);
    }
    const r = ranges.find((x) => x.fc === p.fc && p.address >= x.start && p.address + words.length <= x.start + x.words.length)!;
    r.words.set(words, p.address - r.start);
  }
  return { ranges };
}

/** Reads `quantity` registers at `address`; exception 2 unless they lie inside one declared range. */
export function readImage(img: RegisterImage, fc: 3 | 4, address: number, quantity: number): Uint16Array {
  const r = img.ranges.find((x) => x.fc === fc && address >= x.start && address + quantity <= x.start + x.words.length);
  if (!r) throw new ModbusException(2, `FC${fc} ${address}+${quantity} outside the register map`);
  return r.words.subarray(address - r.start, address - r.start + quantity);
}
