/**
 * MQTT message schemas (DESIGN §4, docs/interfaces.md): readings batch, ack, status, setpoint
 * command, activation. `parseX(payload)` validates untrusted bytes and throws
 * `PROTO_MESSAGE_INVALID` / `PROTO_MESSAGE_TOO_LARGE`; `serializeX(msg)` validates before it
 * encodes, so nothing invalid is ever sent.
 */
import { LightNodeError } from './errors.js';
import { normalizeAddress, type Hex } from './hex.js';
import { validateSignedReading, SETPOINT_ID_RE, POD_RE, MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS, type SignedReading } from './reading.js';
import { validateSignedSetpoint, type SignedSetpoint } from './setpoint.js';
import { decodeMessage, encodeMessage, invalid, nested, isCount, tooLarge, utf8Length, MAX_MESSAGE_BYTES } from './message-codec.js';

/** Readings per batch. */
export const MAX_BATCH_READINGS = 1000;
/** Stable codes the BAL puts in `Ack.rejected[].code` (the edge quarantines on them). */
export const ACK_REJECT_CODES = [
  'BAL_SIGNATURE_INVALID', 'BAL_SIGNER_NOT_REGISTERED', 'BAL_DEVICE_REVOKED', 'BAL_POD_UNKNOWN',
  'BAL_POD_MISMATCH', 'BAL_EQUIVOCATION', 'BAL_TIMESTAMP_FUTURE', 'BAL_READING_INVALID',
] as const;
export type AckRejectCode = (typeof ACK_REJECT_CODES)[number];

export interface ReadingsBatch { v: 1; readings: SignedReading[] }
export interface AckRejection { seq: number; code: string; reason: string }
export interface Ack { v: 1; stored: number[]; duplicate: number[]; rejected: AckRejection[] }
/**
 * Cumulative ack (`v: 2`, DESIGN §4 "Acks"): one message per PoD per ack window. `settled` lists
 * ranges `[from, to]` (inclusive, sorted, disjoint, not adjacent) of seqs the BAL has durably
 * committed (stored now or stored before); `rejected` as in v1. A range never spans a seq the BAL
 * has not settled (a gap, a reading still in flight), so "stored up to N" covers only stored seqs.
 */
export interface CumulativeAck { v: 2; settled: [number, number][]; rejected: AckRejection[] }
/** Either ack version, as a device receives it. */
export type AnyAck = Ack | CumulativeAck;
/** Most seqs one cumulative ack may cover (summed range lengths): bounds what a device expands. */
export const MAX_ACK_SETTLED_SEQS = 100_000;
export interface Status {
  v: 1; pod: string; device: Hex; state: 'online' | 'offline'; ts: number; lastSeq: number | null;
  spoolDepth: number; quarantined: number; agentVersion: string;
}
export interface SetpointCommand { v: 1; setpoint: SignedSetpoint }
export type ActivationStatus = 'applied' | 'refused' | 'expired';
export interface Activation { v: 1; setpointId: string; status: ActivationStatus; code?: string; reading?: SignedReading }

const CODE_RE = /^[A-Z][A-Z0-9_]{2,63}$/;
const MAX_REASON = 512;
type Payload = Uint8Array | string;

function isTimestamp(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= MIN_TIMESTAMP_MS && x <= MAX_TIMESTAMP_MS;
}

// ---------------------------------------------------------------- readings batch

function readingsOf(o: Record<string, unknown>): unknown[] {
  const readings = o['readings'];
  if (!Array.isArray(readings) || readings.length < 1 || readings.length > MAX_BATCH_READINGS) invalid('readings', `an array of 1..${MAX_BATCH_READINGS} signed readings`, readings);
  return readings;
}

function checkBatch(o: Record<string, unknown>, pod?: string): ReadingsBatch {
  const readings = readingsOf(o).map((r, i) => nested(`readings[${i}]`, () => validateSignedReading(r), 'reading'));
  if (pod !== undefined) {
    readings.forEach((r, i) => {
      if (r.pod !== pod) throw new LightNodeError('PROTO_POD_MISMATCH', `readings[${i}].pod ${r.pod} is not the topic's PoD ${pod}`, { field: `readings[${i}].pod`, expected: pod, found: r.pod });
    });
  }
  return { v: 1, readings };
}

