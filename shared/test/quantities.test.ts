import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QUANTITIES, toMeasurement, isObisCode, physicalValue } from '../src/quantities.js';
import { UNITS, validateMeasurement } from '../src/reading.js';
import { isLightNodeError } from '../src/errors.js';

test('every table row has an OBIS-grammar code, a known unit and a scale in range', () => {
  assert.ok(QUANTITIES.size > 40);
  for (const q of QUANTITIES.values()) {
    assert.ok(isObisCode(q.code), q.code);
    assert.ok(UNITS.has(q.unit), `${q.code} ${q.unit}`);
    assert.ok(Number.isInteger(q.scale) && q.scale >= -18 && q.scale <= 18, q.code);
    assert.is(q.project === true, q.code.includes(':128.'), `project flag of ${q.code}`);
  }
});

test('DESIGN §3 quantities are in the table with their SI units', () => {
  const expected: Record<string, string> = {
    '1-0:1.8.0': 'Wh', '1-0:2.8.0': 'Wh', '1-0:1.7.0': 'W', '1-0:2.7.0': 'W',
    '1-0:32.7.0': 'V', '1-0:31.7.0': 'A', '1-0:14.7.0': 'Hz',
  };
  for (const [code, unit] of Object.entries(expected)) assert.is(QUANTITIES.get(code)?.unit, unit, code);
});

test('isObisCode accepts A-B:C.D.E with groups 0..255 only', () => {
  for (const ok of ['1-0:1.8.0', '0-0:96.7.21', '255-255:255.255.255']) assert.ok(isObisCode(ok), ok);
  for (const bad of ['1-0:1.8', '1.8.0', '1-0:256.8.0', '01-0:1.8.0', '1-0:1.8.0*255', ' 1-0:1.8.0', 'x', 5]) assert.not.ok(isObisCode(bad), String(bad));
});

test('toMeasurement rounds floats at the documented resolution without float noise', () => {
  assert.equal(toMeasurement('1-0:32.7.0', 230.1), { quantity: '1-0:32.7.0', value: 23010, scale: -2, unit: 'V' });
  assert.equal(toMeasurement('1-0:31.7.0', 4.5675), { quantity: '1-0:31.7.0', value: 4568, scale: -3, unit: 'A' });
  assert.equal(toMeasurement('1-0:1.8.0', 12345678.6), { quantity: '1-0:1.8.0', value: 12345679, scale: 0, unit: 'Wh' });
  assert.equal(toMeasurement('1-0:16.7.0', -1500.25), { quantity: '1-0:16.7.0', value: -15003, scale: -1, unit: 'W' });
  assert.equal(toMeasurement('1-0:16.7.0', -0.01), { quantity: '1-0:16.7.0', value: 0, scale: -1, unit: 'W' });
  assert.ok(Object.is(toMeasurement('1-0:16.7.0', -0.01).value, 0), 'no negative zero');
  // Float32 from a meter (SDM630 voltage) lands on the nearest 10 mV.
  const f32 = new Float32Array([229.87]);
  assert.is(toMeasurement('1-0:32.7.0', f32[0]!).value, 22987);
});

test('toMeasurement output passes validateMeasurement and physicalValue inverts it', () => {
  for (const q of QUANTITIES.values()) {
    const m = toMeasurement(q.code, 123.456);
    assert.equal(validateMeasurement(m), m);
    assert.ok(Math.abs(physicalValue(m) - 123.456) <= 10 ** q.scale / 2 + 1e-9, q.code);
  }
});

test('toMeasurement refuses NaN, Infinity, unknown quantities and unsafe magnitudes', () => {
  for (const v of [NaN, Infinity, -Infinity]) {
    assert.throws(() => toMeasurement('1-0:1.8.0', v), (e: unknown) => isLightNodeError(e, 'PROTO_VALUE_NOT_FINITE'));
  }
  assert.throws(() => toMeasurement('9-9:9.9.9', 1), (e: unknown) => isLightNodeError(e, 'PROTO_QUANTITY_UNKNOWN'));
  assert.throws(() => toMeasurement('1-0:31.7.0', 1e14), (e: unknown) => isLightNodeError(e, 'PROTO_VALUE_OUT_OF_RANGE'));
});

test.run();
