/**
 * Chain 2 message model and validation (reference/chain2.md): one JSON object per message, in one
 * of three envelopes — Chain2Info, Chain2State, Chain2Data. Bad input is refused with a reason
 * code (`CHAIN2_JSON_INVALID`, `CHAIN2_ENVELOPE_UNKNOWN`, `CHAIN2_TYPE_UNKNOWN`,
 * `CHAIN2_FIELD_MISSING`, `CHAIN2_FIELD_INVALID`) so the reader can count it and keep running.
 *
 * Extra payload fields are tolerated and listed in `ignoredFields` (gateway firmware adds fields;
 * refusing them would stop the meter's data), while every documented field must be present and
 * correctly typed — numbers as strings are refused, never coerced.
 */
import { LightNodeError, ValidationError, describe } from './errors.js';
import type { Measurement } from './reading.js';
import { QUANTITIES, toMeasurement } from './quantities.js';
import { CHAIN2_TYPES, CHAIN2_INFO_FIELDS, CHAIN2_QUANTITIES, CHAIN2_TIME_FIELD, type Chain2Type, type FieldKind } from './chain2-fields.js';

export { CHAIN2_TYPES, type Chain2Type } from './chain2-fields.js';

type ValueOf<K extends FieldKind> = K extends 'string' ? string : K extends 'id' ? string | number : number;
/** The typed payload of a message type, derived from its field table. */
export type Chain2Payload<T extends Chain2Type> = { -readonly [F in keyof (typeof CHAIN2_TYPES)[T]]: ValueOf<(typeof CHAIN2_TYPES)[T][F] & FieldKind> };

export interface Chain2Info { envelope: 'Chain2Info'; Id: string | number; Ip: string; ProgId: string | number; CFcountFromBoot: number }
export interface Chain2State { envelope: 'Chain2State'; state: Record<string, string | number | boolean | null> }
export type Chain2Data = {
  [T in Chain2Type]: { envelope: 'Chain2Data'; meter: string; type: T; payload: Chain2Payload<T>; ignoredFields: string[] };
}[Chain2Type];
export type Chain2Message = Chain2Info | Chain2State | Chain2Data;

/** Longest message text we parse (a CF20 is well under 1 KiB). */
export const MAX_CHAIN2_CHARS = 64 * 1024;
const MAX_STRING = 256;
const MAX_STATE_FIELDS = 64;

function missing(field: string): never {
  throw new ValidationError('CHAIN2_FIELD_MISSING', field, 'a value (field is required)', undefined);
}
function bad(field: string, expected: string, found: unknown): never {
  throw new ValidationError('CHAIN2_FIELD_INVALID', field, expected, found);
}
function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const EXPECTED: Record<FieldKind, string> = {
  uint: 'a non-negative integer',
  int: 'an integer',
  posix: 'POSIX seconds (non-negative integer)',
  number: 'a finite number',
  string: `a string of at most ${MAX_STRING} characters`,
  id: 'a string or a non-negative integer',
};

function checkField(kind: FieldKind, value: unknown, field: string): string | number {
  if (value === undefined) missing(field);
  const uint = typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  const str = typeof value === 'string' && value.length <= MAX_STRING;
  const ok =
    kind === 'uint' || kind === 'posix' ? uint
    : kind === 'int' ? typeof value === 'number' && Number.isSafeInteger(value)
    : kind === 'number' ? typeof value === 'number' && Number.isFinite(value)
    : kind === 'string' ? str
    : uint || str;
  if (!ok) bad(field, EXPECTED[kind], value);
  return value as string | number;
}

function checkFields(table: Record<string, FieldKind>, obj: Record<string, unknown>, prefix: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [name, kind] of Object.entries(table)) out[name] = checkField(kind, obj[name], `${prefix}.${name}`);
  return out;
}

/** Parse one Chain 2 message (JSON text as the gateway sends it). */
export function parseChain2Message(text: string): Chain2Message {
  if (typeof text !== 'string') throw new ValidationError('CHAIN2_JSON_INVALID', 'message', 'JSON text', text);
  if (text.length > MAX_CHAIN2_CHARS) throw new ValidationError('CHAIN2_JSON_INVALID', 'message', `at most ${MAX_CHAIN2_CHARS} characters`, text);
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw new LightNodeError('CHAIN2_JSON_INVALID', `message: expected JSON, found ${describe(text)}`, { field: 'message', expected: 'JSON', found: describe(text) }, { cause: e });
  }
  return validateChain2Message(x);
}

