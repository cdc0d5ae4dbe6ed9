/**
 * Register decoding (pure): Modbus registers → numbers, for every register type and word/byte
 * order met in the field. No I/O. "Not implemented" sentinels follow the SunSpec rules
 * (reference/meters.md): int16 0x8000, uint16 0xFFFF, acc32 0, uint32 0xFFFFFFFF,
 * int32 0x80000000, float32 NaN, sunssf 0x8000.
 */

/** Register value types a template may use. `sunssf` is a SunSpec scale factor (int16). */
export type RegisterType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'acc32' | 'float32' | 'sunssf';

/**
 * Order of the four bytes of a 32-bit value as they arrive on the wire, where A is the most
 * significant byte: ABCD big-endian, CDAB word-swapped, BADC byte-swapped, DCBA little-endian.
 * For 16-bit types only the byte order matters (BADC and DCBA swap the two bytes).
 */
export type WordOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export const REGISTER_TYPES: readonly RegisterType[] = ['int16', 'uint16', 'int32', 'uint32', 'acc32', 'float32', 'sunssf'];
export const WORD_ORDERS: readonly WordOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

/** Number of 16-bit registers a value of `type` occupies. */
export function registerCount(type: RegisterType): 1 | 2 {
  return type === 'int16' || type === 'uint16' || type === 'sunssf' ? 1 : 2;
}

/** Result of decoding one point: a number, or `null` when the device says "not implemented". */
export type Decoded = { kind: 'value'; value: number } | { kind: 'not-implemented' };

// Position in the wire bytes of A, B, C, D for each order (wire = registers, each big-endian).
const PERMUTATION: Record<WordOrder, readonly [number, number, number, number]> = {
  ABCD: [0, 1, 2, 3],
  CDAB: [2, 3, 0, 1],
  BADC: [1, 0, 3, 2],
  DCBA: [3, 2, 1, 0],
};

/** Reorders the wire bytes of registers `regs[offset..offset+n)` to big-endian ABCD bytes. */
export function registersToBytesBE(regs: ArrayLike<number>, offset: number, type: RegisterType, order: WordOrder): Uint8Array {
  const n = registerCount(type);
  const wire = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const r = regs[offset + i];
    if (r === undefined || !Number.isInteger(r) || r < 0 || r > 0xffff) {
      throw new RangeError(`register ${offset + i}: expected uint16, found ${String(r)}`);
    }
    wire[2 * i] = r >> 8;
    wire[2 * i + 1] = r & 0xff;
  }
  if (n === 1) {
    const swap = order === 'BADC' || order === 'DCBA';
    return swap ? Uint8Array.of(wire[1]!, wire[0]!) : wire;
  }
  const p = PERMUTATION[order];
  return Uint8Array.of(wire[p[0]]!, wire[p[1]]!, wire[p[2]]!, wire[p[3]]!);
}

/** Inverse of registersToBytesBE: encodes big-endian bytes into registers in `order`. */
export function bytesBEToRegisters(bytes: Uint8Array, order: WordOrder): number[] {
  if (bytes.length === 2) {
    const swap = order === 'BADC' || order === 'DCBA';
    return [swap ? (bytes[1]! << 8) | bytes[0]! : (bytes[0]! << 8) | bytes[1]!];
  }
  if (bytes.length !== 4) throw new RangeError(`expected 2 or 4 bytes, found ${bytes.length}`);
  const p = PERMUTATION[order];
  const wire = new Uint8Array(4);
  for (let i = 0; i < 4; i++) wire[p[i]!] = bytes[i]!;
  return [(wire[0]! << 8) | wire[1]!, (wire[2]! << 8) | wire[3]!];
}

/**
 * Decodes one value of `type` starting at `regs[offset]`. With `sentinels` on, SunSpec
 * "not implemented" markers give `{ kind: 'not-implemented' }`; with it off, NaN comes back as a
 * value for the caller to reject (a float meter that sends NaN is faulty, not silent).
 */
export function decodeRegisters(regs: ArrayLike<number>, offset: number, type: RegisterType, order: WordOrder, sentinels: boolean): Decoded {
  const b = registersToBytesBE(regs, offset, type, order);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let value: number;
  let notImplemented = false;
  switch (type) {
    case 'int16':
    case 'sunssf':
      value = view.getInt16(0);
      notImplemented = value === -0x8000;
      break;
    case 'uint16':
      value = view.getUint16(0);
      notImplemented = value === 0xffff;
      break;
    case 'int32':
      value = view.getInt32(0);
      notImplemented = value === -0x80000000;
      break;
    case 'uint32':
      value = view.getUint32(0);
      notImplemented = value === 0xffffffff;
      break;
    case 'acc32':
      value = view.getUint32(0);
      notImplemented = value === 0;
      break;
    case 'float32':
      value = view.getFloat32(0);
      notImplemented = Number.isNaN(value);
      break;
  }
  // A missing scale factor is "not available" whatever the template says about sentinels.
  if ((sentinels || type === 'sunssf') && notImplemented) return { kind: 'not-implemented' };
  return { kind: 'value', value };
}

/** Encodes `value` as registers (used by simulators, tests and benches; inverse of decode). */
export function encodeRegisters(value: number, type: RegisterType, order: WordOrder): number[] {
  const b = new Uint8Array(registerCount(type) * 2);
  const view = new DataView(b.buffer);
  switch (type) {
    case 'int16':
    case 'sunssf':
      view.setInt16(0, value);
      break;
    case 'uint16':
      view.setUint16(0, value);
      break;
    case 'int32':
      view.setInt32(0, value);
      break;
    case 'uint32':
    case 'acc32':
      view.setUint32(0, value);
      break;
    case 'float32':
      view.setFloat32(0, value);
      break;
  }
  return bytesBEToRegisters(b, order);
}
