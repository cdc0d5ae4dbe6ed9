/**
 * The IEC 61968-9 `MeterReadings` message in its IEC 61968-100 envelope, as one plain object
 * whose keys are the XSD element names (reference/cim-61968-9.md §1, §2; Connexo
 * MeterReadings.xsd, MeterReadingsMessage.xsd, Message.xsd). The JSON form is this object; the
 * XML form has the same names, so the two convert losslessly (json-codec.ts, xml-codec.ts).
 *
 * Profile (a subset of the XSD, in XSD order): Header{Verb, Noun, Timestamp, Source, MessageID,
 * CorrelationID}, Reply{Result, Error[]}, Payload.MeterReadings.MeterReading[]{IntervalBlocks[],
 * Meter, Readings[], UsagePoint}. Anything else is refused by name, not ignored: an importer
 * must not sign for data it dropped. Values stay decimal text (`value` is xs:string in the XSD),
 * so no float ever touches them. Empty lists are absent on the wire and `[]` in the object.
 *
 * `validateMessage` is the one boundary check; both decoders end in it and both encoders start
 * with it. Codes: `CIM_FIELD_INVALID` (the field is named), `CIM_VALUE_INVALID`,
 * `CIM_READING_TYPE_INVALID`, `CIM_QUALITY_INVALID`.
 */
import { ValidationError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** Namespaces of the 2011 XSDs (reference §1). */
export const CIM_NS = {
  /** The message types: root element, Header, Reply, Payload wrappers. */
  message: 'http://iec.ch/TC57/2011/MeterReadingsMessage',
  /** IEC 61968-100 HeaderType / ReplyType children (Verb, Noun, …, Result, Error). */
  header: 'http://iec.ch/TC57/2011/schema/message',
  /** The MeterReadings payload. */
  payload: 'http://iec.ch/TC57/2011/MeterReadings#',
} as const;

/** IEC 61968-100 verbs (Message.xsd HeaderType.Verb). `get` is not here: it has its own message (GetMeterReadings). */
export const CIM_VERBS = ['create', 'created', 'change', 'changed', 'cancel', 'canceled', 'close', 'closed', 'delete', 'deleted', 'reply'] as const;
export type CimVerb = (typeof CIM_VERBS)[number];
export const CIM_RESULTS = ['OK', 'PARTIAL', 'FAILED'] as const;
export const CIM_ERROR_LEVELS = ['INFORM', 'WARNING', 'FATAL', 'CATASTROPHIC'] as const;

export interface CimHeader {
  Verb: CimVerb;
  Noun: 'MeterReadings';
  Timestamp?: string;
  Source?: string;
  MessageID?: string;
  CorrelationID?: string;
}
export interface CimReplyError { code: string; level?: (typeof CIM_ERROR_LEVELS)[number]; reason?: string; details?: string }
export interface CimReply { Result: (typeof CIM_RESULTS)[number]; Error: CimReplyError[] }
export interface CimRef { ref: string }
export interface CimName { name: string; NameType?: { name: string } }
/** Meter and UsagePoint: IdentifiedObject mRID and Names. */
export interface CimIdentified { mRID?: string; Names: CimName[] }
export interface CimReadingQuality { comment?: string; source?: string; timeStamp?: string; ReadingQualityType: CimRef }
export interface CimReading { source?: string; timeStamp: string; value: string; ReadingQualities: CimReadingQuality[]; ReadingType: CimRef }
/**
 * One interval value. `value` may be absent (it is optional in the XSD): an interval the sender
 * could not measure carries only its ReadingQualities (e.g. missing, partial) — never a made-up number.
 */
export interface CimIntervalReading { source?: string; timeStamp: string; value?: string; ReadingQualities: CimReadingQuality[] }
export interface CimIntervalBlock { IntervalReadings: CimIntervalReading[]; ReadingType: CimRef }
export interface CimMeterReading { IntervalBlocks: CimIntervalBlock[]; Meter?: CimIdentified; Readings: CimReading[]; UsagePoint?: CimIdentified }
export interface CimMeterReadings { MeterReading: CimMeterReading[] }
/** A whole message: RequestMessage / EventMessage (no Reply) or ResponseMessage (Reply). */
export interface CimMessage { Header: CimHeader; Reply?: CimReply; Payload?: { MeterReadings: CimMeterReadings } }

/** Longest free-text field (mRID, name, comment, source, ids) we carry. */
export const MAX_CIM_STRING = 256;
/** Decimal text: optional minus, integer part without leading zeros, optional fraction. */
export const CIM_DECIMAL_RE = /^-?(?:0|[1-9][0-9]{0,39})(?:\.[0-9]{1,40})?$/;
/** xs:dateTime with a mandatory zone: a time without one is ambiguous and refused. */
export const CIM_DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)$/;
/** The 18-part ReadingType code (reference §3): integers, the multiplier (index 15) may be negative. */
export const READING_TYPE_RE = /^(?:0|[1-9]\d{0,4})(?:\.(?:0|[1-9]\d{0,4})){14}\.(?:0|-?[1-9]\d{0,1})\.(?:0|[1-9]\d{0,4})\.(?:0|[1-9]\d{0,4})$/;
/** ReadingQualityType ref `system.category.index` (reference §1). */
export const QUALITY_REF_RE = /^(?:0|[1-9]\d{0,2})\.(?:0|[1-9]\d{0,2})\.(?:0|[1-9]\d{0,5})$/;
const TEXT_RE = /^[^\x00-\x1F\x7F]{1,256}$/;

