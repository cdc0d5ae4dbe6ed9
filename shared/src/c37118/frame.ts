/**
 * The common frame of C37.118.2-2011 §6.2 (Table 2) and C37.118-2005 §9.2: SYNC, FRAMESIZE,
 * IDCODE, SOC, FRACSEC, body, CHK. Every frame type goes through `openFrame` (decode) and
 * `closeFrame` (encode), so SYNC, size and CRC rules live in one place.
 */
import { LightNodeError, ValidationError } from '../errors.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { crcCcitt } from './crc-ccitt.js';

/** Frame types by SYNC bits 6–4 (§6.2 Table 2): 0 data, 1 header, 2 CFG-1, 3 CFG-2, 4 command, 5 CFG-3. */
export const FRAME_TYPES = ['data', 'header', 'cfg1', 'cfg2', 'cmd', 'cfg3'] as const;
export type FrameType = (typeof FRAME_TYPES)[number];
/** SYNC bits 3–0: 1 = C37.118-2005, 2 = C37.118.2-2011. */
export type C37Version = 1 | 2;

/** Header fields every frame carries. */
export interface FrameHead {
  version: C37Version;
  /** Data stream id, 1..65534 (0 and 65535 are reserved, §6.2 Table 2). */
  idcode: number;
  /** Seconds since 1970-01-01 UTC, no leap seconds. */
  soc: number;
  /** FRACSEC bits 23–0: the fraction of the second in TIME_BASE units. */
  fracsec: number;
  /** FRACSEC bits 31–24: leap-second flags and time-quality code (§6.2.2 Table 3). */
  timeQuality: number;
}

/** Smallest frame: 14-byte header + 2-byte CHK. */
export const MIN_FRAME_BYTES = 16;
export const SYNC_BYTE = 0xaa;

/** The opened frame: its head, type and a reader over its body (CHK excluded). */
export interface OpenedFrame { type: FrameType; head: FrameHead; body: ByteReader }

/**
 * Check the envelope of one complete frame and open its body: SYNC byte 0xAA, reserved bit 7 of
 * the second byte clear, version 1 or 2, known type (CFG-3 only from 2011), FRAMESIZE equal to
 * the bytes given (so nothing is left over), CHK equal to the CRC-CCITT of everything before it.
 */
export function openFrame(bytes: Uint8Array): OpenedFrame {
  if (!(bytes instanceof Uint8Array)) throw new ValidationError('C37_FRAME_TRUNCATED', 'frame', 'bytes', bytes);
  if (bytes.length < 2) throw new LightNodeError('C37_FRAME_TRUNCATED', `frame: ${bytes.length} byte(s), less than SYNC`, { length: bytes.length });
  if (bytes[0] !== SYNC_BYTE || (bytes[1]! & 0x80) !== 0) {
    throw new ValidationError('C37_SYNC_INVALID', 'SYNC', '0xAA then a byte with bit 7 clear', `0x${hex2(bytes[0]!)}${hex2(bytes[1]!)}`);
  }
  const version = bytes[1]! & 0x0f;
  if (version !== 1 && version !== 2) throw new ValidationError('C37_SYNC_INVALID', 'SYNC.version', '1 (2005) or 2 (2011)', version);
  const typeCode = (bytes[1]! >> 4) & 0x07;
  const type = FRAME_TYPES[typeCode];
  if (type === undefined || (type === 'cfg3' && version === 1)) {
    throw new ValidationError('C37_FRAME_TYPE_UNKNOWN', 'SYNC.frameType', version === 1 ? '0..4 (2005 has no CFG-3)' : '0..5', typeCode);
  }
  if (bytes.length < MIN_FRAME_BYTES) throw new LightNodeError('C37_FRAME_TRUNCATED', `frame: ${bytes.length} bytes, less than the ${MIN_FRAME_BYTES}-byte minimum`, { length: bytes.length });
  const frameSize = (bytes[2]! << 8) | bytes[3]!;
  if (frameSize < MIN_FRAME_BYTES) throw new ValidationError('C37_FRAMESIZE_INVALID', 'FRAMESIZE', `at least ${MIN_FRAME_BYTES}`, frameSize);
  if (frameSize > bytes.length) throw new LightNodeError('C37_FRAME_TRUNCATED', `frame: FRAMESIZE ${frameSize} but only ${bytes.length} bytes`, { frameSize, length: bytes.length });
  if (frameSize < bytes.length) throw new ValidationError('C37_FRAMESIZE_INVALID', 'FRAMESIZE', `the ${bytes.length} bytes given (one frame, nothing left over)`, frameSize);
  const chk = (bytes[frameSize - 2]! << 8) | bytes[frameSize - 1]!;
  const crc = crcCcitt(bytes, 0, frameSize - 2);
  if (chk !== crc) throw new LightNodeError('C37_CRC_MISMATCH', `CHK 0x${chk.toString(16)} but the CRC-CCITT of the frame is 0x${crc.toString(16)}`, { chk, crc });
  const r = new ByteReader(bytes, 4, frameSize - 2);
  const idcode = r.u16('IDCODE');
  if (idcode === 0 || idcode === 0xffff) throw new ValidationError('C37_FIELD_INVALID', 'IDCODE', '1..65534 (0 and 65535 are reserved)', idcode);
  const soc = r.u32('SOC');
  const fq = r.u32('FRACSEC');
  return { type, head: { version, idcode, soc, fracsec: fq & 0xffffff, timeQuality: fq >>> 24 }, body: r };
}

