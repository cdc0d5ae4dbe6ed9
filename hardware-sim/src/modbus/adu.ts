/**
 * Pure Modbus ADU framing: the TCP MBAP header (Modbus Messaging on TCP/IP §3.1.3) and RTU
 * frames with CRC-16 (Modbus over serial line §2.5.1). Byte-level control lives here so the
 * simulator can emit deliberately broken frames (corrupted CRC) for fault injection.
 */
import { crc16Modbus } from './crc16.js';
import { requestPduLength } from './pdu.js';

export interface TcpFrame { transactionId: number; unitId: number; pdu: Uint8Array }

/** Splits a TCP byte stream into complete MBAP frames; returns them and the unconsumed rest. */
export function decodeTcpFrames(buf: Uint8Array): { frames: TcpFrame[]; rest: Uint8Array; error?: string } {
  const frames: TcpFrame[] = [];
  let off = 0;
  while (buf.length - off >= 7) {
    const protocolId = (buf[off + 2]! << 8) | buf[off + 3]!;
    const length = (buf[off + 4]! << 8) | buf[off + 5]!;
    if (protocolId !== 0 || length < 2 || length > 254) {
      return { frames, rest: new Uint8Array(0), error: `bad MBAP header (protocol ${protocolId}, length ${length})` };
    }
    if (buf.length - off < 6 + length) break;
    frames.push({
      transactionId: (buf[off]! << 8) | buf[off + 1]!,
      unitId: buf[off + 6]!,
      pdu: buf.slice(off + 7, off + 6 + length),
    });
    off += 6 + length;
  }
  return { frames, rest: buf.slice(off) };
}

/** Encodes one MBAP frame around `pdu`. */
export function encodeTcpFrame(f: TcpFrame): Uint8Array {
  const out = new Uint8Array(7 + f.pdu.length);
  const len = f.pdu.length + 1;
  out.set([f.transactionId >> 8, f.transactionId & 0xff, 0, 0, len >> 8, len & 0xff, f.unitId]);
  out.set(f.pdu, 7);
  return out;
}

/** Encodes an RTU frame (address, PDU, CRC low byte first); `corruptCrc` flips the CRC bits. */
export function encodeRtuFrame(unitId: number, pdu: Uint8Array, corruptCrc = false): Uint8Array {
  const out = new Uint8Array(pdu.length + 3);
  out[0] = unitId;
  out.set(pdu, 1);
  let crc = crc16Modbus(out.subarray(0, pdu.length + 1));
  if (corruptCrc) crc ^= 0xffff;
  out[pdu.length + 1] = crc & 0xff;
  out[pdu.length + 2] = crc >> 8;
  return out;
}

export type RtuDecode =
  | { kind: 'frame'; unitId: number; pdu: Uint8Array; rest: Uint8Array }
  | { kind: 'incomplete' }
  | { kind: 'bad-crc'; rest: Uint8Array }
  | { kind: 'unknown-length' };

/** True when the last two bytes of `frame` are its valid CRC. */
export function rtuCrcValid(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16Modbus(frame.subarray(0, frame.length - 2));
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >> 8;
}

/**
 * Takes one request frame off the front of an RTU byte stream, using the function code to know
 * its length (a server cannot rely on inter-frame gaps through a pty). Unknown function codes
 * give `unknown-length`: the adapter then waits for silence and treats the buffer as one frame.
 */
export function decodeRtuRequest(buf: Uint8Array): RtuDecode {
  if (buf.length < 2) return { kind: 'incomplete' };
  const pduLen = requestPduLength(buf.subarray(1));
  if (pduLen === undefined) return buf[1] === 16 ? { kind: 'incomplete' } : { kind: 'unknown-length' };
  const total = 1 + pduLen + 2;
  if (buf.length < total) return { kind: 'incomplete' };
  const frame = buf.subarray(0, total);
  if (!rtuCrcValid(frame)) return { kind: 'bad-crc', rest: buf.slice(total) };
  return { kind: 'frame', unitId: buf[0]!, pdu: buf.slice(1, total - 2), rest: buf.slice(total) };
}
