// Platone PMU JSON payload (D2.15 Figure 2): the deliverable's example parses, every measurand
// maps to its quantity per phase, the ISO time is exact to the ns, and hostile payloads are
// refused with PROTO_PMU_JSON_INVALID naming the field — never a crash (seeded mutation loop).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePlatonePayload, platoneMeasurements, platoneTime, platoneComponents, platoneMeterId } from '../src/platone-pmu.js';
import { validateReading } from '../src/reading.js';
import { LightNodeError, isLightNodeError } from '../src/errors.js';
import { prng } from './prng.js';

// The example of Platone D2.15 Figure 2, as published.
const FIGURE_2 = '{"device":"PMU1","timestamp":"2020-05-20T10:27:57.980802+00:00","readings":[{"component":"BUS1","measurand":"voltmagnitude","phase":"A","data":11},{"component":"BUS2","measurand":"voltmagnitude","phase":"A","data":22}]}';
const FULL = {
  device: 'PMU1', timestamp: '2026-06-01T12:00:00.020+02:00',
  readings: [
    ...['A', 'B', 'C'].flatMap((ph, i) => [
      { component: 'BUS1', measurand: 'voltmagnitude', phase: ph, data: 230.12 + i },
      { component: 'BUS1', measurand: 'voltangle', phase: ph, data: [0.5, -1.5943951, 2.6] [i]! },
      { component: 'BUS1', measurand: 'currmagnitude', phase: ph, data: 10.5 },
      { component: 'BUS1', measurand: 'currangle', phase: ph, data: 0.25 },
    ]),
    { component: 'BUS1', measurand: 'frequency', phase: '', data: 49.9876 },
    { component: 'BUS1', measurand: 'rocof', phase: '', data: -0.0125 },
    { component: 'BUS1', measurand: 'thd', phase: 'A', data: 2.1 },
  ],
};

test('the D2.15 Figure 2 example parses exactly; one reading per component', () => {
  const p = parsePlatonePayload(new TextEncoder().encode(FIGURE_2));
  assert.equal(p, JSON.parse(FIGURE_2));
  assert.equal(platoneComponents(p), ['BUS1', 'BUS2']);
  const m = platoneMeasurements(p, 'BUS2', 'rad');
  assert.equal(m.values, [{ quantity: '1-0:32.7.0', value: 2200, scale: -2, unit: 'V' }, { quantity: '0-0:128.14.0', value: 802_000, scale: -9, unit: 's' }]);
  assert.is(m.timestampMs, Date.UTC(2020, 4, 20, 10, 27, 57, 980));
  assert.is(platoneMeterId('pmu-json', 'BUS2'), 'pmu-json.BUS2');
});

test('every measurand per phase, angles from rad or deg, mHz frequency, ROCOF; unknown measurands ignored; a valid reading', () => {
  const p = parsePlatonePayload(JSON.stringify(FULL));
  const m = platoneMeasurements(p, 'BUS1', 'rad');
  const by = Object.fromEntries(m.values.map((v) => [v.quantity, v]));
  assert.is(m.timestampMs, Date.UTC(2026, 5, 1, 10, 0, 0, 20), '+02:00 offset applied');
  assert.equal(by['1-0:52.7.0'], { quantity: '1-0:52.7.0', value: 23112, scale: -2, unit: 'V' });
  assert.equal(by['1-0:71.7.0'], { quantity: '1-0:71.7.0', value: 10500, scale: -3, unit: 'A' });
  assert.is(by['1-0:128.11.1']!.value, Math.round((0.5 * 180_000) / Math.PI));
  assert.is(by['1-0:128.11.2']!.value, -91352);
  assert.equal(by['1-0:14.7.0'], { quantity: '1-0:14.7.0', value: 49988, scale: -3, unit: 'Hz' });
  assert.equal(by['1-0:128.13.0'], { quantity: '1-0:128.13.0', value: -13, scale: -3, unit: 'Hz/s' });
  assert.not.ok('0-0:128.14.0' in by);
  assert.equal(m.ignored, ['thd/A']);
  assert.is(platoneMeasurements(p, 'BUS1', 'deg').values.find((v) => v.quantity === '1-0:128.11.1')!.value, 500);
  validateReading({ pod: 'IT001E12345678', meter: 'pmu-json.BUS1', seq: 0, timestamp: m.timestampMs, source: `pmu-json:${'a'.repeat(64)}`, values: m.values });
});

