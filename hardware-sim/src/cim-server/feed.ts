/**
 * The DSO data server's 15-minute feed (issue 13 §5), as data: for each PoD one MeterReading with
 * its energy registers (1-0:1.8.0 import, 1-0:2.8.0 export, kWh with three decimals = exact Wh)
 * at one quarter-hour, in a `created` MeterReadings message. Register values are a pure function
 * of the PoD's position and the time, so a test can recompute what should have been stored.
 * Fault variants (docs: hardware-sim/README "Data-server simulator") change the message or its bytes.
 */
import type { CimMessage, CimMeterReading } from '@lightnode/shared/cim/model';
import { readingTypeOfObis } from '@lightnode/shared/cim/reading-type';
import { measurementToDecimal } from '@lightnode/shared/cim/decimal';
import { ValidationError } from '@lightnode/shared/errors';
import { POD_RE } from '@lightnode/shared/reading';

export const QUARTER_MS = 15 * 60_000;
export const FEED_FAULTS = ['none', 'bad-signature', 'wrong-usage-point', 'malformed-xml', 'unknown-reading-type'] as const;
export type FeedFault = (typeof FEED_FAULTS)[number];

const IMPORT = readingTypeOfObis('1-0:1.8.0')!;
const EXPORT = readingTypeOfObis('1-0:2.8.0')!;
/** A ReadingType the OBIS table does not have (reactive energy, kvarh): the BAL refuses it by name. */
export const UNKNOWN_READING_TYPE = '0.0.0.1.1.1.73.0.0.0.0.0.0.0.0.3.73.0';
/** A PoD no data server is granted in the tests (the wrong-usage-point fault). */
export const FOREIGN_POD = 'IT999E99999999';

/** `count` PoD codes from `first` (IT + 3 digits + E + 8 digits) upwards. */
export function podRange(first: string, count: number): string[] {
  if (!POD_RE.test(first) || first.length !== 14) throw new ValidationError('SIM_REQUEST_INVALID', 'firstPod', 'a 14-character PoD code like IT001E00000001', first);
  const base = Number(first.slice(6));
  if (base + count > 1e8) throw new ValidationError('SIM_REQUEST_INVALID', 'pods', `at most ${1e8 - base} from ${first}`, count);
  return Array.from({ length: count }, (_, i) => `${first.slice(0, 6)}${String(base + i).padStart(8, '0')}`);
}

/** The import and export registers (Wh) of PoD number `i` at `atMs`: a steady 0.1–1 kW household, a small PV export. */
export function registersWh(i: number, atMs: number): { importWh: number; exportWh: number } {
  const quarters = Math.floor(atMs / QUARTER_MS);
  return { importWh: 1_000_000 + i * 997 + quarters * (25 + (i % 226)), exportWh: 50_000 + i * 13 + quarters * (i % 7) };
}

export interface FeedOptions {
  pods: readonly string[];
  /** The quarter's end, ms (readings' time). */
  atMs: number;
  /** Header.Timestamp, ms (the message time: seq of the stored readings). */
  sentAtMs: number;
  messageId: string;
  /** Header.Source. */
  source: string;
  fault?: FeedFault;
}

/** The `created` MeterReadings message of one quarter. */
export function feedMessage(o: FeedOptions): CimMessage {
  const timeStamp = new Date(o.atMs).toISOString();
  const MeterReading: CimMeterReading[] = o.pods.map((pod, i) => {
    const { importWh, exportWh } = registersWh(i, o.atMs);
    return {
      IntervalBlocks: [],
      Meter: { mRID: `M${pod.slice(6)}`, Names: [] },
      Readings: [
        { timeStamp, value: measurementToDecimal(importWh, 0, IMPORT.multiplier), ReadingQualities: [], ReadingType: { ref: IMPORT.code } },
        { timeStamp, value: measurementToDecimal(exportWh, 0, EXPORT.multiplier), ReadingQualities: [], ReadingType: { ref: EXPORT.code } },
      ],
      UsagePoint: { mRID: pod, Names: [] },
    };
  });
  if (o.fault === 'wrong-usage-point') {
    MeterReading.push({ ...structuredClone(MeterReading[0]!), UsagePoint: { mRID: FOREIGN_POD, Names: [] } });
  }
  if (o.fault === 'unknown-reading-type') {
    MeterReading[0]!.Readings.push({ timeStamp, value: '1.000', ReadingQualities: [], ReadingType: { ref: UNKNOWN_READING_TYPE } });
  }
  return {
    Header: { Verb: 'created', Noun: 'MeterReadings', Timestamp: new Date(o.sentAtMs).toISOString(), Source: o.source, MessageID: o.messageId },
    Payload: { MeterReadings: { MeterReading } },
  };
}
