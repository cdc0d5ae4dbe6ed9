/**
 * A data server's `created` MeterReadings → the reading model (issue 13 §4). Pure, and the one
 * mapping both the BAL (storing) and the receipt verifier (re-deriving a stored reading from the
 * signed message) run, so the two cannot disagree.
 *
 * - One reading per (UsagePoint, Meter, instant): every Reading and IntervalReading of a
 *   MeterReading with the same time becomes one Measurement of it, in document order
 *   (a reading is one snapshot of one meter at one instant, DESIGN §3).
 * - `pod` = UsagePoint.mRID (required); `meter` = Meter.mRID, or `cim` without a Meter.
 * - `source` = `cim:<keccak256 of the payload, hex>`: the provenance; the data server is the
 *   signer the BAL stores as the reading's `device`.
 * - `seq` = messageMs × 2048 + the reading's index in the message, messageMs = Header.Timestamp:
 *   derived from the signed bytes only, so a re-sent message maps to the same readings (duplicates,
 *   not new rows). A data server gives each message its own Timestamp (ms) and at most 2048 readings.
 * - Values: exact, through the OBIS table (`cimReadingToMeasurement`); an unknown ReadingType is
 *   refused by name. An IntervalReading without a value (a missing interval) makes no reading. Nothing of the message is dropped: the BAL keeps the signed payload, and
 *   `source` binds each reading to it.
 */
import { ValidationError } from '../errors.js';
import type { Hex } from '../hex.js';
import { METER_RE, POD_RE, validateReading, type Measurement, type Reading } from '../reading.js';
import type { CimMessage } from './model.js';
import { cimReadingToMeasurement } from './readings-map.js';

/** Readings per message (seq = messageMs × this + index). */
export const MAX_IMPORT_READINGS = 2048;
/** The meter id of readings whose MeterReading names no Meter. */
export const DEFAULT_IMPORT_METER = 'cim';

export interface ImportedMessage {
  /** Header.Timestamp in ms. */
  messageMs: number;
  /** Header.MessageID (the reply's CorrelationID). */
  messageId: string;
  /** The readings, index = position (seq % MAX_IMPORT_READINGS). */
  readings: Reading[];
}

function bad(field: string, expected: string, found: unknown): never {
  throw new ValidationError('CIM_FIELD_INVALID', field, expected, found);
}

/** The source of readings imported from the payload with this keccak256 hash. */
export function cimSource(payloadHash: Hex): string {
  return `cim:${payloadHash.slice(2).toLowerCase()}`;
}

/**
 * Map a validated `created` MeterReadings message. Throws `CIM_FIELD_INVALID` (verb, missing
 * header field, usage point, meter, a quantity twice at one instant, too many readings),
 * `CIM_READING_TYPE_UNKNOWN`, `CIM_VALUE_UNREPRESENTABLE`, `PROTO_READING_INVALID`.
 */
export function cimMessageToReadings(msg: CimMessage, payloadHash: Hex): ImportedMessage {
  const h = msg.Header;
  if (h.Verb !== 'created') bad('Header.Verb', 'created (a data server publishes new readings)', h.Verb);
  if (h.Timestamp === undefined) bad('Header.Timestamp', 'the message time (it orders the readings: seq)', undefined);
  if (h.MessageID === undefined) bad('Header.MessageID', 'an id (the reply names it as CorrelationID)', undefined);
  const messageMs = Date.parse(h.Timestamp);
  if (!Number.isSafeInteger(messageMs * MAX_IMPORT_READINGS + MAX_IMPORT_READINGS) || messageMs < 0) bad('Header.Timestamp', 'a time between 1970 and 2248', h.Timestamp);
  const mrs = msg.Payload?.MeterReadings.MeterReading ?? [];
  if (mrs.length === 0) bad('Payload.MeterReadings', 'at least one MeterReading', undefined);
  const source = cimSource(payloadHash);
  const groups = new Map<string, { pod: string; meter: string; timestamp: number; values: Measurement[]; field: string }>();
  mrs.forEach((mr, i) => {
    const f = `MeterReading[${i}]`;
    const pod = mr.UsagePoint?.mRID;
    if (pod === undefined || !POD_RE.test(pod)) bad(`${f}.UsagePoint.mRID`, 'a PoD code like IT001E12345678', pod);
    const meter = mr.Meter?.mRID ?? DEFAULT_IMPORT_METER;
    if (!METER_RE.test(meter)) bad(`${f}.Meter.mRID`, '1..64 characters of [A-Za-z0-9._:-]', meter);
    const add = (field: string, timestamp: number, m: Measurement): void => {
      const key = `${pod}\u0000${meter}\u0000${timestamp}`;
      let g = groups.get(key);
      if (!g) {
        if (groups.size >= MAX_IMPORT_READINGS) bad('Payload.MeterReadings', `at most ${MAX_IMPORT_READINGS} readings (meter × instant) per message`, `more at ${field}`);
        g = { pod, meter, timestamp, values: [], field };
        groups.set(key, g);
      }
      if (g.values.some((v) => v.quantity === m.quantity)) bad(field, `a quantity not already given for ${pod}/${meter} at that instant`, m.quantity);
      g.values.push(m);
    };
    mr.Readings.forEach((r, j) => {
      const field = `${f}.Readings[${j}]`;
      const mapped = cimReadingToMeasurement(r, field);
      add(field, mapped.timestampMs, mapped.measurement);
    });
    mr.IntervalBlocks.forEach((b, j) => b.IntervalReadings.forEach((r, k) => {
      const field = `${f}.IntervalBlocks[${j}].IntervalReadings[${k}]`;
      // An interval without a value (missing or partial, marked only by its qualities) makes no
      // reading: there is nothing to measure; the kept signed message still holds its marks.
      const value: string | undefined = r.value;
      if (value === undefined) return;
      const mapped = cimReadingToMeasurement({ timeStamp: r.timeStamp, value, ReadingQualities: r.ReadingQualities, ReadingType: b.ReadingType, ...(r.source !== undefined ? { source: r.source } : {}) }, field);
      add(field, mapped.timestampMs, mapped.measurement);
    }));
  });
  const readings = [...groups.values()].map((g, index) => validateReading({
    pod: g.pod, meter: g.meter, seq: messageMs * MAX_IMPORT_READINGS + index, timestamp: g.timestamp, source, values: g.values,
  }));
  return { messageMs, messageId: h.MessageID, readings };
}