function bad(code: ErrorCode, field: string, expected: string, found: unknown): never {
  throw new ValidationError(code, field, expected, found);
}
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function obj(x: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  if (!isObject(x)) bad('CIM_FIELD_INVALID', field, `an object {${keys.join(', ')}}`, x);
  for (const k of Object.keys(x)) if (!keys.includes(k)) bad('CIM_FIELD_INVALID', `${field}.${k}`, `no such element (known: ${keys.join(', ')})`, x[k]);
  return x;
}
function list<T>(x: unknown, field: string, each: (v: unknown, f: string) => T, min = 0): T[] {
  if (x === undefined && min === 0) return [];
  if (!Array.isArray(x) || x.length < min) bad('CIM_FIELD_INVALID', field, min ? `a list of at least ${min}` : 'a list', x);
  return x.map((v, i) => each(v, `${field}[${i}]`));
}
function text(x: unknown, field: string): string {
  if (typeof x !== 'string' || !TEXT_RE.test(x)) bad('CIM_FIELD_INVALID', field, `text of 1..${MAX_CIM_STRING} characters without control characters`, x);
  return x;
}
const optText = (x: unknown, field: string): string | undefined => (x === undefined ? undefined : text(x, field));

/** True when `s` is an xs:dateTime with zone naming a real calendar instant. */
export function isCimDateTime(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = CIM_DATETIME_RE.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return days !== undefined && d >= 1 && d <= days && h <= 23 && mi <= 59 && se <= 59;
}
function dateTime(x: unknown, field: string): string {
  if (!isCimDateTime(x)) bad('CIM_FIELD_INVALID', field, 'an xs:dateTime with a zone, e.g. 2025-11-13T02:13:20.000Z', x);
  return x;
}
const optDateTime = (x: unknown, field: string): string | undefined => (x === undefined ? undefined : dateTime(x, field));
function decimal(x: unknown, field: string): string {
  if (typeof x !== 'string' || !CIM_DECIMAL_RE.test(x)) bad('CIM_VALUE_INVALID', field, 'decimal text like 1502.331 (no exponent, sign +, spaces or leading zeros)', x);
  return x;
}
function readingTypeRef(x: unknown, field: string): CimRef {
  const o = obj(x, field, ['ref']);
  if (typeof o.ref !== 'string' || !READING_TYPE_RE.test(o.ref)) bad('CIM_READING_TYPE_INVALID', `${field}.ref`, 'an 18-part ReadingType code like 0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0', o.ref);
  return { ref: o.ref };
}
function oneOf<T extends string>(x: unknown, field: string, allowed: readonly T[]): T {
  if (typeof x !== 'string' || !(allowed as readonly string[]).includes(x)) bad('CIM_FIELD_INVALID', field, allowed.join(' | '), x);
  return x as T;
}
/** Copy only the defined optional fields, in the given (XSD) order. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function name(x: unknown, f: string): CimName {
  const o = obj(x, f, ['name', 'NameType']);
  const out: CimName = { name: text(o.name, `${f}.name`) };
  if (o.NameType !== undefined) out.NameType = { name: text(obj(o.NameType, `${f}.NameType`, ['name']).name, `${f}.NameType.name`) };
  return out;
}
function identified(x: unknown, f: string): CimIdentified {
  const o = obj(x, f, ['mRID', 'Names']);
  return defined({ mRID: optText(o.mRID, `${f}.mRID`), Names: list(o.Names, `${f}.Names`, name) });
}
function quality(x: unknown, f: string): CimReadingQuality {
  const o = obj(x, f, ['comment', 'source', 'timeStamp', 'ReadingQualityType']);
  const t = obj(o.ReadingQualityType, `${f}.ReadingQualityType`, ['ref']);
  if (typeof t.ref !== 'string' || !QUALITY_REF_RE.test(t.ref)) bad('CIM_QUALITY_INVALID', `${f}.ReadingQualityType.ref`, 'a quality code system.category.index like 1.0.0', t.ref);
  return defined({ comment: optText(o.comment, `${f}.comment`), source: optText(o.source, `${f}.source`), timeStamp: optDateTime(o.timeStamp, `${f}.timeStamp`), ReadingQualityType: { ref: t.ref } });
}
function reading(x: unknown, f: string): CimReading {
  const o = obj(x, f, ['source', 'timeStamp', 'value', 'ReadingQualities', 'ReadingType']);
  return defined({
    source: optText(o.source, `${f}.source`), timeStamp: dateTime(o.timeStamp, `${f}.timeStamp`), value: decimal(o.value, `${f}.value`),
    ReadingQualities: list(o.ReadingQualities, `${f}.ReadingQualities`, quality), ReadingType: readingTypeRef(o.ReadingType, `${f}.ReadingType`),
  });
}
function intervalReading(x: unknown, f: string): CimIntervalReading {
  const o = obj(x, f, ['source', 'timeStamp', 'value', 'ReadingQualities']);
  return defined({
    source: optText(o.source, `${f}.source`), timeStamp: dateTime(o.timeStamp, `${f}.timeStamp`), value: o.value === undefined ? undefined : decimal(o.value, `${f}.value`),
    ReadingQualities: list(o.ReadingQualities, `${f}.ReadingQualities`, quality),
  });
}
function intervalBlock(x: unknown, f: string): CimIntervalBlock {
  const o = obj(x, f, ['IntervalReadings', 'ReadingType']);
  return { IntervalReadings: list(o.IntervalReadings, `${f}.IntervalReadings`, intervalReading), ReadingType: readingTypeRef(o.ReadingType, `${f}.ReadingType`) };
}
function meterReading(x: unknown, f: string): CimMeterReading {
  const o = obj(x, f, ['IntervalBlocks', 'Meter', 'Readings', 'UsagePoint']);
  return defined({
    IntervalBlocks: list(o.IntervalBlocks, `${f}.IntervalBlocks`, intervalBlock),
    Meter: o.Meter === undefined ? undefined : identified(o.Meter, `${f}.Meter`),
    Readings: list(o.Readings, `${f}.Readings`, reading),
    UsagePoint: o.UsagePoint === undefined ? undefined : identified(o.UsagePoint, `${f}.UsagePoint`),
  });
}
function replyError(x: unknown, f: string): CimReplyError {
  const o = obj(x, f, ['code', 'level', 'reason', 'details']);
  return defined({
    code: text(o.code, `${f}.code`), level: o.level === undefined ? undefined : oneOf(o.level, `${f}.level`, CIM_ERROR_LEVELS),
    reason: optText(o.reason, `${f}.reason`), details: optText(o.details, `${f}.details`),
  });
}

/**
 * Validate an untrusted message object (the JSON form) and return a fresh copy in canonical
 * form: keys in XSD order, absent optionals omitted, lists always present. A `reply` needs a
 * Reply and only a `reply` may carry one (61968-100 ResponseMessage vs Request/EventMessage).
 */
