// Quarter-hour interval data (src/cim/interval-blocks.ts, local-time.ts): the Europe/Rome
// quarter grid on a normal day and both 2026 DST days, exact deltas, and every quarter that
// has no value marked with its quality code — missing, partial, counter reset, conflicting
// readings — whatever the order of the input and however often a reading is repeated.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QUARTER_MS, isQuarterBoundary, localDayBounds, toLocalDateTime, zoneOffsetMinutes } from '../src/cim/local-time.js';
import {
  END_ANCHOR_SOURCE, END_DIGEST_SOURCE, QUARTER_QUALITY, START_DIGEST_SOURCE, deriveQuarterHourBlocks, quarterHourReplyErrors,
  registerPointsOf, scaledToDecimal, type QuarterHourResult, type RegisterPoint,
} from '../src/cim/interval-blocks.js';
import { QUARTER_HOUR_DELTAS_BY_OBIS, describeReadingType, quarterHourDeltaOfObis } from '../src/cim/reading-type.js';
import { decodeCimXml, encodeCimXml } from '../src/cim/xml-codec.js';
import { decodeCimJson, encodeCimJson } from '../src/cim/json-codec.js';
import type { CimIntervalReading, CimMessage } from '../src/cim/model.js';
import { isLightNodeError } from '../src/errors.js';
import type { Hex } from '../src/hex.js';

