/**
 * Hex string helpers. Hex strings crossing package boundaries are `0x`-prefixed; we emit
 * lower case and accept either case on input (docs/interfaces.md, "Module conventions").
 */
import { ValidationError, type ErrorCode } from './errors.js';

/** A `0x`-prefixed hex string. */
export type Hex = `0x${string}`;

const HEX_CHARS = '0123456789abcdef';
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, i) => HEX_CHARS[i >> 4]! + HEX_CHARS[i & 15]!);

/** Bytes → lower-case `0x` hex. */
export function bytesToHex(bytes: Uint8Array): Hex {
  let out = '0x';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!]!;
  return out as Hex;
}

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/** True when `x` is a `0x` hex string with an even number of digits (and `byteLength` bytes, if given). */
export function isHex(x: unknown, byteLength?: number): x is Hex {
  if (typeof x !== 'string' || x.length < 2 || x.charCodeAt(0) !== 48 || (x.charCodeAt(1) | 32) !== 120) return false;
  if ((x.length & 1) !== 0) return false;
  if (byteLength !== undefined && x.length !== 2 + 2 * byteLength) return false;
  for (let i = 2; i < x.length; i++) if (nibble(x.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * `0x` hex → bytes. Throws `ValidationError` (`code`, default `PROTO_HEX_INVALID`) naming
 * `field` when the input is not hex or not `byteLength` bytes long.
 */
export function hexToBytes(hex: unknown, byteLength?: number, field = 'hex', code: ErrorCode = 'PROTO_HEX_INVALID'): Uint8Array {
  if (!isHex(hex, byteLength)) {
    throw new ValidationError(code, field, byteLength === undefined ? '0x-prefixed hex' : `0x-prefixed hex of ${byteLength} bytes`, hex);
  }
  const out = new Uint8Array((hex.length - 2) >> 1);
  for (let i = 0, j = 2; i < out.length; i++, j += 2) {
    out[i] = (nibble(hex.charCodeAt(j)) << 4) | nibble(hex.charCodeAt(j + 1));
  }
  return out;
}

/** True when `x` is a 20-byte address in hex (any case; no checksum check, see normalizeAddress). */
export function isAddress(x: unknown): x is Hex {
  return isHex(x, 20);
}

/** Address → lower case, the form used in storage and comparisons. Throws on a non-address. */
export function normalizeAddress(x: unknown, field = 'address', code: ErrorCode = 'PROTO_ADDRESS_INVALID'): Hex {
  if (!isAddress(x)) throw new ValidationError(code, field, 'a 20-byte 0x address', x);
  return x.toLowerCase() as Hex;
}

/** Constant-shape byte comparison (not secret-safe; used for digests and roots). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
