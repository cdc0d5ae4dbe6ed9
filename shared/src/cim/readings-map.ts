/**
 * Signed readings ↔ CIM MeterReading (issue 13 §2): one MeterReading per (PoD, meter), with
 * `UsagePoint.mRID` = PoD and `Meter.mRID` = meter id; one CIM Reading per measurement, its
 * ReadingType from the OBIS table (reading-type.ts), its value exact decimal text (decimal.ts).
 *
 * Certification travels in `ReadingQualities` (the CIM Reading of the XSD has no Names): each
 * Reading carries a quality `1.0.0` (end device, valid: the BAL verified the Light Node's
 * signature) with `source` `lightnode:eip712-digest` and the digest as `comment`, and once the
 * reading is anchored a second `1.0.0` with `source` `lightnode:anchor-transaction` and the
 * transaction hash. Readers that do not know them still see "valid"; ours find the receipt.
 */
import { LightNodeError } from '../errors.js';
import type { Hex } from '../hex.js';
import type { Measurement, Reading } from '../reading.js';
import { isCimDateTime, type CimHeader, type CimMeterReading, type CimReading, type CimReplyError } from './model.js';
import { decimalToMeasurement, measurementToDecimal } from './decimal.js';
import { readingTypeOfObis, readingTypeRow } from './reading-type.js';

export const CERT_QUALITY_REF = '1.0.0';
export const DIGEST_QUALITY_SOURCE = 'lightnode:eip712-digest';
export const ANCHOR_QUALITY_SOURCE = 'lightnode:anchor-transaction';
const HASH_RE = /^0x[0-9a-f]{64}$/;

/** A stored reading with what certifies it. */
export interface CertifiedReading {
  reading: Reading;
  /** EIP-712 digest of the signed reading. */
  digest: Hex;
  /** Transaction of the anchor holding the digest, null while pending. */
  anchorTransaction: Hex | null;
}

/** MeterReadings content of `items`, and an Error entry per quantity left out (with its count). */
export function readingsToMeterReadings(items: readonly CertifiedReading[]): { MeterReading: CimMeterReading[]; omitted: CimReplyError[] } {
  const byMeter = new Map<string, CimMeterReading>();
  const omitted = new Map<string, { code: 'CIM_QUANTITY_UNMAPPED' | 'CIM_VALUE_UNREPRESENTABLE'; count: number }>();
  for (const { reading, digest, anchorTransaction } of items) {
    const key = `${reading.pod}\u0000${reading.meter}`;
    let mr = byMeter.get(key);
    if (!mr) {
      mr = { IntervalBlocks: [], Meter: { mRID: reading.meter, Names: [] }, Readings: [], UsagePoint: { mRID: reading.pod, Names: [] } };
      byMeter.set(key, mr);
    }
    const timeStamp = new Date(reading.timestamp).toISOString();
    const qualities = [{ source: DIGEST_QUALITY_SOURCE, comment: digest, ReadingQualityType: { ref: CERT_QUALITY_REF } }];
    if (anchorTransaction) qualities.push({ source: ANCHOR_QUALITY_SOURCE, comment: anchorTransaction, ReadingQualityType: { ref: CERT_QUALITY_REF } });
    for (const m of reading.values) {
      const row = readingTypeOfObis(m.quantity);
      const why = !row ? 'CIM_QUANTITY_UNMAPPED' : m.scale > row.multiplier ? 'CIM_VALUE_UNREPRESENTABLE' : null;
      if (why || !row) {
        const k = `${m.quantity}\u0000${why}`;
        const o = omitted.get(k) ?? { code: why!, count: 0 };
        o.count++;
        omitted.set(k, o);
        continue;
      }
      mr.Readings.push({ source: reading.source, timeStamp, value: measurementToDecimal(m.value, m.scale, row.multiplier), ReadingQualities: qualities, ReadingType: { ref: row.code } });
    }
  }
  const errors: CimReplyError[] = [...omitted].map(([k, o]) => {
    const quantity = k.split('\u0000')[0]!;
    const reason = o.code === 'CIM_QUANTITY_UNMAPPED' ? `${quantity} has no ReadingType in the OBIS table` : `${quantity} has a scale above its ReadingType's multiplier`;
    return { code: o.code, level: 'WARNING', reason, details: `${o.count} value(s) of ${quantity} left out` };
  });
  return { MeterReading: [...byMeter.values()], omitted: errors };
}

/** What one CIM Reading says, in the reading model's terms. */
export interface MappedCimReading {
  timestampMs: number;
  source: string | undefined;
  measurement: Measurement;
  /** The digest and anchor transaction of our certification qualities, when present. */
  digest: Hex | null;
  anchorTransaction: Hex | null;
}

/**
 * Map one CIM Reading to a Measurement via the OBIS table. Throws `CIM_READING_TYPE_UNKNOWN`
 * (naming the code), `CIM_VALUE_INVALID`, `CIM_VALUE_UNREPRESENTABLE`, `CIM_FIELD_INVALID`.
 */
export function cimReadingToMeasurement(r: CimReading, field = 'Reading'): MappedCimReading {
  const row = readingTypeRow(r.ReadingType.ref, `${field}.ReadingType.ref`);
  const { value, scale } = decimalToMeasurement(r.value, row.multiplier, `${field}.value`);
  if (!isCimDateTime(r.timeStamp)) throw new LightNodeError('CIM_FIELD_INVALID', `${field}.timeStamp: not an xs:dateTime with zone`, { field: `${field}.timeStamp` });
  const hash = (source: string): Hex | null => {
    const q = r.ReadingQualities.find((x) => x.source === source && x.ReadingQualityType.ref === CERT_QUALITY_REF);
    if (!q) return null;
    if (!q.comment || !HASH_RE.test(q.comment)) throw new LightNodeError('CIM_FIELD_INVALID', `${field}.ReadingQualities(${source}).comment: expected a 0x-prefixed 32-byte hash`, { field: `${field}.ReadingQualities` });
    return q.comment as Hex;
  };
  return {
    timestampMs: Date.parse(r.timeStamp), source: r.source,
    measurement: { quantity: row.obis, value, scale, unit: row.unit },
    digest: hash(DIGEST_QUALITY_SOURCE), anchorTransaction: hash(ANCHOR_QUALITY_SOURCE),
  };
}

/** A `reply` header (61968-100 ResponseMessage): the caller supplies time and ids (no clock here). */
export function replyHeader(h: { Timestamp: string; Source: string; MessageID: string; CorrelationID?: string }): CimHeader {
  return { Verb: 'reply', Noun: 'MeterReadings', Timestamp: h.Timestamp, Source: h.Source, MessageID: h.MessageID, ...(h.CorrelationID ? { CorrelationID: h.CorrelationID } : {}) };
}
