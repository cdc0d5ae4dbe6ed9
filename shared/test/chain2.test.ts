import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { parseChain2Message, chain2ToMeasurements, chain2PodOf, CHAIN2_TYPES, type Chain2Message } from '../src/chain2.js';
import { CHAIN2_QUANTITIES } from '../src/chain2-fields.js';
import { validateReading } from '../src/reading.js';
import { QUANTITIES } from '../src/quantities.js';
import { isLightNodeError, type ErrorCode, type ValidationError } from '../src/errors.js';

const examples: Record<string, any> = JSON.parse(readFileSync(new URL('../vectors/chain2-examples.json', import.meta.url), 'utf8')).messages;
const cf1 = examples['CF1'];

test('every Chain2Data type in the table has a good example that parses with nothing ignored', () => {
  for (const type of Object.keys(CHAIN2_TYPES)) {
    const msg = parseChain2Message(JSON.stringify(examples[type]));
    assert.is(msg.envelope, 'Chain2Data', type);
    if (msg.envelope !== 'Chain2Data') return;
    assert.is(msg.type, type);
    assert.is(msg.meter, 'IT001E12345678-2G');
    assert.equal(msg.payload, examples[type].Chain2Data.Payload, `${type}: payload kept exactly`);
    assert.equal(msg.ignoredFields, []);
  }
});

test('Chain2Info and Chain2State parse', () => {
  assert.equal(parseChain2Message(JSON.stringify(examples['Chain2Info'])), { envelope: 'Chain2Info', Id: 'C2G-00A1B2', Ip: '192.168.1.50', ProgId: '2.1.7', CFcountFromBoot: 1234 });
  assert.equal(parseChain2Message(JSON.stringify(examples['Chain2State'])), { envelope: 'Chain2State', state: examples['Chain2State'].Chain2State });
  const numericIds = { Chain2Info: { ...examples['Chain2Info'].Chain2Info, Id: 42, ProgId: 7 } };
  assert.is((parseChain2Message(JSON.stringify(numericIds)) as { Id: unknown }).Id, 42);
});

test('chain2ToMeasurements maps by the documented table and every result makes a valid reading', () => {
  const m = chain2ToMeasurements(parseChain2Message(JSON.stringify(cf1)));
  assert.is(m.timestampMs, 1763780400_000);
  const byQ = Object.fromEntries(m.values.map((v) => [v.quantity, v]));
  assert.equal(byQ['1-0:1.8.0'], { quantity: '1-0:1.8.0', value: 1502331, scale: 0, unit: 'Wh' });
  assert.equal(byQ['1-0:1.7.0'], { quantity: '1-0:1.7.0', value: 1650, scale: 0, unit: 'W' });
  assert.equal(byQ['1-0:1.5.0'], { quantity: '1-0:1.5.0', value: 1672, scale: 0, unit: 'W' });
  assert.equal(byQ['0-0:96.14.0']?.value, 2);
  const cf9 = chain2ToMeasurements(parseChain2Message(JSON.stringify(examples['CF9'])));
  assert.equal(cf9.values.find((v) => v.quantity === '1-0:12.3.0'), { quantity: '1-0:12.3.0', value: 22140, scale: -2, unit: 'V' });
  assert.is(cf9.timestampMs, null, 'CF9 has no measurement time: caller uses arrival time');
  for (const type of Object.keys(CHAIN2_TYPES)) {
    const { values } = chain2ToMeasurements(parseChain2Message(JSON.stringify(examples[type])));
    assert.is(values.length, Object.keys(CHAIN2_QUANTITIES[type as keyof typeof CHAIN2_QUANTITIES]).length, type);
    validateReading({ pod: 'IT001E12345678', meter: 'chain2', seq: 1, timestamp: 1763780400_000, source: 'chain2', values });
  }
  assert.equal(chain2ToMeasurements(parseChain2Message(JSON.stringify(examples['Chain2Info']))), { timestampMs: null, values: [] });
});

test('the quantity mapping only names fields of its type and quantities of the table', () => {
  for (const [type, map] of Object.entries(CHAIN2_QUANTITIES)) {
    for (const [field, q] of Object.entries(map)) {
      assert.ok(field in CHAIN2_TYPES[type as keyof typeof CHAIN2_TYPES], `${type}.${field}`);
      assert.ok(QUANTITIES.has(q), q);
    }
  }
});

test('chain2PodOf reads the PoD from CF20 only', () => {
  assert.is(chain2PodOf(parseChain2Message(JSON.stringify(examples['CF20']))), 'IT001E12345678');
  assert.is(chain2PodOf(parseChain2Message(JSON.stringify(cf1))), null);
});

test('extra payload fields are tolerated and reported, not kept', () => {
  const msg = parseChain2Message(JSON.stringify({ Chain2Data: { ...cf1.Chain2Data, Payload: { ...cf1.Chain2Data.Payload, NewField: 1 } } })) as Chain2Message & { ignoredFields: string[]; payload: object };
  assert.equal(msg.ignoredFields, ['NewField']);
  assert.not.ok('NewField' in msg.payload);
});

