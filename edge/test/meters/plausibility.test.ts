// Plausibility windows (edge/src/meters/plausibility.ts): from a rating, explicit windows winning,
// per-phase vs total quantities, the kinds' defaults, and the screen that drops and names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toMeasurement } from '@lightnode/shared/quantities';
import { defaultRating, implausible, limitsOf, mergeLimit, ratingLimit, ratingProblem, screenValues } from '../../src/meters/plausibility.js';
import { loadTemplate, validateTemplate } from '../../src/meters/template.js';
import { createValueGate } from '../../src/meters/value-gate.js';
import { Metrics } from '../../src/ops/metrics.js';
import { createLogger } from '../../src/ops/logger.js';

const sdm630 = { nominalVoltageV: 230, nominalFrequencyHz: 50, maxCurrentA: 100, phases: 3 };

test('windows from a rating: frequency ± 10 %, voltage to 2 × nominal, current and power within Imax (per phase / total)', () => {
  assert.equal(ratingLimit(sdm630, '1-0:14.7.0'), { min: 45, max: 55 });
  assert.equal(ratingLimit(sdm630, '1-0:32.7.0'), { min: 0, max: 460 });
  assert.equal(ratingLimit(sdm630, '1-0:31.7.0'), { min: -100, max: 100 }, 'L1 current');
  assert.equal(ratingLimit(sdm630, '1-0:90.7.0'), { min: -300, max: 300 }, 'sum of line currents');
  assert.equal(ratingLimit(sdm630, '1-0:36.7.0'), { min: -26_450, max: 26_450 }, 'L1 power: 1.15 × 230 × 100');
  assert.equal(ratingLimit(sdm630, '1-0:16.7.0'), { min: -79_350, max: 79_350 }, 'total power × 3');
  assert.equal(ratingLimit(sdm630, '1-0:1.8.0'), undefined, 'energy: no window from the rating');
  assert.equal(ratingLimit({ nominalFrequencyHz: 60 }, '1-0:14.7.0'), { min: 54, max: 66 });
  assert.equal(ratingLimit({ nominalFrequencyHz: 50 }, '1-0:32.7.0'), undefined, 'no nominal voltage, no voltage window');
});

test('explicit windows win per bound; implausible names the side', () => {
  assert.equal(mergeLimit({ min: -1 }, { min: -5, max: 5 }), { min: -1, max: 5 });
  assert.equal(mergeLimit(undefined, undefined), undefined);
  assert.is(implausible({ min: 45, max: 55 }, 99), 'above_max');
  assert.is(implausible({ min: 45, max: 55 }, 0), 'below_min');
  assert.is(implausible({ min: 45, max: 55 }, 50), null);
  assert.is(implausible(undefined, 1e12), null);
});

test('the screen drops 99 Hz, 10 MW, 421 A and 9999 V from a 230 V / 100 A meter and keeps the rest in order', () => {
  const values = [toMeasurement('1-0:32.7.0', 9999), toMeasurement('1-0:14.7.0', 99), toMeasurement('1-0:16.7.0', 10_000_000),
    toMeasurement('1-0:31.7.0', 421), toMeasurement('1-0:1.8.0', 1_234_000), toMeasurement('1-0:52.7.0', 231.5), toMeasurement('1-0:13.7.0', 0.97)];
  const t = loadTemplate('sdm630');
  const explicit = new Map(t.points.filter((p) => p.min !== undefined || p.max !== undefined).map((p) => [p.quantity, { min: p.min, max: p.max }]));
  const { kept, dropped } = screenValues(values, limitsOf(t.rating!, explicit));
  assert.equal(dropped.map((d) => [d.quantity, d.reason]), [['1-0:32.7.0', 'above_max'], ['1-0:14.7.0', 'above_max'], ['1-0:16.7.0', 'above_max'], ['1-0:31.7.0', 'above_max']]);
  assert.equal(kept.map((v) => v.quantity), ['1-0:1.8.0', '1-0:52.7.0', '1-0:13.7.0']);
  assert.equal(screenValues([toMeasurement('1-0:13.7.0', -1.5)], limitsOf(t.rating!, explicit)).dropped.map((d) => d.reason), ['below_min'], 'template PF window');
});