/**
 * Strict parse: every reading valid, and (when `pod` is given) every reading of that PoD, else
 * `PROTO_MESSAGE_INVALID` / `PROTO_POD_MISMATCH`. For the BAL's per-reading verdicts use
 * `splitReadingsBatch`.
 */
export function parseReadingsBatch(payload: Payload, pod?: string): ReadingsBatch {
  return checkBatch(decodeMessage(payload, ['readings']), pod);
}

/**
 * Lenient parse for the BAL: the envelope must be valid (else throws like parseReadingsBatch),
 * but each reading is judged on its own, so one bad reading cannot block its batch-mates.
 * Bad ones come back as ack rejections (`BAL_READING_INVALID`, `BAL_POD_MISMATCH`); a reading
 * with no usable `seq` cannot be acked and is listed in `unackable` (count it, log it).
 */
export function splitReadingsBatch(payload: Payload, pod: string): { readings: SignedReading[]; rejected: AckRejection[]; unackable: { index: number; reason: string }[] } {
  const list = readingsOf(decodeMessage(payload, ['readings']));
  const readings: SignedReading[] = [];
  const rejected: AckRejection[] = [];
  const unackable: { index: number; reason: string }[] = [];
  list.forEach((raw, index) => {
    try {
      const r = validateSignedReading(raw);
      if (r.pod !== pod) rejected.push({ seq: r.seq, code: 'BAL_POD_MISMATCH', reason: `reading pod ${r.pod} is not the topic's PoD ${pod}` });
      else readings.push(r);
    } catch (e) {
      const reason = e instanceof Error ? e.message.slice(0, MAX_REASON) : 'invalid reading';
      const seq = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['seq'] : undefined;
      if (isCount(seq)) rejected.push({ seq, code: 'BAL_READING_INVALID', reason });
      else unackable.push({ index, reason });
    }
  });
  return { readings, rejected, unackable };
}

/** Serialize a batch (validated; throws `PROTO_MESSAGE_TOO_LARGE` above 1 MiB). */
export function serializeReadingsBatch(batch: ReadingsBatch): string {
  return serializeReadingsBatchJson(checkBatch(batch as unknown as Record<string, unknown>).readings.map((r) => JSON.stringify(r)));
}

/** UTF-8 bytes of the batch envelope around the readings: `{"v":1,"readings":[` + `]}`. */
const BATCH_ENVELOPE_BYTES = utf8Length('{"v":1,"readings":[]}');

/**
 * A batch from readings already serialized, each the `JSON.stringify` of a valid SignedReading
 * (the edge spool stores them so, validated and signed at append): spliced, not re-encoded, so
 * a backlog drain does not parse and re-stringify every reading. Byte-identical to
 * `serializeReadingsBatch` of the same readings. `readingsBytes` is the summed UTF-8 length of
 * `readingsJson` when the caller knows it (the spool keeps it per row); else it is measured.
 * Throws `PROTO_MESSAGE_INVALID` for 0 or more than MAX_BATCH_READINGS readings and
 * `PROTO_MESSAGE_TOO_LARGE` above MAX_MESSAGE_BYTES.
 */
export function serializeReadingsBatchJson(readingsJson: readonly string[], readingsBytes?: number): string {
  const n = readingsJson.length;
  if (n < 1 || n > MAX_BATCH_READINGS) invalid('readings', `an array of 1..${MAX_BATCH_READINGS} signed readings`, readingsJson);
  let bytes = readingsBytes;
  if (bytes === undefined) {
    bytes = 0;
    for (const r of readingsJson) bytes += utf8Length(r);
  }
  const total = BATCH_ENVELOPE_BYTES + bytes + n - 1; // n - 1 commas
  if (total > MAX_MESSAGE_BYTES) throw tooLarge(total);
  return `{"v":1,"readings":[${readingsJson.join(',')}]}`;
}

/**
 * How many readings, taken in order from `from`, go in the next batch: at most `maxCount`, and
 * serialized within `maxBytes` (`readingBytes[i]` = UTF-8 length of reading i's JSON). The one
 * batch-size rule of the protocol: the edge uplink and `packReadingsBatches` both cut with it.
 * Returns 0 when nothing is left; throws `PROTO_MESSAGE_TOO_LARGE` when the first reading alone
 * does not fit (it can never be sent).
 */