const data = (over: object) => JSON.stringify({ Chain2Data: { ...cf1.Chain2Data, ...over } });
const payload = (over: object) => data({ Payload: { ...cf1.Chain2Data.Payload, ...over } });
const { TotalActEnergy: _t, ...noEnergy } = cf1.Chain2Data.Payload;

// [name, text, code, field]
const hostile: [string, string, ErrorCode, string | undefined][] = [
  ['not JSON', '{Chain2Data:', 'CHAIN2_JSON_INVALID', 'message'],
  ['empty', '', 'CHAIN2_JSON_INVALID', 'message'],
  ['huge', `{"Chain2State":{"x":"${'a'.repeat(70_000)}"}}`, 'CHAIN2_JSON_INVALID', 'message'],
  ['JSON array', '[]', 'CHAIN2_ENVELOPE_UNKNOWN', 'envelope'],
  ['JSON number', '42', 'CHAIN2_ENVELOPE_UNKNOWN', 'envelope'],
  ['unknown envelope', '{"Chain3Data":{}}', 'CHAIN2_ENVELOPE_UNKNOWN', 'envelope'],
  ['two envelopes', JSON.stringify({ ...examples['Chain2Info'], ...cf1 }), 'CHAIN2_ENVELOPE_UNKNOWN', 'envelope'],
  ['lower-case envelope', JSON.stringify({ chain2data: cf1.Chain2Data }), 'CHAIN2_ENVELOPE_UNKNOWN', 'envelope'],
  ['envelope body not object', '{"Chain2Data":"CF1"}', 'CHAIN2_FIELD_INVALID', 'Chain2Data'],
  ['unknown type', data({ Type: 'CF99' }), 'CHAIN2_TYPE_UNKNOWN', 'Chain2Data.Type'],
  ['type prototype key', data({ Type: 'toString' }), 'CHAIN2_TYPE_UNKNOWN', 'Chain2Data.Type'],
  ['type as number', data({ Type: 1 }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Type'],
  ['missing type', data({ Type: undefined }), 'CHAIN2_FIELD_MISSING', 'Chain2Data.Type'],
  ['missing meter', data({ Meter: undefined }), 'CHAIN2_FIELD_MISSING', 'Chain2Data.Meter'],
  ['empty meter', data({ Meter: '' }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Meter'],
  ['missing payload', data({ Payload: undefined }), 'CHAIN2_FIELD_MISSING', 'Chain2Data.Payload'],
  ['payload array', data({ Payload: [] }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload'],
  ['missing field', data({ Payload: noEnergy }), 'CHAIN2_FIELD_MISSING', 'Chain2Data.Payload.TotalActEnergy'],
  ['number as string', payload({ TotalActEnergy: '1502331' }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload.TotalActEnergy'],
  ['negative energy', payload({ TotalActEnergy: -1 }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload.TotalActEnergy'],
  ['fractional energy', payload({ TotalActEnergy: 1.5 }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload.TotalActEnergy'],
  ['null power', payload({ InstantPower: null }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload.InstantPower'],
  ['boolean timestamp', payload({ MeasurePosixTimestamp: true }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload.MeasurePosixTimestamp'],
  ['huge number', payload({ TotalActEnergy: 1e300 }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload.TotalActEnergy'],
  ['CF20 POD as number', JSON.stringify({ Chain2Data: { ...examples['CF20'].Chain2Data, Payload: { ...examples['CF20'].Chain2Data.Payload, POD: 1 } } }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload.POD'],
  ['CF9 Veff as string', JSON.stringify({ Chain2Data: { ...examples['CF9'].Chain2Data, Payload: { ...examples['CF9'].Chain2Data.Payload, WeeklyVeffMin: '221.4' } } }), 'CHAIN2_FIELD_INVALID', 'Chain2Data.Payload.WeeklyVeffMin'],
  ['info missing Ip', JSON.stringify({ Chain2Info: { Id: 'x', ProgId: 1, CFcountFromBoot: 1 } }), 'CHAIN2_FIELD_MISSING', 'Chain2Info.Ip'],
  ['state with object', JSON.stringify({ Chain2State: { nested: { a: 1 } } }), 'CHAIN2_FIELD_INVALID', 'Chain2State.nested'],
];

for (const [name, text, code, field] of hostile) {
  test(`hostile: ${name} → ${code}`, () => {
    try {
      parseChain2Message(text);
    } catch (e) {
      assert.ok(isLightNodeError(e, code), `${name}: got ${String(e)}`);
      assert.is((e as ValidationError).details['field'], field);
      return;
    }
    assert.unreachable(`${name} accepted`);
  });
}

test('non-string input is refused, not thrown as a TypeError', () => {
  assert.throws(() => parseChain2Message(undefined as unknown as string), (e: unknown) => isLightNodeError(e, 'CHAIN2_JSON_INVALID'));
});

test.run();
