import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateReading, validateSignedReading, type Reading } from '../src/reading.js';
import { isLightNodeError, type ValidationError } from '../src/errors.js';

const good: Reading = {
  pod: 'IT001E12345678',
  meter: 'sdm630-1',
  seq: 42,
  timestamp: 1_763_780_400_000,
  source: 'modbus',
  values: [
    { quantity: '1-0:1.8.0', value: 1234567, scale: 0, unit: 'Wh' },
    { quantity: '1-0:16.7.0', value: -15003, scale: -1, unit: 'W' },
  ],
};
const sig = '0x' + '11'.repeat(64) + '1b';

test('a good reading validates to an equal, fresh object', () => {
  const out = validateReading(structuredClone(good));
  assert.equal(out, good);
  assert.is.not(out, good);
  assert.equal(validateReading({ ...good, signature: sig }), good, 'signature is dropped');
  assert.equal(validateSignedReading({ ...good, signature: sig.toUpperCase().replace('0X', '0x') }), { ...good, signature: sig });
  for (const pod of ['IT001E12345678', 'IT999E00000000A', 'IT123E987654329']) assert.is(validateReading({ ...good, pod }).pod, pod);
  for (const source of ['chain2', 'ems', 'activation:sp-2026-11-22.1', `c37118:${'0a'.repeat(32)}`, `pmu-json:${'f'.repeat(64)}`]) assert.is(validateReading({ ...good, source }).source, source);
});

function expectInvalid(x: unknown, field: string, signed = false): void {
  try {
    (signed ? validateSignedReading : validateReading)(x);
  } catch (e) {
    assert.ok(isLightNodeError(e, 'PROTO_READING_INVALID'), String(e));
    assert.is((e as ValidationError).details['field'], field, String(e));
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(x)}`);
}

const v0 = good.values[0]!;
// [description, input, field named by the error]
const hostile: [string, unknown, string][] = [
  ['null', null, 'reading'],
  ['array', [good], 'reading'],
  ['string', JSON.stringify(good), 'reading'],
  ['lower-case pod', { ...good, pod: 'it001E12345678' }, 'pod'],
  ['short pod', { ...good, pod: 'IT001E1234567' }, 'pod'],
  ['pod with G', { ...good, pod: 'IT001G12345678' }, 'pod'],
  ['pod number', { ...good, pod: 1 }, 'pod'],
  ['empty meter', { ...good, meter: '' }, 'meter'],
  ['meter with space', { ...good, meter: 'meter 1' }, 'meter'],
  ['unicode meter', { ...good, meter: 'zähler' }, 'meter'],
  ['meter too long', { ...good, meter: 'm'.repeat(65) }, 'meter'],
  ['negative seq', { ...good, seq: -1 }, 'seq'],
  ['fractional seq', { ...good, seq: 1.5 }, 'seq'],
  ['seq as string', { ...good, seq: '42' }, 'seq'],
  ['unsafe seq', { ...good, seq: 2 ** 53 }, 'seq'],
  ['timestamp in seconds', { ...good, timestamp: 1_763_780_400 }, 'timestamp'],
  ['timestamp NaN', { ...good, timestamp: NaN }, 'timestamp'],
  ['timestamp string', { ...good, timestamp: '2026-11-22T02:00:00Z' }, 'timestamp'],
  ['unknown source', { ...good, source: 'mqtt' }, 'source'],
  ['activation without id', { ...good, source: 'activation:' }, 'source'],
  ['PMU frame digest not 64 hex', { ...good, source: `c37118:${'0'.repeat(63)}` }, 'source'],
  ['PMU frame digest upper case', { ...good, source: `c37118:${'A'.repeat(64)}` }, 'source'],
  ['no values', { ...good, values: [] }, 'values'],
  ['values not array', { ...good, values: {} }, 'values'],
  ['65 values', { ...good, values: Array.from({ length: 65 }, (_, i) => ({ ...v0, quantity: `1-0:1.8.${i}` })) }, 'values'],
  ['duplicate quantity', { ...good, values: [v0, v0] }, 'values[1].quantity'],
  ['float value', { ...good, values: [{ ...v0, value: 1.5 }] }, 'values[0].value'],
  ['NaN value', { ...good, values: [{ ...v0, value: NaN }] }, 'values[0].value'],
  ['value as string', { ...good, values: [{ ...v0, value: '1' }] }, 'values[0].value'],
  ['unsafe value', { ...good, values: [{ ...v0, value: 2 ** 53 }] }, 'values[0].value'],
  ['scale 19', { ...good, values: [{ ...v0, scale: 19 }] }, 'values[0].scale'],
  ['scale -19', { ...good, values: [{ ...v0, scale: -19 }] }, 'values[0].scale'],
  ['kWh unit', { ...good, values: [{ ...v0, unit: 'kWh' }] }, 'values[0].unit'],
  ['unit not matching quantity', { ...good, values: [{ ...v0, unit: 'W' }] }, 'values[0].unit'],
  ['bad OBIS', { ...good, values: [{ ...v0, quantity: '1.8.0' }] }, 'values[0].quantity'],
  ['measurement null', { ...good, values: [null] }, 'values[0]'],
  ['extra measurement field', { ...good, values: [{ ...v0, note: 'x' }] }, 'values[0].note'],
  ['missing measurement field', { ...good, values: [{ quantity: v0.quantity, value: 1, scale: 0 }] }, 'values[0].unit'],
  ['extra reading field', { ...good, extra: true }, 'extra'],
  ['missing pod', { ...good, pod: undefined }, 'pod'],
  ['__proto__ junk', JSON.parse(`{"__proto__": {"x": 1}, "pod": "IT001E12345678"}`), '__proto__'],
];

for (const [name, input, field] of hostile) {
  test(`validateReading refuses: ${name}`, () => expectInvalid(input, field));
}

test('validateSignedReading refuses a missing, short, long or non-hex signature', () => {
  expectInvalid(good, 'signature', true);
  expectInvalid({ ...good, signature: sig.slice(0, -2) }, 'signature', true);
  expectInvalid({ ...good, signature: sig + '00' }, 'signature', true);
  expectInvalid({ ...good, signature: sig.slice(2) }, 'signature', true);
  expectInvalid({ ...good, signature: sig.slice(0, -1) + 'g' }, 'signature', true);
});

test.run();