export function readingsThatFit(readingBytes: readonly number[], maxBytes = MAX_MESSAGE_BYTES, maxCount = MAX_BATCH_READINGS, from = 0): number {
  const end = Math.min(readingBytes.length, from + Math.max(1, maxCount));
  if (from >= end) return 0;
  let size = BATCH_ENVELOPE_BYTES + readingBytes[from]!;
  if (size > maxBytes) throw new LightNodeError('PROTO_MESSAGE_TOO_LARGE', `reading ${from} alone (${readingBytes[from]} bytes) exceeds ${maxBytes} bytes`, { index: from, bytes: readingBytes[from], max: maxBytes });
  let i = from + 1;
  while (i < end && size + 1 + readingBytes[i]! <= maxBytes) size += 1 + readingBytes[i++]!; // 1 = the comma
  return i - from;
}

/**
 * Split signed readings into batches that each serialize within `maxBytes` and `maxCount`
 * (the edge publishes them in order). A single reading larger than `maxBytes` throws
 * `PROTO_MESSAGE_TOO_LARGE` (it cannot be sent at all).
 */
export function packReadingsBatches(readings: SignedReading[], maxBytes = MAX_MESSAGE_BYTES, maxCount = MAX_BATCH_READINGS): ReadingsBatch[] {
  const sizes = readings.map((r) => utf8Length(JSON.stringify(r)));
  const out: ReadingsBatch[] = [];
  for (let i = 0; i < readings.length;) {
    const n = readingsThatFit(sizes, maxBytes, maxCount, i);
    out.push({ v: 1, readings: readings.slice(i, i + n) });
    i += n;
  }
  return out;
}

// ---------------------------------------------------------------- ack

function checkAck(o: Record<string, unknown>): Ack {
  const seen = new Set<number>();
  const seqList = (field: 'stored' | 'duplicate'): number[] => {
    const list = o[field];
    if (!Array.isArray(list)) invalid(field, 'an array of sequence numbers', list);
    return list.map((s, i) => {
      if (!isCount(s)) invalid(`${field}[${i}]`, 'a safe integer >= 0', s);
      if (seen.has(s)) invalid(`${field}[${i}]`, 'a seq not listed twice in one ack', s);
      seen.add(s);
      return s;
    });
  };
  const stored = seqList('stored');
  const duplicate = seqList('duplicate');
  const rej = o['rejected'];
  if (!Array.isArray(rej)) invalid('rejected', 'an array of {seq, code, reason}', rej);
  const rejected = rej.map((x, i): AckRejection => {
    const f = `rejected[${i}]`;
    if (typeof x !== 'object' || x === null || Array.isArray(x)) invalid(f, 'an object {seq, code, reason}', x);
    const { seq, code, reason, ...extra } = x as Record<string, unknown>;
    for (const k of Object.keys(extra)) invalid(`${f}.${k}`, 'no such field', extra[k]);
    if (!isCount(seq)) invalid(`${f}.seq`, 'a safe integer >= 0', seq);
    if (seen.has(seq)) invalid(`${f}.seq`, 'a seq not listed twice in one ack', seq);
    seen.add(seq);
    if (typeof code !== 'string' || !CODE_RE.test(code)) invalid(`${f}.code`, 'an error code like BAL_SIGNATURE_INVALID', code);
    if (typeof reason !== 'string' || reason.length > MAX_REASON) invalid(`${f}.reason`, `a string of at most ${MAX_REASON} characters`, reason);
    return { seq, code, reason };
  });
  if (seen.size === 0) invalid('stored', 'at least one seq in stored, duplicate or rejected', stored);
  return { v: 1, stored, duplicate, rejected };
}

/** Parse an ack (every seq at most once across the three lists, at least one seq). */
export function parseAck(payload: Payload): Ack {
  return checkAck(decodeMessage(payload, ['stored', 'duplicate', 'rejected']));
}
export function serializeAck(ack: Ack): string {
  return encodeMessage(checkAck(ack as unknown as Record<string, unknown>));
}

// ---------------------------------------------------------------- cumulative ack (v 2)

