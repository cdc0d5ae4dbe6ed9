// The certified stream in CIM (src/cim/certified-stream.ts): created / changed MeterReadings of
// certified readings, chunked at 100 signed readings, digest and anchor transaction in
// ReadingQualities, unmapped values counted and left out, nothing sent for nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CIM_STREAM_READINGS, certifiedCimMessages } from '../src/cim/certified-stream.js';
import { cimReadingToMeasurement, type CertifiedReading } from '../src/cim/readings-map.js';
import { decodeCimXml, encodeCimXml } from '../src/cim/xml-codec.js';
import { decodeCimJson, encodeCimJson } from '../src/cim/json-codec.js';
import type { Hex } from '../src/hex.js';

const hex32 = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const item = (seq: number, o: { anchor?: Hex; values?: CertifiedReading['reading']['values'] } = {}): CertifiedReading => ({
  reading: { pod: 'IT001E00000001', meter: 'm1', seq, timestamp: 1_780_000_000_000 + seq * 1000, source: 'modbus',
    values: o.values ?? [{ quantity: '1-0:1.8.0', value: 1000 + seq, scale: 0, unit: 'Wh' }, { quantity: '1-0:3.8.0', value: 5, scale: 0, unit: 'varh' }] },
  digest: hex32(seq + 1), anchorTransaction: o.anchor ?? null,
});
const H = { timestamp: '2026-12-05T09:00:00.000Z', source: 'LightNode-BAL', messageId: 'm-1' };

test('created: one message for up to 100 readings, digests in ReadingQualities, unmapped values counted', () => {
  const items = Array.from({ length: 3 }, (_, i) => item(i));
  const { messages, omittedValues } = certifiedCimMessages(items, { ...H, verb: 'created' });
  assert.is(messages.length, 1);
  assert.is(omittedValues, 3, 'the varh value of each reading');
  const m = messages[0]!;
  assert.equal(m.Header, { Verb: 'created', Noun: 'MeterReadings', Timestamp: H.timestamp, Source: H.source, MessageID: 'm-1' });
  assert.is(m.Reply, undefined);
  const back = decodeCimXml(encodeCimXml(m));
  assert.equal(back, decodeCimJson(encodeCimJson(m)));
  const rs = back.Payload!.MeterReadings.MeterReading[0]!.Readings.map((r) => cimReadingToMeasurement(r));
  assert.equal(rs.map((r) => [r.digest, r.anchorTransaction, r.measurement.value]), items.map((x) => [x.digest, null, x.reading.values[0]!.value]));
});

test('changed: chunks of 100 with numbered message ids, anchor transaction on every Reading', () => {
  const items = Array.from({ length: 2 * MAX_CIM_STREAM_READINGS + 1 }, (_, i) => item(i, { anchor: hex32(0xabc) }));
  const { messages } = certifiedCimMessages(items, { ...H, verb: 'changed', correlationId: 'anchor:7' });
  assert.equal(messages.map((m) => m.Header.MessageID), ['m-1:1', 'm-1:2', 'm-1:3']);
  assert.equal(messages.map((m) => m.Payload!.MeterReadings.MeterReading[0]!.Readings.length), [100, 100, 1]);
  assert.ok(messages.every((m) => m.Header.Verb === 'changed' && m.Header.CorrelationID === 'anchor:7'));
  const all = messages.flatMap((m) => m.Payload!.MeterReadings.MeterReading[0]!.Readings.map((r) => cimReadingToMeasurement(r)));
  assert.ok(all.every((r) => r.anchorTransaction === hex32(0xabc)));
  assert.equal(all.map((r) => r.digest), items.map((x) => x.digest));
});

test('readings with nothing CIM can carry make no message; none in, none out', () => {
  const onlyReactive = [item(1, { values: [{ quantity: '1-0:3.8.0', value: 5, scale: 0, unit: 'varh' }] })];
  assert.equal(certifiedCimMessages(onlyReactive, { ...H, verb: 'created' }), { messages: [], omittedValues: 1 });
  assert.equal(certifiedCimMessages([], { ...H, verb: 'created' }), { messages: [], omittedValues: 0 });
});

test.run();