const POD = 'IT001E00000001';
const A_PLUS = '1-0:1.8.0';
const A_MINUS = '1-0:2.8.0';
const hex32 = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}` as Hex;
let serial = 1;
const point = (timestampMs: number, value: number, o: Partial<RegisterPoint> = {}): RegisterPoint => ({
  meter: 'm1', quantity: A_PLUS, timestampMs, value, scale: 0, digest: hex32(serial++), anchorTransaction: null, ...o,
});
/** A register read exactly at every boundary of [start, end], advancing by `step(k)` Wh. */
function everyQuarter(startMs: number, endMs: number, step: (k: number) => number = (k) => 100 + k): RegisterPoint[] {
  const out: RegisterPoint[] = [];
  let v = 1_000_000;
  for (let t = startMs, k = 0; t <= endMs; t += QUARTER_MS, k++) { out.push(point(t, v)); v += step(k); }
  return out;
}
const qualityOf = (r: CimIntervalReading): string => r.ReadingQualities[0]!.ReadingQualityType.ref;
const only = (r: QuarterHourResult) => r.MeterReading[0]!.IntervalBlocks[0]!.IntervalReadings;
const sumKwhMilli = (rs: CimIntervalReading[]): number => rs.reduce((n, r) => n + Math.round(Number(r.value) * 1000), 0);

test('Europe/Rome via Intl: offsets, local timestamps, day lengths 96 / 92 / 100 quarters', () => {
  assert.is(zoneOffsetMinutes(Date.parse('2026-01-15T12:00:00Z')), 60);
  assert.is(zoneOffsetMinutes(Date.parse('2026-07-15T12:00:00Z')), 120);
  for (const [day, quarters, start] of [['2026-06-15', 96, '2026-06-14T22:00:00.000Z'], ['2026-03-29', 92, '2026-03-28T23:00:00.000Z'], ['2026-10-25', 100, '2026-10-24T22:00:00.000Z'], ['2026-12-05', 96, '2026-12-04T23:00:00.000Z']] as const) {
    const b = localDayBounds(day);
    assert.is(new Date(b.startMs).toISOString(), start, day);
    assert.is((b.endMs - b.startMs) / QUARTER_MS, quarters, day);
    assert.ok(isQuarterBoundary(b.startMs) && isQuarterBoundary(b.endMs));
  }
  assert.is(toLocalDateTime(Date.parse('2026-03-29T01:00:00Z')), '2026-03-29T03:00:00+02:00');
  assert.is(toLocalDateTime(Date.parse('2026-03-29T00:45:00Z')), '2026-03-29T01:45:00+01:00');
  assert.is(toLocalDateTime(Date.parse('2026-10-25T00:15:00Z')), '2026-10-25T02:15:00+02:00');
  assert.is(toLocalDateTime(Date.parse('2026-10-25T01:15:00Z')), '2026-10-25T02:15:00+01:00');
  assert.not.ok(isQuarterBoundary(Date.parse('2026-10-25T01:15:00.001Z')));
  assert.not.ok(isQuarterBoundary(Date.parse('2026-10-25T01:10:00Z')));
  for (const bad of ['2026-02-30', '2026-13-01', '26-01-01', '2026-1-01', '']) {
    assert.throws(() => localDayBounds(bad), (e: unknown) => isLightNodeError(e) && e.code === 'CIM_FIELD_INVALID', bad);
  }
  assert.throws(() => zoneOffsetMinutes(0, 'Not/AZone'), (e: unknown) => isLightNodeError(e) && e.code === 'CIM_FIELD_INVALID');
});

test('ReadingType: every register has a 15-minute deltaData twin (measuringPeriod 2, accumulation 4), nothing else does', () => {
  assert.is(quarterHourDeltaOfObis(A_PLUS)!.code, '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0'); // the reference's "[15-minute] Secondary Delta A+ (kWh)"
  assert.is(quarterHourDeltaOfObis(A_MINUS)!.code, '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0');
  assert.is(quarterHourDeltaOfObis('1-0:1.8.2')!.code, '0.0.2.4.1.1.12.0.0.0.0.2.0.0.0.3.72.0');
  assert.is(quarterHourDeltaOfObis('1-0:1.7.0'), undefined);
  assert.is(quarterHourDeltaOfObis('1-0:128.3.1'), undefined);
  assert.is(QUARTER_HOUR_DELTAS_BY_OBIS.size, 14); // 1.8.0–1.8.6, 2.8.0, and the six per-phase registers
  assert.is(describeReadingType(quarterHourDeltaOfObis(A_PLUS)!.code), 'period 2 deltaData forward energy kWh');
});

test('a normal day: 96 complete quarters, each register(end) − register(start) in exact kWh, summing to the advance', () => {
  const { startMs, endMs } = localDayBounds('2026-06-15');
  const pts = everyQuarter(startMs, endMs);
  const r = deriveQuarterHourBlocks(POD, pts, { fromMs: startMs, toMs: endMs });
  assert.is(r.quarters, 96);
  assert.equal(r.counts, { complete: 96, reset: 0, conflict: 0, partial: 0, missing: 0 });
  const rs = only(r);
  assert.is(rs.length, 96);
  assert.is(rs[0]!.value, '0.100');
  assert.is(rs[95]!.value, '0.195');
  assert.is(rs[0]!.timeStamp, '2026-06-15T00:15:00+02:00');
  assert.is(rs[95]!.timeStamp, '2026-06-16T00:00:00+02:00');
  assert.is(sumKwhMilli(rs), pts.at(-1)!.value - pts[0]!.value);
  assert.ok(rs.every((x) => qualityOf(x) === QUARTER_QUALITY.complete));
  assert.equal(quarterHourReplyErrors(r), []);
  assert.is(r.MeterReading[0]!.UsagePoint!.mRID, POD);
  assert.is(r.MeterReading[0]!.IntervalBlocks[0]!.ReadingType.ref, '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0');
});

test('2026-03-29 (spring forward): 92 quarters, 01:45+01:00 is followed by 03:00+02:00', () => {
  const { startMs, endMs } = localDayBounds('2026-03-29');
  const pts = everyQuarter(startMs, endMs);
  const rs = only(deriveQuarterHourBlocks(POD, pts, { fromMs: startMs, toMs: endMs }));
  assert.is(rs.length, 92);
  assert.ok(rs.every((x) => x.value !== undefined));
  const stamps = rs.map((x) => x.timeStamp);
  assert.is(stamps[0], '2026-03-29T00:15:00+01:00');
  const i = stamps.indexOf('2026-03-29T01:45:00+01:00');
  assert.equal(stamps.slice(i, i + 3), ['2026-03-29T01:45:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T03:15:00+02:00']);
  assert.not.ok(stamps.some((s) => s.startsWith('2026-03-29T02:')), 'no local 02:xx on that day');
  assert.is(stamps[91], '2026-03-30T00:00:00+02:00');
  assert.is(sumKwhMilli(rs), pts.at(-1)!.value - pts[0]!.value);
});

test('2026-10-25 (fall back): 100 quarters, the hour 02:00–03:00 twice with +02:00 then +01:00', () => {
  const { startMs, endMs } = localDayBounds('2026-10-25');
  const pts = everyQuarter(startMs, endMs);
  const rs = only(deriveQuarterHourBlocks(POD, pts, { fromMs: startMs, toMs: endMs }));
  assert.is(rs.length, 100);
  const stamps = rs.map((x) => x.timeStamp);
  assert.is(stamps[0], '2026-10-25T00:15:00+02:00');
  assert.is(stamps[99], '2026-10-26T00:00:00+01:00');
  for (const hhmm of ['02:15', '02:30', '02:45']) {
    assert.ok(stamps.includes(`2026-10-25T${hhmm}:00+02:00`) && stamps.includes(`2026-10-25T${hhmm}:00+01:00`), hhmm);
  }
  assert.is(new Set(stamps).size, 100, 'every local timestamp distinct thanks to its offset');
  assert.ok(stamps.indexOf('2026-10-25T02:45:00+02:00') < stamps.indexOf('2026-10-25T02:15:00+01:00'));
  assert.is(sumKwhMilli(rs), pts.at(-1)!.value - pts[0]!.value);
});

test('each delta names its two register readings (digest, time, anchor) and neighbours share their boundary reading', () => {
  const from = Date.parse('2026-06-15T08:00:00Z');
  const pts = everyQuarter(from, from + 4 * QUARTER_MS);
  pts[1]!.anchorTransaction = hex32(0xabc);
  const rs = only(deriveQuarterHourBlocks(POD, pts, { fromMs: from, toMs: from + 4 * QUARTER_MS }));
  for (let k = 0; k < 4; k++) {
    const q = rs[k]!.ReadingQualities;
    const start = q.find((x) => x.source === START_DIGEST_SOURCE)!;
    const end = q.find((x) => x.source === END_DIGEST_SOURCE)!;
    assert.is(start.comment, pts[k]!.digest);
    assert.is(end.comment, pts[k + 1]!.digest);
    assert.is(start.timeStamp, new Date(pts[k]!.timestampMs).toISOString());
    assert.is(start.ReadingQualityType.ref, '1.0.0');
  }
  assert.is(rs[0]!.ReadingQualities.find((x) => x.source === END_ANCHOR_SOURCE)!.comment, hex32(0xabc));
  assert.is(rs[1]!.ReadingQualities.find((x) => x.source === 'lightnode:anchor-transaction:start')!.comment, hex32(0xabc));
  assert.is(rs[2]!.ReadingQualities.filter((x) => x.source?.startsWith('lightnode:anchor')).length, 0);
});

test('missing and partial quarters carry a quality and no value; the rest stays exact', () => {
  const from = Date.parse('2026-06-15T08:00:00Z');
  const to = from + 8 * QUARTER_MS;
  const pts = everyQuarter(from, to);
  // No reading at 08:30 and nothing around it: 08:15–08:30 and 08:30–08:45 are missing.
  pts.splice(2, 1);
  // No reading at 09:30 (index 6 → now 5), but one at 09:22 inside 09:15–09:30: partial; 09:30–09:45 has none inside: missing.
  const [gone] = pts.splice(5, 1);
  pts.push(point(from + 5 * QUARTER_MS + 7 * 60_000, gone!.value - 50));
  const r = deriveQuarterHourBlocks(POD, pts, { fromMs: from, toMs: to });
  const rs = only(r);
  assert.equal(rs.map(qualityOf), ['2.10.0', '2.5.259', '2.5.259', '2.10.0', '2.10.0', '2.4.2', '2.5.259', '2.10.0']);
  assert.equal(rs.map((x) => x.value), ['0.100', undefined, undefined, '0.103', '0.104', undefined, undefined, '0.107']);
  assert.equal(r.counts, { complete: 4, reset: 0, conflict: 0, partial: 1, missing: 3 });
  assert.is(rs[5]!.ReadingQualities[0]!.comment, 'register known at start only');
  assert.ok(rs[5]!.ReadingQualities.some((x) => x.source === START_DIGEST_SOURCE) && !rs[5]!.ReadingQualities.some((x) => x.source === END_DIGEST_SOURCE));
  assert.equal(quarterHourReplyErrors(r), [{ code: 'CIM_INTERVAL_INCOMPLETE', level: 'WARNING', reason: '4 quarter-hour interval(s) without a value', details: '1 partial (2.4.2), 3 missing (2.5.259)' }]);
  // A register never read in the range: no block at all (nothing to say it exists).
  assert.equal(deriveQuarterHourBlocks(POD, [], { fromMs: from, toMs: to }).MeterReading, []);
});

test('a counter reset or decrease is a quality, never a negative delta — also when the register recovers within the quarter', () => {
  const from = Date.parse('2026-06-15T08:00:00Z');
  const pts = [point(from, 5000), point(from + QUARTER_MS, 4000), point(from + 2 * QUARTER_MS, 4100),
    point(from + 2 * QUARTER_MS + 60_000, 10), point(from + 3 * QUARTER_MS, 5000)];
  const r = deriveQuarterHourBlocks(POD, pts, { fromMs: from, toMs: from + 3 * QUARTER_MS });
  const rs = only(r);
  assert.equal(rs.map(qualityOf), ['2.4.8', '2.10.0', '2.4.8']);
  assert.equal(rs.map((x) => x.value), [undefined, '0.100', undefined]);
  assert.ok(rs[0]!.ReadingQualities.some((x) => x.source === START_DIGEST_SOURCE) && rs[0]!.ReadingQualities.some((x) => x.source === END_DIGEST_SOURCE), 'the reset names both readings');
  assert.is(r.counts.reset, 2);
});

test('input order and repeats do not matter; disagreeing readings at one instant make a suspect boundary', () => {
  const from = Date.parse('2026-06-15T08:00:00Z');
  const to = from + 12 * QUARTER_MS;
  const pts = everyQuarter(from, to, (k) => 37 * (k % 5) + 1);
  const inOrder = deriveQuarterHourBlocks(POD, pts, { fromMs: from, toMs: to });
  let seed = 7;
  const rand = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const shuffled = [...pts, ...pts.slice(3, 6), ...pts.slice(3, 6).map((p) => ({ ...p, digest: hex32(0xf000 + p.timestampMs % 1000 + serial++) }))].sort(() => rand() - 0.5);
  assert.equal(deriveQuarterHourBlocks(POD, shuffled, { fromMs: from, toMs: to }).MeterReading.length, 1);
  const a = only(inOrder).map((x) => x.value);
  assert.equal(only(deriveQuarterHourBlocks(POD, shuffled, { fromMs: from, toMs: to })).map((x) => x.value), a);
  // Same instant, other value: the quarters on both sides of 09:00 are suspect, no value.
  const clash = [...pts, point(from + 4 * QUARTER_MS, pts[4]!.value + 1)];
  const rs = only(deriveQuarterHourBlocks(POD, clash, { fromMs: from, toMs: to }));
  assert.equal(rs.map(qualityOf).slice(2, 6), ['2.10.0', '2.5.258', '2.5.258', '2.10.0']);
  assert.is(rs[3]!.value, undefined);
  assert.match(rs[3]!.ReadingQualities[0]!.comment!, /2026-06-15T09:00:00.000Z disagree/);
});

test('toleranceMs: readings just after the boundary count only when allowed, and the quality shows their real time', () => {
  const from = Date.parse('2026-06-15T08:00:00Z');
  const to = from + 4 * QUARTER_MS;
  const pts = everyQuarter(from, to).map((p, i) => ({ ...p, timestampMs: p.timestampMs + 120 + i }));
  const exact = deriveQuarterHourBlocks(POD, pts, { fromMs: from, toMs: to });
  assert.equal(only(exact).map(qualityOf), ['2.4.2', '2.4.2', '2.4.2', '2.4.2'], 'exactly: each quarter only has a reading inside');
  const near = only(deriveQuarterHourBlocks(POD, pts, { fromMs: from, toMs: to, toleranceMs: 1000 }));
  assert.equal(near.map((x) => x.value), ['0.100', '0.101', '0.102', '0.103']);
  assert.is(near[0]!.ReadingQualities.find((x) => x.source === START_DIGEST_SOURCE)!.timeStamp, '2026-06-15T08:00:00.120Z');
  // The closest reading wins: 121 ms after 08:15 beats 400 ms before it; 90 ms before beats both.
  const extra = [...pts, point(from + QUARTER_MS - 400, pts[0]!.value + 50)];
  assert.is(only(deriveQuarterHourBlocks(POD, extra, { fromMs: from, toMs: to, toleranceMs: 1000 }))[0]!.value, '0.100');
  const closer = [...pts, point(from + QUARTER_MS - 90, pts[0]!.value + 60)];
  assert.equal(only(deriveQuarterHourBlocks(POD, closer, { fromMs: from, toMs: to, toleranceMs: 1000 })).slice(0, 2).map((x) => x.value), ['0.060', '0.141']);
});

test('mixed scales, several meters and registers; other quantities are ignored', () => {
  const from = Date.parse('2026-06-15T08:00:00Z');
  const to = from + 2 * QUARTER_MS;
  const pts = [
    point(from, 12345, { scale: 0 }), point(from + QUARTER_MS, 123457, { scale: -1 }), point(to, 12400, { scale: 0 }),
    point(from, 7, { quantity: A_MINUS, scale: 3 }), point(from + QUARTER_MS, 7002, { quantity: A_MINUS }), point(to, 7002, { quantity: A_MINUS }),
    point(from, 1, { meter: 'm0' }), point(to, 2, { meter: 'm0' }),
    point(from, 5, { quantity: '1-0:1.7.0' }), point(to, 9, { quantity: '1-0:1.7.0' }),
  ];
  const r = deriveQuarterHourBlocks(POD, pts, { fromMs: from, toMs: to });
  assert.equal(r.MeterReading.map((m) => m.Meter!.mRID), ['m0', 'm1']);
  const m1 = r.MeterReading[1]!.IntervalBlocks;
  assert.equal(m1.map((b) => b.ReadingType.ref), ['0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0', '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0']);
  assert.equal(m1[0]!.IntervalReadings.map((x) => x.value), ['0.0007', '0.0543']);
  assert.equal(m1[1]!.IntervalReadings.map((x) => x.value), ['0.002', '0.000']);
  assert.equal(r.MeterReading[0]!.IntervalBlocks[0]!.IntervalReadings.map(qualityOf), ['2.5.259', '2.5.259']);
});

test('scaledToDecimal is exact beyond 2^53', () => {
  assert.is(scaledToDecimal(123456789012345678901234n, 0, 3), '123456789012345678901.234');
  assert.is(scaledToDecimal(5n, 4, 3), '50');
  assert.is(scaledToDecimal(0n, 4, 3), '0');
  assert.is(scaledToDecimal(7n, -2, 3), '0.00007');
  assert.is(scaledToDecimal(-7n, 0, 3), '-0.007');
});

test('the blocks travel as a CIM message in XML and JSON and come back equal (value-less readings included)', () => {
  const from = Date.parse('2026-10-25T00:00:00Z');
  const pts = everyQuarter(from, from + 8 * QUARTER_MS);
  pts.splice(3, 1);
  const r = deriveQuarterHourBlocks(POD, pts, { fromMs: from, toMs: from + 8 * QUARTER_MS });
  const msg: CimMessage = {
    Header: { Verb: 'reply', Noun: 'MeterReadings', Timestamp: '2026-12-05T10:00:00.000Z', Source: 'test', MessageID: 'x' },
    Reply: { Result: 'PARTIAL', Error: quarterHourReplyErrors(r) },
    Payload: { MeterReadings: { MeterReading: r.MeterReading } },
  };
  const xml = encodeCimXml(msg);
  assert.match(xml, /<IntervalReadings><timeStamp>2026-10-25T02:15:00\+01:00<\/timeStamp><value>0.104<\/value>/);
  assert.match(xml, /<IntervalReadings><timeStamp>2026-10-25T02:45:00\+02:00<\/timeStamp><ReadingQualities><comment>register known at start only<\/comment>/);
  assert.equal(decodeCimXml(xml), decodeCimJson(encodeCimJson(msg)));
  assert.equal(decodeCimXml(xml).Payload!.MeterReadings.MeterReading, r.MeterReading);
});

test('bad options are refused by name', () => {
  const from = Date.parse('2026-06-15T08:00:00Z');
  const cases: [string, Parameters<typeof deriveQuarterHourBlocks>[2]][] = [
    ['from', { fromMs: from + 1, toMs: from + QUARTER_MS }],
    ['from', { fromMs: from + 5 * 60_000, toMs: from + QUARTER_MS }],
    ['to', { fromMs: from, toMs: from }],
    ['to', { fromMs: from, toMs: from + 32 * 86_400_000 }],
    ['toleranceMs', { fromMs: from, toMs: from + QUARTER_MS, toleranceMs: 60_001 }],
    ['toleranceMs', { fromMs: from, toMs: from + QUARTER_MS, toleranceMs: -1 }],
  ];
  for (const [field, o] of cases) {
    assert.throws(() => deriveQuarterHourBlocks(POD, [], o), (e: unknown) => isLightNodeError(e) && e.code === 'CIM_FIELD_INVALID' && (e.details as { field?: string }).field === field, field);
  }
});

test('registerPointsOf keeps the energy registers of certified readings with their digest and anchor', () => {
  const reading = { pod: POD, meter: 'm1', seq: 1, timestamp: 1_780_000_000_000, source: 'modbus', values: [
    { quantity: A_PLUS, value: 10, scale: 0, unit: 'Wh' }, { quantity: '1-0:32.7.0', value: 23000, scale: -2, unit: 'V' }, { quantity: A_MINUS, value: 3, scale: 0, unit: 'Wh' }] };
  const pts = registerPointsOf([{ reading, digest: hex32(1), anchorTransaction: hex32(2) }]);
  assert.equal(pts.map((p) => [p.quantity, p.value, p.digest, p.anchorTransaction]), [[A_PLUS, 10, hex32(1), hex32(2)], [A_MINUS, 3, hex32(1), hex32(2)]]);
});

test.run();