function checkCumulativeAck(o: Record<string, unknown>): CumulativeAck {
  const list = o['settled'];
  if (!Array.isArray(list)) invalid('settled', 'an array of [from, to] seq ranges', list);
  let prev = -2;
  let span = 0;
  const settled = list.map((x, i): [number, number] => {
    if (!Array.isArray(x) || x.length !== 2) invalid(`settled[${i}]`, 'a range [from, to]', x);
    const [from, to] = x as unknown[];
    if (!isCount(from)) invalid(`settled[${i}][0]`, 'a safe integer >= 0', from);
    if (!isCount(to) || to < from) invalid(`settled[${i}][1]`, `a safe integer >= ${from}`, to);
    if (from <= prev + 1) invalid(`settled[${i}][0]`, `a seq above ${prev + 1} (ranges sorted, disjoint, not adjacent)`, from);
    span += to - from + 1;
    if (span > MAX_ACK_SETTLED_SEQS) invalid(`settled[${i}]`, `at most ${MAX_ACK_SETTLED_SEQS} seqs in all ranges`, x);
    prev = to;
    return [from, to];
  });
  const rej = o['rejected'];
  if (!Array.isArray(rej)) invalid('rejected', 'an array of {seq, code, reason}', rej);
  const seen = new Set<number>();
  const inSettled = (seq: number): boolean => settled.some(([a, b]) => seq >= a && seq <= b);
  const rejected = rej.map((x, i): AckRejection => {
    const f = `rejected[${i}]`;
    if (typeof x !== 'object' || x === null || Array.isArray(x)) invalid(f, 'an object {seq, code, reason}', x);
    const { seq, code, reason, ...extra } = x as Record<string, unknown>;
    for (const k of Object.keys(extra)) invalid(`${f}.${k}`, 'no such field', extra[k]);
    if (!isCount(seq)) invalid(`${f}.seq`, 'a safe integer >= 0', seq);
    if (seen.has(seq) || inSettled(seq)) invalid(`${f}.seq`, 'a seq not listed twice in one ack', seq);
    seen.add(seq);
    if (typeof code !== 'string' || !CODE_RE.test(code)) invalid(`${f}.code`, 'an error code like BAL_SIGNATURE_INVALID', code);
    if (typeof reason !== 'string' || reason.length > MAX_REASON) invalid(`${f}.reason`, `a string of at most ${MAX_REASON} characters`, reason);
    return { seq, code, reason };
  });
  if (settled.length === 0 && rejected.length === 0) invalid('settled', 'at least one range or one rejection', settled);
  return { v: 2, settled, rejected };
}

/** Parse a cumulative (v 2) ack. */
export function parseCumulativeAck(payload: Payload): CumulativeAck {
  return checkCumulativeAck(decodeMessage(payload, ['settled', 'rejected'], 2));
}
export function serializeCumulativeAck(ack: CumulativeAck): string {
  return encodeMessage(checkCumulativeAck(ack as unknown as Record<string, unknown>));
}

/**
 * Parse an ack of either version (what a device subscribes to: the BAL sends v 1 per batch or
 * v 2 per window, by its `ingest.ackMode`). Throws like parseAck for anything else.
 */
export function parseAnyAck(payload: Payload): AnyAck {
  const o = decodeMessage(payload, ['stored', 'duplicate', 'rejected', 'settled'], [1, 2]);
  const foreign = o['v'] === 2 ? ['stored', 'duplicate'] : ['settled'];
  for (const k of foreign) if (k in o) invalid(k, 'no such field', o[k]);
  return o['v'] === 2 ? checkCumulativeAck(o) : checkAck(o);
}

/**
 * The seqs an ack settles and rejects, in the v 1 shape the spool applies: a v 2 ack's ranges
 * are expanded into `stored` (a device deletes stored and duplicate seqs alike; at most
 * MAX_ACK_SETTLED_SEQS, checked by the parser).
 */
export function ackLists(ack: AnyAck): Omit<Ack, 'v'> {
  if (ack.v === 1) return { stored: ack.stored, duplicate: ack.duplicate, rejected: ack.rejected };
  const stored: number[] = [];
  for (const [from, to] of ack.settled) for (let s = from; s <= to; s++) stored.push(s);
  return { stored, duplicate: [], rejected: ack.rejected };
}