export function validateMessage(x: unknown): CimMessage {
  const o = obj(x, 'message', ['Header', 'Reply', 'Payload']);
  const h = obj(o.Header, 'Header', ['Verb', 'Noun', 'Timestamp', 'Source', 'MessageID', 'CorrelationID']);
  const Header: CimHeader = defined({
    Verb: oneOf(h.Verb, 'Header.Verb', CIM_VERBS), Noun: oneOf(h.Noun, 'Header.Noun', ['MeterReadings'] as const),
    Timestamp: optDateTime(h.Timestamp, 'Header.Timestamp'), Source: optText(h.Source, 'Header.Source'),
    MessageID: optText(h.MessageID, 'Header.MessageID'), CorrelationID: optText(h.CorrelationID, 'Header.CorrelationID'),
  });
  const out: CimMessage = { Header };
  if (Header.Verb === 'reply' && o.Reply === undefined) bad('CIM_FIELD_INVALID', 'Reply', 'a Reply (Verb is reply)', undefined);
  if (Header.Verb !== 'reply' && o.Reply !== undefined) bad('CIM_FIELD_INVALID', 'Reply', `nothing (only a reply carries one; Verb is ${Header.Verb})`, o.Reply);
  if (o.Reply !== undefined) {
    const r = obj(o.Reply, 'Reply', ['Result', 'Error']);
    out.Reply = { Result: oneOf(r.Result, 'Reply.Result', CIM_RESULTS), Error: list(r.Error, 'Reply.Error', replyError) };
  }
  if (o.Payload !== undefined) {
    const p = obj(o.Payload, 'Payload', ['MeterReadings']);
    const mr = obj(p.MeterReadings, 'Payload.MeterReadings', ['MeterReading']);
    out.Payload = { MeterReadings: { MeterReading: list(mr.MeterReading, 'Payload.MeterReadings.MeterReading', meterReading) } };
  }
  return out;
}