test('platoneTime is exact to the ns from the text (no float)', () => {
  assert.equal(platoneTime('2020-05-20T10:27:57.980802+00:00'), { ms: 1589970477980, subMsNs: 802000 });
  assert.equal(platoneTime('2020-05-20T10:27:57.123456789Z'), { ms: 1589970477123, subMsNs: 456789 });
  assert.equal(platoneTime('2020-05-20T10:27:57-01:30'), { ms: 1589970477000 + 90 * 60_000, subMsNs: 0 });
});

const hostile: [string, unknown, string][] = [
  ['not JSON', '{"device":', 'payload'],
  ['array', '[]', 'payload'],
  ['no device', JSON.stringify({ ...FULL, device: undefined }), 'device'],
  ['device too long', JSON.stringify({ ...FULL, device: 'x'.repeat(65) }), 'device'],
  ['timestamp without offset', JSON.stringify({ ...FULL, timestamp: '2020-05-20T10:27:57' }), 'timestamp'],
  ['timestamp as number', JSON.stringify({ ...FULL, timestamp: 1589970477 }), 'timestamp'],
  ['timestamp 31 Feb', JSON.stringify({ ...FULL, timestamp: '2020-02-31T10:00:00Z' }), 'timestamp'],
  ['timestamp hour 24', JSON.stringify({ ...FULL, timestamp: '2020-02-01T24:00:00Z' }), 'timestamp'],
  ['no readings', JSON.stringify({ ...FULL, readings: [] }), 'readings'],
  ['reading not an object', JSON.stringify({ ...FULL, readings: [1] }), 'readings[0]'],
  ['data as string', JSON.stringify({ ...FULL, readings: [{ component: 'B', measurand: 'frequency', phase: '', data: '50' }] }), 'readings[0].data'],
  ['data NaN (1e999)', '{"device":"P","timestamp":"2020-05-20T10:27:57Z","readings":[{"component":"B","measurand":"frequency","phase":"","data":1e999}]}', 'readings[0].data'],
  ['component with a space', JSON.stringify({ ...FULL, readings: [{ component: 'BUS 1', measurand: 'frequency', phase: '', data: 50 }] }), 'readings[0].component'],
  ['not UTF-8', Uint8Array.of(0x7b, 0xff, 0x7d), 'payload'],
  ['too large', 'x'.repeat(300_000), 'payload'],
  ['wrong type', 42, 'payload'],
];

test('hostile payloads refused with PROTO_PMU_JSON_INVALID naming the field', () => {
  for (const [name, input, field] of hostile) {
    try { parsePlatonePayload(input as string); assert.unreachable(name); }
    catch (e) {
      if (!(e instanceof LightNodeError)) throw e;
      assert.is(e.code, 'PROTO_PMU_JSON_INVALID', name);
      assert.is(e.details.field, field, name);
    }
  }
  const twice = parsePlatonePayload(JSON.stringify({ ...FULL, readings: [FULL.readings[0], FULL.readings[0]] }));
  assert.throws(() => platoneMeasurements(twice, 'BUS1', 'rad'), (e: unknown) => isLightNodeError(e, 'PROTO_PMU_JSON_INVALID'));
});

test('fuzz: mutated payloads parse and map, or fail with a coded error', () => {
  const rnd = prng(1502);
  const text = JSON.stringify(FULL);
  for (let n = 0; n < 2000; n++) {
    const i = Math.floor(rnd() * text.length);
    const t = rnd() < 0.5 ? text.slice(0, i) + String.fromCharCode(32 + Math.floor(rnd() * 95)) + text.slice(i + 1) : text.slice(0, i) + text.slice(i + 1 + Math.floor(rnd() * 5));
    try {
      const p = parsePlatonePayload(t);
      for (const c of platoneComponents(p)) platoneMeasurements(p, c, 'rad');
    } catch (e) {
      if (!(e instanceof LightNodeError)) assert.unreachable(`mutation ${n} threw ${String(e)}: ${t}`);
    }
  }
});

test.run();
