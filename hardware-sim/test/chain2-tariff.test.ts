// Chain 2 simulator time: tariff bands (ARERA F1/F2/F3) and day/week/month ends in Italian local
// time (Europe/Rome), across local midnight and the summer-time switch days of 2026.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChain2Message, type Chain2Data } from '@lightnode/shared/chain2';
import { advanceChain2, initialChain2State } from '../src/chain2/generator.js';
import { isRomeMidnight, romeOffsetMs, romeTime } from '../src/chain2/rome-time.js';
import { dayType, tariffBand } from '../src/chain2/tariff.js';

const H = 3_600_000;
const MIN = 60_000;
/** UTC instant of a Rome wall-clock time, given the offset in hours that applies then. */
const rome = (y: number, mo: number, d: number, h: number, mi: number, offsetH: number) => Date.UTC(y, mo - 1, d, h, mi) - offsetH * H;

test('offset: CET +1 h, CEST +2 h, switching at 01:00 UTC on 29 March and 25 October 2026', () => {
  assert.is(romeOffsetMs(Date.UTC(2026, 0, 15, 12)), 1 * H);
  assert.is(romeOffsetMs(Date.UTC(2026, 6, 15, 12)), 2 * H);
  assert.is(romeOffsetMs(Date.UTC(2026, 2, 29, 0, 59, 59, 999)), 1 * H, '01:59:59 CET');
  assert.is(romeOffsetMs(Date.UTC(2026, 2, 29, 1)), 2 * H, '03:00 CEST');
  assert.is(romeOffsetMs(Date.UTC(2026, 9, 25, 0, 59, 59, 999)), 2 * H, '02:59:59 CEST');
  assert.is(romeOffsetMs(Date.UTC(2026, 9, 25, 1)), 1 * H, '02:00 CET (the second time)');
  assert.equal(romeTime(Date.UTC(2026, 2, 29, 1)), { year: 2026, month: 3, day: 29, weekday: 0, hour: 3, minute: 0 });
  assert.equal(romeTime(Date.UTC(2026, 11, 31, 23, 30)), { year: 2027, month: 1, day: 1, weekday: 5, hour: 0, minute: 30 });
});

test('local midnight: the day type follows Rome, not UTC', () => {
  // Sunday 6 Dec 2026 23:30 UTC is Monday 00:30 in Rome
  assert.is(dayType(Date.UTC(2026, 11, 6, 23, 30)), 1);
  assert.is(tariffBand(Date.UTC(2026, 11, 6, 23, 30)), 3, 'a weekday night');
  // Friday 4 Dec 2026 23:00 UTC is Saturday 00:00 in Rome; one ms before is still Friday
  assert.is(dayType(Date.UTC(2026, 11, 4, 23)), 2);
  assert.is(dayType(Date.UTC(2026, 11, 4, 23) - 1), 1);
  // Saturday 4 July 2026 22:00 UTC is Sunday 00:00 CEST
  assert.is(dayType(Date.UTC(2026, 6, 4, 22)), 3);
  assert.is(dayType(Date.UTC(2026, 6, 4, 22) - 1), 2);
  assert.ok(isRomeMidnight(Date.UTC(2026, 11, 6, 23)));
  assert.ok(isRomeMidnight(Date.UTC(2026, 6, 4, 22)));
  assert.not.ok(isRomeMidnight(Date.UTC(2026, 6, 5, 0)), 'UTC midnight is 02:00 in Rome');
  assert.ok(isRomeMidnight(Date.UTC(2026, 2, 28, 23)), 'Sunday 29 March begins at 00:00 CET');
  assert.ok(isRomeMidnight(Date.UTC(2026, 2, 29, 22)), 'Monday 30 March begins at 00:00 CEST');
  assert.ok(isRomeMidnight(Date.UTC(2026, 9, 24, 22)), 'Sunday 25 October begins at 00:00 CEST');
  assert.ok(isRomeMidnight(Date.UTC(2026, 9, 25, 23)), 'Monday 26 October begins at 00:00 CET');
});

test('band boundaries at 07:00, 08:00, 19:00, 23:00 local, winter and summer', () => {
  for (const [y, mo, d, off] of [[2026, 12, 7, 1], [2026, 6, 29, 2], [2026, 3, 30, 2], [2026, 10, 26, 1]] as const) {
    const at = (h: number, mi: number) => tariffBand(rome(y, mo, d, h, mi, off));
    const label = `Monday ${y}-${mo}-${d}`;
    assert.equal([at(6, 59), at(7, 0), at(7, 59), at(8, 0), at(18, 59), at(19, 0), at(22, 59), at(23, 0)], [3, 2, 2, 1, 1, 2, 2, 3], label);
  }
  // Saturday: F2 07–23, F3 otherwise; Sunday: F3 all day
  const sat = (h: number, mi: number) => tariffBand(rome(2026, 12, 5, h, mi, 1));
  assert.equal([sat(6, 59), sat(7, 0), sat(12, 0), sat(22, 59), sat(23, 0)], [3, 2, 2, 2, 3]);
  assert.is(tariffBand(rome(2026, 12, 6, 12, 0, 1)), 3);
  // the switch days themselves are Sundays: F3 throughout, including the repeated hour
  for (const ms of [Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 29, 1, 30), Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 1, 30)]) assert.is(tariffBand(ms), 3);
  // the Monday after the spring switch: 08:00 CEST is 06:00 UTC (F1), 07:30 UTC is 09:30 local (F1, not F2)
  assert.is(tariffBand(Date.UTC(2026, 2, 30, 6, 0)), 1);
  assert.is(tariffBand(Date.UTC(2026, 2, 30, 5, 59)), 2);
});