/** Refuse bytes left in a body after its last field: FRAMESIZE claims more than the fields hold. */
export function endBody(r: ByteReader, what: string): void {
  if (r.remaining() !== 0) throw new ValidationError('C37_FRAMESIZE_INVALID', 'FRAMESIZE', `exactly the fields of the ${what} body`, `${r.remaining()} byte(s) more`);
}

/** Start a frame: SYNC, FRAMESIZE placeholder, IDCODE, SOC, FRACSEC. Finish with `closeFrame`. */
export function beginFrame(type: FrameType, head: FrameHead): ByteWriter {
  if (head.version !== 1 && head.version !== 2) throw new ValidationError('C37_FIELD_INVALID', 'version', '1 (2005) or 2 (2011)', head.version);
  if (type === 'cfg3' && head.version !== 2) throw new ValidationError('C37_FIELD_INVALID', 'version', '2 (CFG-3 exists from 2011)', head.version);
  const w = new ByteWriter();
  w.u8('SYNC', SYNC_BYTE);
  w.u8('SYNC', (FRAME_TYPES.indexOf(type) << 4) | head.version);
  w.u16('FRAMESIZE', 0);
  if (head.idcode === 0 || head.idcode === 0xffff) throw new ValidationError('C37_FIELD_INVALID', 'IDCODE', '1..65534 (0 and 65535 are reserved)', head.idcode);
  w.u16('IDCODE', head.idcode);
  w.u32('SOC', head.soc);
  if (!Number.isInteger(head.fracsec) || head.fracsec < 0 || head.fracsec > 0xffffff) throw new ValidationError('C37_FIELD_INVALID', 'FRACSEC', 'an integer 0..2^24-1', head.fracsec);
  if (!Number.isInteger(head.timeQuality) || head.timeQuality < 0 || head.timeQuality > 0xff) throw new ValidationError('C37_FIELD_INVALID', 'timeQuality', 'an integer 0..255', head.timeQuality);
  w.u32('FRACSEC', head.timeQuality * 0x1000000 + head.fracsec);
  return w;
}

/** Write FRAMESIZE and CHK and return the frame's bytes. */
export function closeFrame(w: ByteWriter): Uint8Array {
  const size = w.length + 2;
  if (size > 0xffff) throw new ValidationError('C37_FIELD_INVALID', 'FRAMESIZE', 'at most 65535 bytes', size);
  w.setU16(2, size);
  w.u16('CHK', crcCcitt(w.view16()));
  return w.bytes();
}

/**
 * Length of the frame at the start of a stream buffer, for TCP reassembly: null while fewer than
 * 4 bytes are there, otherwise FRAMESIZE — or -1 when the buffer does not start with a SYNC byte
 * or FRAMESIZE is below the minimum (the caller skips a byte and looks again).
 */
export function frameLengthAt(buf: Uint8Array, at = 0): number | null {
  if (buf.length - at < 4) return null;
  if (buf[at] !== SYNC_BYTE || (buf[at + 1]! & 0x80) !== 0) return -1;
  const size = (buf[at + 2]! << 8) | buf[at + 3]!;
  return size < MIN_FRAME_BYTES ? -1 : size;
}

/** The frame type a complete or partial frame declares, without checking it (null if unknown). */
export function peekFrameType(bytes: Uint8Array): FrameType | null {
  if (bytes.length < 2 || bytes[0] !== SYNC_BYTE) return null;
  return FRAME_TYPES[(bytes[1]! >> 4) & 0x07] ?? null;
}

function hex2(b: number): string { return b.toString(16).padStart(2, '0').toUpperCase(); }