/** Sorted, disjoint, non-adjacent ranges of a set of seqs (the `settled` of a cumulative ack). */
export function seqRanges(seqs: Iterable<number>): [number, number][] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

// ---------------------------------------------------------------- status

function checkStatus(o: Record<string, unknown>): Status {
  const { pod, device, state, ts, lastSeq, spoolDepth, quarantined, agentVersion } = o;
  if (typeof pod !== 'string' || !POD_RE.test(pod)) invalid('pod', 'an Italian PoD code', pod);
  const dev = nested('device', () => normalizeAddress(device, 'device'), 'device');
  if (state !== 'online' && state !== 'offline') invalid('state', "'online' | 'offline'", state);
  if (!isTimestamp(ts)) invalid('ts', 'ms since the epoch', ts);
  if (lastSeq !== null && !isCount(lastSeq)) invalid('lastSeq', 'a safe integer >= 0 or null', lastSeq);
  if (!isCount(spoolDepth)) invalid('spoolDepth', 'a safe integer >= 0', spoolDepth);
  if (!isCount(quarantined)) invalid('quarantined', 'a safe integer >= 0', quarantined);
  if (typeof agentVersion !== 'string' || agentVersion.length < 1 || agentVersion.length > 64) invalid('agentVersion', 'a string of 1..64 characters', agentVersion);
  return { v: 1, pod, device: dev, state, ts, lastSeq, spoolDepth, quarantined, agentVersion };
}

const STATUS_KEYS = ['pod', 'device', 'state', 'ts', 'lastSeq', 'spoolDepth', 'quarantined', 'agentVersion'];
/** Parse a device status (retained; also the last will with `state: 'offline'`). */
export function parseStatus(payload: Payload): Status {
  const o = decodeMessage(payload, STATUS_KEYS);
  for (const k of STATUS_KEYS) if (!(k in o)) invalid(k, 'a value (field is required)', undefined);
  return checkStatus(o);
}
export function serializeStatus(status: Status): string {
  return encodeMessage(checkStatus(status as unknown as Record<string, unknown>));
}

// ---------------------------------------------------------------- setpoint command

function checkSetpointCommand(o: Record<string, unknown>): SetpointCommand {
  return { v: 1, setpoint: nested('setpoint', () => validateSignedSetpoint(o['setpoint']), 'setpoint') };
}

/** Parse a signed setpoint command (the signature itself is checked by recoverSetpointSigner). */
export function parseSetpointCommand(payload: Payload): SetpointCommand {
  return checkSetpointCommand(decodeMessage(payload, ['setpoint']));
}
export function serializeSetpointCommand(cmd: SetpointCommand): string {
  return encodeMessage(checkSetpointCommand(cmd as unknown as Record<string, unknown>));
}

// ---------------------------------------------------------------- activation

function checkActivation(o: Record<string, unknown>): Activation {
  const { setpointId, status, code, reading } = o;
  if (typeof setpointId !== 'string' || !SETPOINT_ID_RE.test(setpointId)) invalid('setpointId', '1..53 characters of [A-Za-z0-9._:-]', setpointId);
  if (status !== 'applied' && status !== 'refused' && status !== 'expired') invalid('status', "'applied' | 'refused' | 'expired'", status);
  const out: Activation = { v: 1, setpointId, status };
  if (code !== undefined) {
    if (typeof code !== 'string' || !CODE_RE.test(code)) invalid('code', 'an error code like EDGE_SETPOINT_EXPIRED', code);
    out.code = code;
  }
  if (reading !== undefined) {
    const r = nested('reading', () => validateSignedReading(reading), 'reading');
    if (r.source !== `activation:${setpointId}`) invalid('reading.source', `activation:${setpointId}`, r.source);
    out.reading = r;
  }
  return out;
}

/** Parse an activation notice; an attached reading must have `source: 'activation:<setpointId>'`. */
export function parseActivation(payload: Payload): Activation {
  return checkActivation(decodeMessage(payload, ['setpointId', 'status', 'code', 'reading']));
}
export function serializeActivation(a: Activation): string {
  return encodeMessage(checkActivation(a as unknown as Record<string, unknown>));
}
