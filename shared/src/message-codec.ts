/**
 * Payload framing shared by every MQTT message: UTF-8 JSON, at most 1 MiB, an object with `v: 1`.
 * Decoding is the one place where bytes become untrusted objects; it fails closed with
 * `PROTO_MESSAGE_TOO_LARGE` or `PROTO_MESSAGE_INVALID` and never throws anything else.
 */
import { LightNodeError, ValidationError, describe, isLightNodeError } from './errors.js';

/** Largest payload we parse or produce, in bytes (1 MiB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Protocol version carried in every message as `v`. */
export const MESSAGE_VERSION = 1;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 length of a string without encoding it when the answer is obvious. */
export function utf8Length(s: string): number {
  if (s.length * 3 <= MAX_MESSAGE_BYTES) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }
  return utf8.encode(s).length;
}

/** The `PROTO_MESSAGE_TOO_LARGE` error for a payload of `bytes`. */
export function tooLarge(bytes: number): LightNodeError {
  return new LightNodeError('PROTO_MESSAGE_TOO_LARGE', `payload of ${bytes} bytes exceeds ${MAX_MESSAGE_BYTES}`, { bytes, max: MAX_MESSAGE_BYTES });
}

/** Throw `PROTO_MESSAGE_INVALID` naming `field`. */
export function invalid(field: string, expected: string, found: unknown): never {
  throw new ValidationError('PROTO_MESSAGE_INVALID', field, expected, found);
}

/**
 * Bytes or text → a plain object with `v: version` (default 1; or one of several) whose keys are all in `allowed`.
 * Throws `PROTO_MESSAGE_TOO_LARGE` or `PROTO_MESSAGE_INVALID`.
 */
export function decodeMessage(payload: Uint8Array | string, allowed: readonly string[], version: number | readonly number[] = MESSAGE_VERSION): Record<string, unknown> {
  let text: string;
  if (typeof payload === 'string') {
    if (payload.length > MAX_MESSAGE_BYTES) throw tooLarge(payload.length); // at least this many bytes
    const n = utf8Length(payload);
    if (n > MAX_MESSAGE_BYTES) throw tooLarge(n);
    text = payload;
  } else if (payload instanceof Uint8Array) {
    if (payload.length > MAX_MESSAGE_BYTES) throw tooLarge(payload.length);
    try {
      text = utf8Strict.decode(payload);
    } catch {
      invalid('payload', 'UTF-8 text', payload);
    }
  } else {
    invalid('payload', 'bytes or a string', payload);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new LightNodeError('PROTO_MESSAGE_INVALID', `payload: expected JSON, found ${describe(text)}`, { field: 'payload', expected: 'JSON', found: describe(text) }, { cause: e });
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) invalid('payload', 'a JSON object', obj);
  const rec = obj as Record<string, unknown>;
  if (typeof version === 'number' ? rec['v'] !== version : !version.includes(rec['v'] as number)) invalid('v', typeof version === 'number' ? String(version) : version.join(' | '), rec['v']);
  for (const k of Object.keys(rec)) if (k !== 'v' && !allowed.includes(k)) invalid(k, 'no such field', rec[k]);
  return rec;
}

/** JSON text of an already validated message; throws `PROTO_MESSAGE_TOO_LARGE` above 1 MiB. */
export function encodeMessage(msg: object): string {
  const text = JSON.stringify(msg);
  const n = utf8Length(text);
  if (n > MAX_MESSAGE_BYTES) throw tooLarge(n);
  return text;
}

/**
 * Run a nested validator and re-label its error as `PROTO_MESSAGE_INVALID` with the field path
 * prefixed (`readings[3].values[0].value`); the nested code is kept in `details.reason`.
 */
export function nested<T>(prefix: string, validate: () => T, selfName?: string): T {
  try {
    return validate();
  } catch (e) {
    if (!isLightNodeError(e)) throw e;
    const d = e.details as { field?: string; expected?: string; found?: string };
    // `selfName` is the nested validator's name for the whole value (e.g. 'reading'): no doubling.
    const field = d.field === undefined || d.field === selfName ? prefix : `${prefix}.${d.field}`;
    throw new LightNodeError('PROTO_MESSAGE_INVALID', `${field}: expected ${d.expected ?? 'valid input'}, found ${d.found ?? 'invalid input'}`, { field, expected: d.expected, found: d.found, reason: e.code }, { cause: e });
  }
}

/** Safe integer ≥ 0 check used by several messages. */
export function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
