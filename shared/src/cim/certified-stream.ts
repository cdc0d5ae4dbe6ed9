/**
 * The certified stream in CIM (issue 13 §2, docs/data-access.md "Formats"): what the BAL
 * publishes on `certified/v1/{pod}/readings/cim-xml` and `…/cim-json` — IEC 61968-9
 * MeterReadings in a 61968-100 EventMessage:
 * - `Verb=created` when readings are stored: each Reading carries its EIP-712 digest in
 *   ReadingQualities, exactly as the export does (readings-map.ts);
 * - `Verb=changed` when their anchor is confirmed: the same readings again, now also with the
 *   anchor transaction quality — CIM's way of saying "this object got more certification".
 * At most MAX_CIM_STREAM_READINGS signed readings per message. Quantities without a ReadingType
 * cannot travel in CIM: they are left out and counted (`omittedValues`); a chunk left without any
 * Reading is not sent. Pure: ids and time come from the caller.
 */
import type { CimMessage } from './model.js';
import { readingsToMeterReadings, type CertifiedReading } from './readings-map.js';

/** Signed readings per CIM message of the stream. */
export const MAX_CIM_STREAM_READINGS = 100;

export interface CimStreamHeader {
  verb: 'created' | 'changed';
  /** xs:dateTime of the message. */
  timestamp: string;
  source: string;
  /** Message id; chunk k of several gets `${messageId}:${k}` (k from 1). */
  messageId: string;
  /** E.g. `anchor:<index>` for a `changed` message. */
  correlationId?: string;
}

/** The CIM messages of certified readings (of one PoD), and how many values could not be carried. */
export function certifiedCimMessages(items: readonly CertifiedReading[], h: CimStreamHeader): { messages: CimMessage[]; omittedValues: number } {
  const messages: CimMessage[] = [];
  let omittedValues = 0;
  const chunks = Math.ceil(items.length / MAX_CIM_STREAM_READINGS);
  for (let k = 0; k < chunks; k++) {
    const chunk = items.slice(k * MAX_CIM_STREAM_READINGS, (k + 1) * MAX_CIM_STREAM_READINGS);
    const { MeterReading } = readingsToMeterReadings(chunk);
    // One CIM Reading per carried value: the rest had no ReadingType (or an unrepresentable scale).
    omittedValues += chunk.reduce((n, c) => n + c.reading.values.length, 0) - MeterReading.reduce((n, m) => n + m.Readings.length, 0);
    const withReadings = MeterReading.filter((m) => m.Readings.length > 0);
    if (withReadings.length === 0) continue;
    messages.push({
      Header: {
        Verb: h.verb, Noun: 'MeterReadings', Timestamp: h.timestamp, Source: h.source,
        MessageID: chunks > 1 ? `${h.messageId}:${k + 1}` : h.messageId, ...(h.correlationId ? { CorrelationID: h.correlationId } : {}),
      },
      Payload: { MeterReadings: { MeterReading: withReadings } },
    });
  }
  return { messages, omittedValues };
}
