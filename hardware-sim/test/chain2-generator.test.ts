// The Chain 2 generator over eight simulated days: every frame parses with the shared Chain 2
// model, period messages arrive on time with consistent energy, events fire on their causes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChain2Message, type Chain2Data } from '@lightnode/shared/chain2';
import { advanceChain2, initialChain2State, type Chain2Inputs } from '../src/chain2/generator.js';
import { MALFORMED_KINDS, malformFrame } from '../src/chain2/malformed.js';

const cfg = { pod: 'IT001E12345678', contractPowerW: 3000 };
const START = Date.UTC(2026, 5, 25, 22, 0, 0); // Friday 26 June 2026, 00:00 in Rome (CEST): the meter's days are local

function run(days: number, inputs: (ms: number) => Chain2Inputs) {
  const r = advanceChain2(cfg, initialChain2State(START, 1_000_000), START + days * 86_400_000, inputs);
  return r.frames.map((f) => parseChain2Message(JSON.stringify(f)) as Chain2Data);
}

test('constant 1 kW for 8 days: CF1 per quarter, CF5 daily, CF9 Monday, CF10 on the 1st, CF20 daily', () => {
  const msgs = run(8, () => ({ powerW: 1000, voltageV: 231, outage: false }));
  const byType = (t: string) => msgs.filter((m) => m.type === t);
  const cf1 = byType('CF1');
  assert.is(cf1.length, 8 * 96);
  cf1.forEach((m, i) => {
    const p = m.payload as Record<string, number>;
    assert.is(p.MeasurePosixTimestamp, START / 1000 + (i + 1) * 900);
    assert.is(p.CurrQuartActEnergy, 250);
    assert.is(p.QuartAveragePower, 1000);
    assert.is(p.TotalActEnergy, 1_000_000 + 250 * (i + 1));
  });
  const cf5 = byType('CF5');
  assert.is(cf5.length, 8);
  for (const m of cf5) {
    const p = m.payload as Record<string, number>;
    assert.is(p.DailyTotalActEnergyF1! + p.DailyTotalActEnergyF2! + p.DailyTotalActEnergyF3!, 24_000);
  }
  assert.is((cf5[1]!.payload as Record<string, number>).DayType, 2, 'Saturday');
  assert.is((cf5[2]!.payload as Record<string, number>).DailyTotalActEnergyF3, 24_000, 'Sunday is all F3');
  assert.is(byType('CF9').length, 1);
  assert.is((byType('CF9')[0]!.payload as Record<string, number>).WeeklyVeffMin, 231);
  const cf10 = byType('CF10');
  assert.is(cf10.length, 1, 'one month end (1 July)');
  assert.is(byType('CF20').length, 8);
  assert.is((byType('CF20')[0]!.payload as Record<string, unknown>).POD, 'IT001E12345678');
  assert.is(byType('CF21').length, 1, 'one step: 0 → 1000 W at the start');
});

test('power steps give CF21, over the available power CF22, a supply interruption CF23', () => {
  const t0 = START + 3_600_000, t1 = START + 7_200_000, t2 = START + 10_800_000;
  const msgs = run(0.25, (ms) => ({
    powerW: ms < t0 ? 500 : ms < t1 ? 900 : ms < t2 ? 4000 : 500,
    voltageV: 230,
    outage: ms >= START + 4 * 3_600_000 && ms < START + 5 * 3_600_000,
  }));
  const ev = msgs.filter((m) => ['CF21', 'CF22', 'CF23'].includes(m.type)).map((m) => [m.type, (m.payload as Record<string, number>).InstantPower ?? (m.payload as Record<string, number>).OutageDuration]);
  assert.equal(ev, [['CF21', 500], ['CF21', 900], ['CF21', 4000], ['CF22', 4000], ['CF21', 500], ['CF23', 3600]]);
});

test('malformed frames are each refused by the shared model with their reason code', () => {
  const good = run(0.02, () => ({ powerW: 800, voltageV: 230, outage: false }));
  assert.ok(good.length > 0);
  const frame = { Chain2Data: { Meter: good[0]!.meter, Type: good[0]!.type, Payload: good[0]!.payload } };
  const codes = MALFORMED_KINDS.map((k) => {
    try { parseChain2Message(malformFrame(frame, k)); return 'accepted'; } catch (e) { return (e as { code: string }).code; }
  });
  assert.equal(codes, ['CHAIN2_JSON_INVALID', 'CHAIN2_ENVELOPE_UNKNOWN', 'CHAIN2_TYPE_UNKNOWN', 'CHAIN2_FIELD_MISSING', 'CHAIN2_FIELD_INVALID']);
});

test.run();