/** Frames of a constant-power meter from `startMs` for `hours`, parsed. */
function runFrom(startMs: number, hours: number, powerW = 1000): Chain2Data[] {
  const r = advanceChain2({ pod: 'IT001E12345678' }, initialChain2State(startMs), startMs + hours * H, () => ({ powerW, voltageV: 230, outage: false }));
  return r.frames.map((f) => parseChain2Message(JSON.stringify(f)) as Chain2Data);
}
/** CF5 payloads, each with the time of the CF1 it follows (the day's end). */
function dailies(msgs: Chain2Data[]): { endMs: number; p: Record<string, number> }[] {
  const out: { endMs: number; p: Record<string, number> }[] = [];
  let lastQ = 0;
  for (const m of msgs) {
    if (m.type === 'CF1') lastQ = (m.payload as Record<string, number>).MeasurePosixTimestamp! * 1000;
    if (m.type === 'CF5') out.push({ endMs: lastQ, p: m.payload as Record<string, number> });
  }
  return out;
}
const bands = (p: Record<string, number>) => [p.DailyTotalActEnergyF1, p.DailyTotalActEnergyF2, p.DailyTotalActEnergyF3];

test('a winter weekday: the day ends at local midnight with F1 11 h, F2 5 h, F3 8 h', () => {
  const start = rome(2026, 12, 7, 0, 0, 1); // Monday 7 Dec 2026 00:00 CET = 6 Dec 23:00 UTC
  const d = dailies(runFrom(start, 24));
  assert.is(d.length, 1);
  assert.is(d[0]!.endMs, rome(2026, 12, 8, 0, 0, 1));
  assert.equal(bands(d[0]!.p), [11_000, 5_000, 8_000]);
  assert.is(d[0]!.p.DayType, 1);
});

test('CF1 TariffCode is the band of the quarter just ended, in local time', () => {
  const start = rome(2026, 7, 1, 7, 0, 2); // Wednesday 1 July 2026 07:00 CEST
  const cf1 = runFrom(start, 1).filter((m) => m.type === 'CF1').map((m) => (m.payload as Record<string, number>).TariffCode);
  assert.equal(cf1, [2, 2, 2, 2], '07:00–08:00 local is F2');
  const after = runFrom(rome(2026, 7, 1, 8, 0, 2), 0.25).filter((m) => m.type === 'CF1').map((m) => (m.payload as Record<string, number>).TariffCode);
  assert.equal(after, [1]);
});

test('spring switch day (29 March 2026) lasts 23 h, autumn (25 October) 25 h; weeks end on local Monday', () => {
  const spring = runFrom(rome(2026, 3, 29, 0, 0, 1), 23);
  const ds = dailies(spring);
  assert.is(ds.length, 1);
  assert.is(ds[0]!.endMs, Date.UTC(2026, 2, 29, 22));
  assert.equal(bands(ds[0]!.p), [0, 0, 23_000]);
  assert.is(ds[0]!.p.DayType, 3);
  assert.is(spring.filter((m) => m.type === 'CF9').length, 1, 'Monday 30 March begins a week');

  const autumn = runFrom(rome(2026, 10, 25, 0, 0, 2), 25);
  const da = dailies(autumn);
  assert.is(da.length, 1);
  assert.is(da[0]!.endMs, Date.UTC(2026, 9, 25, 23));
  assert.equal(bands(da[0]!.p), [0, 0, 25_000]);
  assert.is(autumn.filter((m) => m.type === 'CF9').length, 1);
  assert.is(autumn.filter((m) => m.type === 'CF1').length, 100, '25 hours of quarters');
});

test('the month ends at local midnight of the 1st (30 June 22:00 UTC in summer)', () => {
  const msgs = runFrom(rome(2026, 6, 30, 0, 0, 2), 24);
  const d = dailies(msgs);
  assert.is(d.length, 1);
  assert.is(d[0]!.endMs, Date.UTC(2026, 5, 30, 22));
  const i5 = msgs.findIndex((m) => m.type === 'CF5');
  assert.is(msgs.findIndex((m) => m.type === 'CF10'), i5 + 1, 'CF10 right after the last CF5 of June');
  assert.is((msgs.find((m) => m.type === 'CF10')!.payload as Record<string, number>).MonthlyTotalActEnergyF1, 11_000);
});

test.run();
