/**
 * The signed reading (DESIGN §3): one snapshot of one meter at one instant, signed once.
 * Validation happens here, at the boundary, and fails closed naming the field
 * (`PROTO_READING_INVALID`). Everything downstream trusts a validated Reading.
 */
import { ValidationError } from './errors.js';
import { isHex, type Hex } from './hex.js';
import { isObisCode, quantityInfo } from './quantities.js';

/** One value of a reading: `value` × 10^`scale` in `unit`, integers only. */
export interface Measurement {
  quantity: string;
  value: number;
  scale: number;
  unit: string;
}

/** One snapshot of one meter at one instant. */
export interface Reading {
  pod: string;
  meter: string;
  seq: number;
  timestamp: number;
  source: string;
  values: Measurement[];
}

/** A reading with its 65-byte EIP-712 signature r||s||v (v ∈ {27, 28}, low-s). */
export interface SignedReading extends Reading {
  signature: Hex;
}

/**
 * Italian PoD code: `IT`, 3-digit distributor code, `E` (electricity), 8 digits, and an optional
 * check character (some DSOs print 15-character codes). Upper case only.
 */
export const POD_RE = /^IT\d{3}E\d{8}[A-Z0-9]?$/;
/** Meter id local to the Light Node: 1..64 of `[A-Za-z0-9._:-]`. */
export const METER_RE = /^[A-Za-z0-9._:-]{1,64}$/;
/** Setpoint id: 1..53 of `[A-Za-z0-9._:-]`, so `activation:<id>` fits a 64-character source. */
export const SETPOINT_ID_RE = /^[A-Za-z0-9._:-]{1,53}$/;
/**
 * Reading source: where the values came from. PMU readings name the SHA-256 of the exact bytes
 * the PMU sent (`c37118:<hex>` a C37.118 data frame, `pmu-json:<hex>` a JSON payload), so the
 * signature covers a link to the raw frame the Light Node keeps. Readings a DSO data server sent
 * as CIM name the keccak256 of its signed message (`cim:<hex>`, ./cim/import-map.ts).
 */
export const SOURCE_RE = /^(?:modbus|chain2|ems|activation:[A-Za-z0-9._:-]{1,53}|c37118:[0-9a-f]{64}|pmu-json:[0-9a-f]{64}|cim:[0-9a-f]{64})$/;
/** Units a measurement may carry (`1` = dimensionless). */
export const UNITS: ReadonlySet<string> = new Set(['Wh', 'W', 'V', 'A', 'Hz', 'Hz/s', 'var', 'varh', 'VA', 'VAh', '%', 'deg', 's', '1']);
/** Scale bounds (int8 in the signed struct; ±18 keeps 10^scale meaningful). */
export const MIN_SCALE = -18;
export const MAX_SCALE = 18;
/** Values per reading. */
export const MAX_VALUES = 64;
/**
 * Timestamp bounds in ms: from 2001-09-09 (1e12 ms) to the end of the JS Date range. The lower
 * bound refuses timestamps in seconds, the most common unit bug in the field.
 */
export const MIN_TIMESTAMP_MS = 1_000_000_000_000;
export const MAX_TIMESTAMP_MS = 8_640_000_000_000_000;

const READING_KEYS = ['pod', 'meter', 'seq', 'timestamp', 'source', 'values'] as const;
const MEASUREMENT_KEYS = ['quantity', 'value', 'scale', 'unit'] as const;
const CODE = 'PROTO_READING_INVALID';

function fail(field: string, expected: string, found: unknown): never {
  throw new ValidationError(CODE, field, expected, found);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) fail(`${prefix}${k}`, 'no such field', obj[k]);
}

/** Validate one measurement; `field` names it in errors (e.g. `values[3]`). */
export function validateMeasurement(x: unknown, field = 'measurement'): Measurement {
  if (!isPlainObject(x)) fail(field, 'an object {quantity, value, scale, unit}', x);
  checkKeys(x, MEASUREMENT_KEYS, `${field}.`);
  const { quantity, value, scale, unit } = x;
  if (!isObisCode(quantity)) fail(`${field}.quantity`, 'an OBIS code A-B:C.D.E', quantity);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(`${field}.value`, 'a safe integer', value);
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
    fail(`${field}.scale`, `an integer ${MIN_SCALE}..${MAX_SCALE}`, scale);
  }
  if (typeof unit !== 'string' || !UNITS.has(unit)) fail(`${field}.unit`, `one of ${[...UNITS].join(' ')}`, unit);
  const info = quantityInfo(quantity);
  if (info && info.unit !== unit) fail(`${field}.unit`, `${info.unit} (the unit of ${quantity})`, unit);
  // -0 would serialise as 0 but is a different JS value; normalise so equality checks hold.
  return { quantity, value: value === 0 ? 0 : value, scale: scale === 0 ? 0 : scale, unit };
}

function validateFields(x: Record<string, unknown>): Reading {
  const { pod, meter, seq, timestamp, source, values } = x;
  if (typeof pod !== 'string' || !POD_RE.test(pod)) fail('pod', 'an Italian PoD code like IT001E12345678', pod);
  if (typeof meter !== 'string' || !METER_RE.test(meter)) fail('meter', '1..64 characters of [A-Za-z0-9._:-]', meter);
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) fail('seq', 'a safe integer >= 0', seq);
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < MIN_TIMESTAMP_MS || timestamp > MAX_TIMESTAMP_MS) {
    fail('timestamp', `an integer number of ms since the epoch, ${MIN_TIMESTAMP_MS}..${MAX_TIMESTAMP_MS}`, timestamp);
  }
  if (typeof source !== 'string' || !SOURCE_RE.test(source)) fail('source', "'modbus' | 'chain2' | 'ems' | 'activation:<setpoint id>' | 'c37118:<sha256 hex>' | 'pmu-json:<sha256 hex>' | 'cim:<keccak256 hex>'", source);
  if (!Array.isArray(values) || values.length < 1 || values.length > MAX_VALUES) fail('values', `an array of 1..${MAX_VALUES} measurements`, values);
  const seen = new Set<string>();
  const out: Measurement[] = [];
  for (let i = 0; i < values.length; i++) {
    const m = validateMeasurement(values[i], `values[${i}]`);
    if (seen.has(m.quantity)) fail(`values[${i}].quantity`, 'a quantity not already in this reading', m.quantity);
    seen.add(m.quantity);
    out.push(m);
  }
  return { pod, meter, seq, timestamp, source, values: out };
}

/**
 * Validate an untrusted reading. Returns a fresh object holding only the Reading fields
 * (a `signature` field is tolerated and dropped; any other extra field is refused).
 * Throws `ValidationError` `PROTO_READING_INVALID` naming the field.
 */
export function validateReading(x: unknown): Reading {
  if (!isPlainObject(x)) fail('reading', 'an object', x);
  checkKeys(x, [...READING_KEYS, 'signature'], '');
  return validateFields(x);
}

/**
 * Validate an untrusted signed reading: the reading fields plus a 65-byte hex `signature`.
 * Only the signature's shape is checked here; `recoverReadingSigner` checks r, s and v.
 */
export function validateSignedReading(x: unknown): SignedReading {
  if (!isPlainObject(x)) fail('reading', 'an object', x);
  checkKeys(x, [...READING_KEYS, 'signature'], '');
  const reading = validateFields(x);
  const { signature } = x;
  if (!isHex(signature, 65)) fail('signature', '0x-prefixed hex of 65 bytes (r||s||v)', signature);
  return { ...reading, signature: signature.toLowerCase() as Hex };
}