/** Validate an already-decoded Chain 2 object (same rules and codes as parseChain2Message). */
export function validateChain2Message(x: unknown): Chain2Message {
  const keys = isObject(x) ? Object.keys(x) : [];
  if (!isObject(x) || keys.length !== 1 || !['Chain2Info', 'Chain2State', 'Chain2Data'].includes(keys[0]!)) {
    throw new ValidationError('CHAIN2_ENVELOPE_UNKNOWN', 'envelope', 'an object with exactly one of Chain2Info, Chain2State, Chain2Data', isObject(x) ? `{${keys.slice(0, 5).join(',')}}` : x);
  }
  const envelope = keys[0]!;
  const body = x[envelope];
  if (!isObject(body)) bad(envelope, 'an object', body);

  if (envelope === 'Chain2Info') {
    const f = checkFields(CHAIN2_INFO_FIELDS, body, envelope);
    return { envelope, Id: f['Id']!, Ip: f['Ip'] as string, ProgId: f['ProgId']!, CFcountFromBoot: f['CFcountFromBoot'] as number };
  }
  if (envelope === 'Chain2State') {
    const entries = Object.entries(body);
    if (entries.length > MAX_STATE_FIELDS) bad(envelope, `at most ${MAX_STATE_FIELDS} fields`, body);
    for (const [k, v] of entries) {
      const scalar = v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_STRING);
      if (!scalar) bad(`${envelope}.${k}`, 'a scalar (string, number, boolean, null)', v);
    }
    return { envelope, state: { ...(body as Chain2State['state']) } };
  }

  const { Meter, Type, Payload } = body;
  if (Meter === undefined) missing('Chain2Data.Meter');
  if (typeof Meter !== 'string' || Meter.length < 1 || Meter.length > 64) bad('Chain2Data.Meter', 'a string of 1..64 characters', Meter);
  if (Type === undefined) missing('Chain2Data.Type');
  if (typeof Type !== 'string') bad('Chain2Data.Type', 'a message type string', Type);
  if (!Object.hasOwn(CHAIN2_TYPES, Type)) {
    throw new ValidationError('CHAIN2_TYPE_UNKNOWN', 'Chain2Data.Type', Object.keys(CHAIN2_TYPES).join(' | '), Type);
  }
  if (Payload === undefined) missing('Chain2Data.Payload');
  if (!isObject(Payload)) bad('Chain2Data.Payload', 'an object', Payload);
  const type = Type as Chain2Type;
  const table = CHAIN2_TYPES[type] as Record<string, FieldKind>;
  const payload = checkFields(table, Payload, 'Chain2Data.Payload');
  const ignoredFields = Object.keys(Payload).filter((k) => !Object.hasOwn(table, k));
  return { envelope: 'Chain2Data', meter: Meter, type, payload, ignoredFields } as Chain2Data;
}

/** The PoD code a message states (CF20 carries it), or null. */
export function chain2PodOf(msg: Chain2Message): string | null {
  return msg.envelope === 'Chain2Data' && msg.type === 'CF20' ? msg.payload.POD : null;
}

/**
 * Turn a Chain2Data message into measurements for a reading (`source: 'chain2'`), by the
 * documented table CHAIN2_QUANTITIES: e.g. TotalActEnergy → 1-0:1.8.0 Wh, InstantPower →
 * 1-0:1.7.0 W. `timestampMs` is the message's own measurement time (CF1, CF21) or null, in which
 * case the caller uses the arrival time. Info/State messages carry no measurements.
 */
export function chain2ToMeasurements(msg: Chain2Message): { timestampMs: number | null; values: Measurement[] } {
  if (msg.envelope !== 'Chain2Data') return { timestampMs: null, values: [] };
  const payload = msg.payload as Record<string, string | number>;
  const values: Measurement[] = [];
  for (const [field, quantity] of Object.entries(CHAIN2_QUANTITIES[msg.type])) {
    const value = payload[field] as number;
    const info = QUANTITIES.get(quantity)!;
    values.push(Number.isInteger(value) ? { quantity, value, scale: 0, unit: info.unit } : toMeasurement(quantity, value));
  }
  const timeField = CHAIN2_TIME_FIELD[msg.type];
  const seconds = timeField === undefined ? undefined : (payload[timeField] as number);
  // POSIX 0 means "not set" on some gateways: fall back to arrival time rather than sign 1970.
  const timestampMs = seconds === undefined || seconds === 0 ? null : seconds * 1000;
  return { timestampMs, values };
}
