/**
 * Modbus frame codec (pure): PDUs for FC03/FC04 reads, RTU framing (address + PDU + CRC-16,
 * Modbus over Serial Line v1.02 §2.5.1) and TCP framing (MBAP header, Modbus Messaging on
 * TCP/IP v1.0b §3.1.3). The agent's client side uses modbus-serial; this codec serves the
 * in-repo register slaves used by tests and benches and cross-checks that client.
 */

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) of `bytes`. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export interface ReadRequest {
  readonly unitId: number;
  readonly functionCode: 3 | 4;
  readonly address: number;
  readonly count: number;
}

export type Response =
  | { readonly kind: 'registers'; readonly unitId: number; readonly functionCode: 3 | 4; readonly registers: readonly number[] }
  | { readonly kind: 'exception'; readonly unitId: number; readonly functionCode: number; readonly exceptionCode: number };

/** Why a frame could not be decoded (stable strings for tests and counters). */
export class FrameError extends Error {
  constructor(readonly reason: 'short' | 'crc' | 'length' | 'function' | 'protocol' | 'range') {
    super(`modbus frame: ${reason}`);
    this.name = 'FrameError';
  }
}

/** PDU of a read request: fc, address hi/lo, count hi/lo. */
export function encodeReadPdu(req: Omit<ReadRequest, 'unitId'>): Uint8Array {
  if (req.count < 1 || req.count > 125 || req.address < 0 || req.address + req.count > 0x10000) throw new FrameError('range');
  return Uint8Array.of(req.functionCode, req.address >> 8, req.address & 0xff, req.count >> 8, req.count & 0xff);
}

/** Decodes a read-request PDU; throws FrameError for anything else. */
export function decodeReadPdu(pdu: Uint8Array, unitId: number): ReadRequest {
  if (pdu.length !== 5) throw new FrameError(pdu.length < 5 ? 'short' : 'length');
  const fc = pdu[0];
  if (fc !== 3 && fc !== 4) throw new FrameError('function');
  return { unitId, functionCode: fc, address: (pdu[1]! << 8) | pdu[2]!, count: (pdu[3]! << 8) | pdu[4]! };
}

/** PDU of a response (registers or exception). */
export function encodeResponsePdu(res: Response): Uint8Array {
  if (res.kind === 'exception') return Uint8Array.of(res.functionCode | 0x80, res.exceptionCode);
  if (res.registers.length > 125) throw new FrameError('range');
  const out = new Uint8Array(2 + res.registers.length * 2);
  out[0] = res.functionCode;
  out[1] = res.registers.length * 2;
  res.registers.forEach((r, i) => {
    out[2 + 2 * i] = (r >> 8) & 0xff;
    out[3 + 2 * i] = r & 0xff;
  });
  return out;
}

/** Decodes a response PDU (registers or exception); throws FrameError with nothing left over. */
export function decodeResponsePdu(pdu: Uint8Array, unitId: number): Response {
  if (pdu.length < 2) throw new FrameError('short');
  const fc = pdu[0]!;
  if (fc & 0x80) {
    if (pdu.length !== 2) throw new FrameError('length');
    return { kind: 'exception', unitId, functionCode: fc & 0x7f, exceptionCode: pdu[1]! };
  }
  if (fc !== 3 && fc !== 4) throw new FrameError('function');
  const n = pdu[1]!;
  if (n % 2 !== 0 || pdu.length !== 2 + n) throw new FrameError('length');
  const registers: number[] = [];
  for (let i = 0; i < n; i += 2) registers.push((pdu[2 + i]! << 8) | pdu[3 + i]!);
  return { kind: 'registers', unitId, functionCode: fc, registers };
}

/** RTU ADU: unit id + PDU + CRC (low byte first). */
export function encodeRtu(unitId: number, pdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(pdu.length + 3);
  out[0] = unitId;
  out.set(pdu, 1);
  const crc = crc16(out.subarray(0, pdu.length + 1));
  out[pdu.length + 1] = crc & 0xff;
  out[pdu.length + 2] = crc >> 8;
  return out;
}

/** Splits an RTU ADU into unit id and PDU after checking its CRC. */
export function decodeRtu(adu: Uint8Array): { unitId: number; pdu: Uint8Array } {
  if (adu.length < 4) throw new FrameError('short');
  const crc = crc16(adu.subarray(0, adu.length - 2));
  if ((adu[adu.length - 2]! | (adu[adu.length - 1]! << 8)) !== crc) throw new FrameError('crc');
  return { unitId: adu[0]!, pdu: adu.slice(1, adu.length - 2) };
}

/** TCP ADU: MBAP header (transaction id, protocol 0, length, unit id) + PDU. */
export function encodeTcp(transactionId: number, unitId: number, pdu: Uint8Array): Uint8Array {
  const out = new Uint8Array(7 + pdu.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, transactionId);
  v.setUint16(2, 0);
  v.setUint16(4, pdu.length + 1);
  out[6] = unitId;
  out.set(pdu, 7);
  return out;
}

/**
 * Takes one TCP ADU off the front of `buf`: returns it and the bytes consumed, or `null` when
 * more bytes are needed. Throws FrameError for a non-Modbus protocol id or absurd length.
 */
export function decodeTcp(buf: Uint8Array): { transactionId: number; unitId: number; pdu: Uint8Array; consumed: number } | null {
  if (buf.length < 7) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint16(2) !== 0) throw new FrameError('protocol');
  const len = v.getUint16(4);
  if (len < 2 || len > 254) throw new FrameError('length');
  if (buf.length < 6 + len) return null;
  return { transactionId: v.getUint16(0), unitId: buf[6]!, pdu: buf.slice(7, 6 + len), consumed: 6 + len };
}