test('every shipped template has a rating; a bad rating fails closed naming the field', () => {
  for (const id of ['sdm630', 'sdm630-thd', 'sdm120', 'sunspec-203', 'sunspec-213']) {
    const r = loadTemplate(id).rating;
    assert.ok(r && r.nominalFrequencyHz === 50 && r.maxCurrentA! > 0 && r.nominalVoltageV === 230, id);
  }
  assert.is(loadTemplate('sdm120').rating!.maxCurrentA, 45);
  assert.equal(ratingProblem({ phases: 2 }), { field: '.phases', expected: '1 or 3' });
  assert.equal(ratingProblem({ nominalFrequencyHz: -50 })?.field, '.nominalFrequencyHz');
  assert.equal(ratingProblem({ volts: 230 })?.field, '.volts');
  const base = { id: 'x', description: 'x', sentinels: false, points: [{ name: 'V', quantity: '1-0:32.7.0', functionCode: 4, address: 0, type: 'float32', wordOrder: 'ABCD', sourceUnit: 'V', unit: 'V', multiplier: 1 }] };
  assert.throws(() => validateTemplate({ ...base, rating: { maxCurrentA: 0 } }), /rating\.maxCurrentA/);
  assert.equal(validateTemplate({ ...base, rating: { maxCurrentA: 60 } }).rating, { maxCurrentA: 60 });
});

test('the gate: kinds\' defaults (Chain 2 LV supply, PMU frequency only, EMS none), config rating wins, a draft with nothing left is null', () => {
  const metrics = new Metrics();
  const lines: string[] = [];
  let now = 0;
  const gate = createValueGate({ metrics, log: createLogger({ write: (l) => lines.push(l) }), now: () => now });
  const draft = (meter: string, values: ReturnType<typeof toMeasurement>[]) => ({ meter, timestamp: 1, source: 'x', values });
  const c2 = gate.forSource('c2', 'chain2');
  assert.equal(c2(draft('c2', [toMeasurement('1-0:1.7.0', 10_000_000), toMeasurement('1-0:1.8.0', 5)]))!.values.map((v) => v.quantity), ['1-0:1.8.0']);
  assert.is(c2(draft('c2', [toMeasurement('1-0:1.7.0', 60_000)]))!.values.length, 1, '60 kW is inside 3 × 100 A');
  const pmu = gate.forSource('pmu', 'pmu');
  assert.is(pmu(draft('pmu', [toMeasurement('1-0:14.7.0', 99)])), null, '99 Hz from a PMU: nothing left, nothing to sign');
  assert.is(pmu(draft('pmu', [toMeasurement('1-0:32.7.0', 20_000)]))!.values.length, 1, 'MV voltage kept without a rating');
  const pmuRated = gate.forSource('pmu2', 'pmu', undefined, { nominalVoltageV: 11_547 });
  assert.is(pmuRated(draft('pmu2', [toMeasurement('1-0:32.7.0', 40_000)])), null, 'rated PMU: 40 kV on a 20 kV line dropped');
  const learned = { rating: {} as { nominalFrequencyHz?: number } };
  const pmu60 = gate.forSource('pmu60', 'pmu', learned);
  assert.is(pmu60(draft('pmu60', [toMeasurement('1-0:14.7.0', 60)])), null, 'before its CFG: the 50 Hz default');
  learned.rating = { nominalFrequencyHz: 60 }; // the PMU declared FNOM 60 Hz
  assert.is(pmu60(draft('pmu60', [toMeasurement('1-0:14.7.0', 60)]))!.values.length, 1, 'after: 54..66 Hz');
  assert.is(gate.forSource('ems', 'ems')(draft('ems', [toMeasurement('1-0:16.7.0', 1e7)]))!.values.length, 1, 'EMS: no window unless rated');
  const modbus = gate.forSource('m', 'modbus', { rating: { nominalVoltageV: 230, maxCurrentA: 45 } }, { maxCurrentA: 100 });
  assert.is(modbus(draft('m', [toMeasurement('1-0:31.7.0', 80)]))!.values.length, 1, 'the config rating (100 A) wins over the template (45 A)');
  for (let i = 0; i < 5; i++) c2(draft('c2', [toMeasurement('1-0:1.7.0', 10_000_000)]));
  assert.match(metrics.render(), /acquisition_values_dropped_total\{quantity="1-0:1.7.0",reason="above_max",source="c2"\} 6/);
  assert.is(lines.filter((l) => l.includes('"quantity":"1-0:1.7.0"')).length, 1, 'logged once a minute per source, quantity and reason');
  now = 61_000;
  c2(draft('c2', [toMeasurement('1-0:1.7.0', 10_000_000)]));
  const again = lines.filter((l) => l.includes('"quantity":"1-0:1.7.0"'));
  assert.is(again.length, 2);
  assert.match(again[1]!, /"droppedSinceLastLog":5/);
  assert.match(again[1]!, /EDGE_VALUE_IMPLAUSIBLE/);
  assert.is(gate.status().dropped, 10);
  assert.equal(gate.status().last, { source: 'c2', quantity: '1-0:1.7.0', found: 10_000_000, reason: 'above_max', atMs: 61_000 });
});

test.run();
