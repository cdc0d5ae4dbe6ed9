// The CIM MeterReadings codec (src/cim/): three ways on the committed vectors (bytes → object,
// object → exact bytes, round trip) in XML and JSON, the OBIS ↔ ReadingType table against the
// reference's test vectors, exact decimals, and a table of hostile inputs each refused with its
// code — never a crash, never an expanded entity.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { decodeCimXml, encodeCimXml } from '../src/cim/xml-codec.js';
import { decodeCimJson, encodeCimJson } from '../src/cim/json-codec.js';
import { validateMessage, type CimMessage } from '../src/cim/model.js';
import { parseXml } from '../src/cim/xml-parser.js';
import { READING_TYPES_BY_OBIS, describeReadingType, readingTypeOfObis, readingTypeRow } from '../src/cim/reading-type.js';
import { decimalToMeasurement, measurementToDecimal } from '../src/cim/decimal.js';
import { cimReadingToMeasurement, readingsToMeterReadings } from '../src/cim/readings-map.js';
import { QUANTITIES } from '../src/quantities.js';
import { validateMeasurement } from '../src/reading.js';
import { isLightNodeError, type ErrorCode } from '../src/errors.js';

const vec = (f: string): string => readFileSync(new URL(`../vectors/cim/${f}`, import.meta.url), 'utf8');
const NAMES = ['created-two-meters', 'reply-partial'];
const objectOf = (n: string): unknown => JSON.parse(vec(`${n}.json`));

test('XML vectors: bytes → object equals the JSON vector, nothing dropped', () => {
  for (const n of NAMES) {
    assert.equal(decodeCimXml(vec(`${n}.xml`)), validateMessage(objectOf(n)), n);
    assert.equal(decodeCimXml(new TextEncoder().encode(vec(`${n}.xml`))), validateMessage(objectOf(n)), `${n} as bytes`);
  }
});

test('XML vectors: object → exact committed bytes', () => {
  for (const n of NAMES) assert.is(encodeCimXml(objectOf(n) as CimMessage), vec(`${n}.xml`), n);
});

test('JSON vectors: bytes → object → canonical bytes → same object', () => {
  for (const n of NAMES) {
    const m = decodeCimJson(vec(`${n}.json`));
    const text = encodeCimJson(m);
    assert.is(text, JSON.stringify(JSON.parse(vec(`${n}.json`))), `${n}: the vector is already canonical`);
    assert.equal(decodeCimJson(text), m);
  }
});

test('round trip XML ↔ JSON is lossless both ways', () => {
  for (const n of NAMES) {
    const fromXml = decodeCimXml(vec(`${n}.xml`));
    assert.is(encodeCimJson(fromXml), encodeCimJson(decodeCimJson(encodeCimJson(fromXml))));
    assert.is(encodeCimXml(decodeCimJson(encodeCimJson(fromXml))), vec(`${n}.xml`));
  }
});

test('a document in another producer\'s style (prefixes, indentation, comments, references) decodes', () => {
  const m = decodeCimXml(vec('reply-foreign-style.xml'));
  assert.equal(m.Header, { Verb: 'reply', Noun: 'MeterReadings' });
  assert.equal(m.Reply, { Result: 'OK', Error: [] });
  const mr = m.Payload!.MeterReadings.MeterReading[0]!;
  assert.is(mr.Meter!.mRID, 'MAIN & co');
  assert.equal(mr.Readings[0], { timeStamp: '2017-07-02T00:00:00+03:00', value: '2.147', ReadingQualities: [], ReadingType: { ref: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0' } });
  assert.equal(decodeCimXml(encodeCimXml(m)), m);
});

test('ReadingType table: the reference\'s literal vectors, units agree with the quantity table', () => {
  assert.is(readingTypeOfObis('1-0:1.8.0')!.code, '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0');
  assert.is(readingTypeOfObis('1-0:2.8.0')!.code, '0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0');
  assert.is(readingTypeOfObis('1-0:31.7.0')!.code, '0.0.0.6.0.1.4.0.0.0.0.0.0.0.128.0.5.0');
  assert.is(readingTypeOfObis('1-0:32.7.0')!.code, '0.0.0.6.0.1.158.0.0.0.0.0.0.0.129.0.29.0');
  assert.is(readingTypeOfObis('1-0:1.7.0')!.code, '0.0.0.6.1.1.37.0.0.0.0.0.0.0.0.3.38.0');
  assert.is(readingTypeOfObis('1-0:14.7.0')!.code, '0.0.0.6.0.1.15.0.0.0.0.0.0.0.0.0.33.0');
  const codes = new Set<string>();
  const UNIT_CODE: Record<string, string> = { Wh: '72', W: '38', V: '29', A: '5', Hz: '33' };
  for (const row of READING_TYPES_BY_OBIS.values()) {
    assert.is(QUANTITIES.get(row.obis)?.unit, row.unit, row.obis);
    assert.is(row.code.split('.')[16], UNIT_CODE[row.unit], row.obis);
    assert.ok(!codes.has(row.code), `${row.code} twice`);
    codes.add(row.code);
    assert.is(readingTypeRow(row.code).obis, row.obis);
  }
});

test('ReadingType aliases: accumulation 12 reads as 6, kind 54 as 158; unknown codes are refused by name', () => {
  assert.is(readingTypeRow('0.0.0.12.0.1.158.0.0.0.0.0.0.0.129.0.29.0').obis, '1-0:32.7.0');
  assert.is(readingTypeRow('0.0.0.6.0.1.54.0.0.0.0.0.0.0.129.0.29.0').obis, '1-0:32.7.0');
  try {
    readingTypeRow('0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0');
    assert.unreachable();
  } catch (e) {
    assert.ok(isLightNodeError(e, 'CIM_READING_TYPE_UNKNOWN'));
    assert.match((e as Error).message, '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0');
    assert.match((e as Error).message, 'bulkQuantity forward energy kunit 73'.replace('kunit 73', 'kVArh'));
  }
  assert.is(describeReadingType('0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0'), 'period 2 deltaData forward energy kWh');
});

test('decimals are exact both ways, scale kept by the fraction digits', () => {
  const cases: [number, number, number, string][] = [
    [1001, 0, 3, '1.001'], [1000, 0, 3, '1.000'], [5, 3, 3, '5'], [16500, -1, 3, '1.6500'], [23010, -2, 0, '230.10'],
    [-7, -3, 0, '-0.007'], [0, 0, 3, '0.000'], [9007199254740991, 0, 3, '9007199254740.991'], [-9007199254740991, -18, 0, '-0.009007199254740991'],
  ];
  for (const [value, scale, mult, text] of cases) {
    assert.is(measurementToDecimal(value, scale, mult), text, `${value}e${scale}`);
    assert.equal(decimalToMeasurement(text, mult), { value, scale }, text);
  }
  assert.throws(() => measurementToDecimal(5, 1, 0), (e: unknown) => isLightNodeError(e, 'CIM_VALUE_UNREPRESENTABLE'));
  assert.throws(() => decimalToMeasurement('9007199254740.992', 3), (e: unknown) => isLightNodeError(e, 'CIM_VALUE_UNREPRESENTABLE'));
  assert.throws(() => decimalToMeasurement('1.0000000000000000000000', 0), (e: unknown) => isLightNodeError(e, 'CIM_VALUE_UNREPRESENTABLE'));
});

test('readings → MeterReading → measurements gives the stored values bit for bit; unmapped quantities are listed', () => {
  const digest = `0x${'ab'.repeat(32)}` as const;
  const tx = `0x${'cd'.repeat(32)}` as const;
  const values = [
    { quantity: '1-0:1.8.0', value: 1502331, scale: 0, unit: 'Wh' }, { quantity: '1-0:32.7.0', value: 23010, scale: -2, unit: 'V' },
    { quantity: '1-0:1.7.0', value: -16500, scale: -1, unit: 'W' }, { quantity: '1-0:31.7.0', value: 1, scale: -3, unit: 'A' },
    { quantity: '1-0:3.8.0', value: 5, scale: 0, unit: 'varh' },
  ];
  const reading = { pod: 'IT001E12345678', meter: 'main', seq: 4, timestamp: 1_763_000_000_123, source: 'modbus', values };
  const { MeterReading, omitted } = readingsToMeterReadings([{ reading, digest, anchorTransaction: tx }, { reading: { ...reading, seq: 5 }, digest, anchorTransaction: null }]);
  assert.is(MeterReading.length, 1);
  assert.equal(omitted, [{ code: 'CIM_QUANTITY_UNMAPPED', level: 'WARNING', reason: '1-0:3.8.0 has no ReadingType in the OBIS table', details: '2 value(s) of 1-0:3.8.0 left out' }]);
  const msg = decodeCimXml(encodeCimXml({ Header: { Verb: 'created', Noun: 'MeterReadings' }, Payload: { MeterReadings: { MeterReading } } }));
  const readings = msg.Payload!.MeterReadings.MeterReading[0]!.Readings;
  assert.is(readings.length, 8);
  const mapped = readings.map((r) => cimReadingToMeasurement(r));
  assert.equal(mapped.slice(0, 4).map((m) => m.measurement), values.slice(0, 4));
  for (const m of mapped) validateMeasurement(m.measurement);
  assert.equal([mapped[0]!.timestampMs, mapped[0]!.digest, mapped[0]!.anchorTransaction, mapped[4]!.anchorTransaction], [reading.timestamp, digest, tx, null]);
});

// Hostile inputs: [name, document, code]. The billion-laughs and XXE documents would, in a
// parser that expands entities, blow up memory or read /etc/passwd; here they stop at the DOCTYPE.
const good = vec('created-two-meters.xml');
const swap = (from: string, to: string): string => { assert.ok(good.includes(from), from); return good.replace(from, to); };
const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">${Array.from({ length: 8 }, (_, i) => `<!ENTITY lol${i + 3} "${`&lol${i + 2};`.repeat(10)}">`).join('')}]>`;
const xmlHostile: [string, string | Uint8Array, ErrorCode][] = [
  ['billion laughs', `${laughs}${swap('<mRID>meter-2</mRID>', '<mRID>&lol9;</mRID>').replace(/^<\?xml[^>]*>\n/, '')}`, 'CIM_XML_DOCTYPE'],
  ['external entity (XXE)', `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${good.replace(/^<\?xml[^>]*>\n/, '').replace('<mRID>meter-2</mRID>', '<mRID>&xxe;</mRID>')}`, 'CIM_XML_DOCTYPE'],
  ['DOCTYPE alone', `<!DOCTYPE html>${good.replace(/^<\?xml[^>]*>\n/, '')}`, 'CIM_XML_DOCTYPE'],
  ['DOCTYPE after the root', `${good}<!DOCTYPE x>`, 'CIM_XML_DOCTYPE'],
  ['DOCTYPE inside an element', swap('<m:Payload>', '<!DOCTYPE x><m:Payload>'), 'CIM_XML_DOCTYPE'],
  ['undeclared entity reference', swap('<mRID>meter-2</mRID>', '<mRID>&xxe;</mRID>'), 'CIM_XML_ENTITY'],
  ['bare ampersand', swap('<mRID>meter-2</mRID>', '<mRID>a & b</mRID>'), 'CIM_XML_MALFORMED'],
  ['char reference to NUL', swap('<mRID>meter-2</mRID>', '<mRID>&#0;</mRID>'), 'CIM_XML_MALFORMED'],
  ['literal control character', swap('<mRID>meter-2</mRID>', '<mRID>a\u0001</mRID>'), 'CIM_XML_MALFORMED'],
  ['CDATA', swap('<value>0</value>', '<value><![CDATA[0]]></value>'), 'CIM_XML_MALFORMED'],
  ['processing instruction', swap('<m:Payload>', '<?php x?><m:Payload>'), 'CIM_XML_MALFORMED'],
  ['encoding other than UTF-8', good.replace('encoding="UTF-8"', 'encoding="UTF-16"'), 'CIM_XML_MALFORMED'],
  ['invalid UTF-8 bytes', new Uint8Array([...new TextEncoder().encode(good.slice(0, 200)), 0xff, 0xfe]), 'CIM_XML_MALFORMED'],
  ['truncated', good.slice(0, good.length / 2), 'CIM_XML_MALFORMED'],
  ['mismatched end tag', swap('</UsagePoint></MeterReading></MeterReadings>', '</UsagePoint></MeterReadings></MeterReading>'), 'CIM_XML_MALFORMED'],
  ['two roots', `${good}<x/>`, 'CIM_XML_MALFORMED'],
  ['empty', '', 'CIM_XML_MALFORMED'],
  ['not XML', '{"Header":{}}', 'CIM_XML_MALFORMED'],
  ['mixed content', swap('<Meter><mRID>meter-2</mRID>', '<Meter>text<mRID>meter-2</mRID>'), 'CIM_XML_MALFORMED'],
  ['duplicate attribute', swap('<ReadingType ref="0.0.0.1.19', '<ReadingType ref="1" ref="0.0.0.1.19'), 'CIM_XML_MALFORMED'],
  ['deep nesting', swap('<mRID>meter-2</mRID>', `<mRID>${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}</mRID>`), 'CIM_XML_LIMIT'],
  ['huge document', swap('<mRID>meter-2</mRID>', `<mRID>${'x'.repeat(17 * 1024 * 1024)}</mRID>`), 'CIM_XML_LIMIT'],
  ['wrong payload namespace', good.replace('xmlns="http://iec.ch/TC57/2011/MeterReadings#"', 'xmlns="http://iec.ch/TC57/2010/MeterReadings#"'), 'CIM_NAMESPACE_INVALID'],
  ['header in the payload namespace', good.replace('xmlns:h="http://iec.ch/TC57/2011/schema/message"', 'xmlns:h="http://iec.ch/TC57/2011/MeterReadings#"'), 'CIM_NAMESPACE_INVALID'],
  ['root without namespace', good.replace(' xmlns:m="http://iec.ch/TC57/2011/MeterReadingsMessage"', ' xmlns:m=""'), 'CIM_NAMESPACE_INVALID'],
  ['undeclared prefix', swap('<Meter><mRID>meter-2', '<Meter><x:mRID>meter-2</x:mRID><mRID>meter-2'), 'CIM_NAMESPACE_INVALID'],
  ['unknown root element', good.replace(/m:CreatedMeterReadings/g, 'm:GetMeterReadings'), 'CIM_FIELD_INVALID'],
  ['root and verb disagree', good.replace(/m:CreatedMeterReadings/g, 'm:ChangedMeterReadings'), 'CIM_FIELD_INVALID'],
  ['unknown element', swap('<Meter><mRID>meter-2</mRID>', '<Meter><mRID>meter-2</mRID><amrSystem>x</amrSystem>'), 'CIM_FIELD_INVALID'],
  ['elements out of XSD order', swap('<Meter><mRID>meter-2</mRID></Meter><Readings>', '<Readings>').replace('</Readings><UsagePoint><mRID>IT001E12345679', '</Readings><Meter><mRID>meter-2</mRID></Meter><UsagePoint><mRID>IT001E12345679'), 'CIM_FIELD_INVALID'],
  ['repeated single element', swap('<Meter><mRID>meter-2</mRID>', '<Meter><mRID>meter-2</mRID><mRID>x</mRID>'), 'CIM_FIELD_INVALID'],
  ['unknown verb', swap('<h:Verb>created</h:Verb>', '<h:Verb>get</h:Verb>'), 'CIM_FIELD_INVALID'],
  ['wrong noun', swap('<h:Noun>MeterReadings</h:Noun>', '<h:Noun>EndDeviceEvents</h:Noun>'), 'CIM_FIELD_INVALID'],
  ['timestamp without zone', swap('<timeStamp>2025-11-13T01:15:00+01:00</timeStamp>', '<timeStamp>2025-11-13T01:15:00</timeStamp>'), 'CIM_FIELD_INVALID'],
  ['impossible date', swap('<timeStamp>2025-11-13T01:15:00+01:00</timeStamp>', '<timeStamp>2025-02-30T01:15:00Z</timeStamp>'), 'CIM_FIELD_INVALID'],
  ['value with exponent', swap('<value>0</value>', '<value>1e3</value>'), 'CIM_VALUE_INVALID'],
  ['value NaN', swap('<value>0</value>', '<value>NaN</value>'), 'CIM_VALUE_INVALID'],
  ['value with spaces', swap('<value>0</value>', '<value> 0</value>'), 'CIM_VALUE_INVALID'],
  ['value with comma', swap('<value>0</value>', '<value>0,5</value>'), 'CIM_VALUE_INVALID'],
  ['value hex', swap('<value>0</value>', '<value>0x10</value>'), 'CIM_VALUE_INVALID'],
  ['value with leading zeros', swap('<value>0</value>', '<value>007</value>'), 'CIM_VALUE_INVALID'],
  ['missing value', swap('<value>0</value>', ''), 'CIM_VALUE_INVALID'],
  ['ReadingType of 17 parts', swap('ref="0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0"', 'ref="0.0.0.1.19.1.12.0.0.0.0.0.0.0.3.72.0"'), 'CIM_READING_TYPE_INVALID'],
  ['ReadingType with letters', swap('ref="0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0"', 'ref="0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.k.Wh.0"'), 'CIM_READING_TYPE_INVALID'],
  ['ReadingType as text', swap('<ReadingType ref="0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0"/>', '<ReadingType>0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0</ReadingType>'), 'CIM_FIELD_INVALID'],
  ['bad quality ref', swap('ref="1.4.2"', 'ref="1.4"'), 'CIM_QUALITY_INVALID'],
];

test('hostile XML: each refused with its code, never a crash', () => {
  for (const [name, doc, code] of xmlHostile) {
    try {
      decodeCimXml(doc);
      assert.unreachable(`${name}: accepted`);
    } catch (e) {
      if (!isLightNodeError(e)) throw new Error(`${name}: crashed with ${String(e)}`);
      assert.is(e.code, code, `${name}: ${e.message}`);
    }
  }
});

test('depth and size limits are options; the parser never recurses', () => {
  assert.throws(() => parseXml('<a><b><c/></b></a>', { maxDepth: 2 }), (e: unknown) => isLightNodeError(e, 'CIM_XML_LIMIT'));
  assert.is(parseXml('<a><b><c/></b></a>', { maxDepth: 3 }).children[0]!.children[0]!.local, 'c');
  assert.throws(() => parseXml('<a/>', { maxChars: 3 }), (e: unknown) => isLightNodeError(e, 'CIM_XML_LIMIT'));
  assert.throws(() => parseXml(`<a${' x="1"'.repeat(0)}${Array.from({ length: 17 }, (_, i) => ` a${i}="1"`).join('')}/>`), (e: unknown) => isLightNodeError(e, 'CIM_XML_LIMIT'));
});

const jsonGood = JSON.parse(vec('created-two-meters.json'));
const withReading = (r: object): string => JSON.stringify({ ...jsonGood, Payload: { MeterReadings: { MeterReading: [{ Readings: [r] }] } } });
const jsonHostile: [string, string | Uint8Array, ErrorCode][] = [
  ['not JSON', '{"Header":', 'CIM_JSON_INVALID'],
  ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'CIM_JSON_INVALID'],
  ['huge', `{"x":"${'a'.repeat(17 * 1024 * 1024)}"}`, 'CIM_JSON_INVALID'],
  // V8's JSON.parse does not recurse on the stack; the schema walk then refuses the shape.
  ['deep nesting', `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`, 'CIM_FIELD_INVALID'],
  ['deep nesting in a field', `{"Header":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`, 'CIM_FIELD_INVALID'],
  ['array', '[]', 'CIM_FIELD_INVALID'],
  ['__proto__ key', '{"__proto__":{"x":1},"Header":{"Verb":"created","Noun":"MeterReadings"}}', 'CIM_FIELD_INVALID'],
  ['lower-case envelope', JSON.stringify({ header: jsonGood.Header }), 'CIM_FIELD_INVALID'],
  ['reply without Reply', JSON.stringify({ Header: { Verb: 'reply', Noun: 'MeterReadings' } }), 'CIM_FIELD_INVALID'],
  ['created with Reply', JSON.stringify({ ...jsonGood, Reply: { Result: 'OK' } }), 'CIM_FIELD_INVALID'],
  ['bad Result', JSON.stringify({ Header: { Verb: 'reply', Noun: 'MeterReadings' }, Reply: { Result: 'ok' } }), 'CIM_FIELD_INVALID'],
  ['value as number', withReading({ timeStamp: '2025-11-13T02:13:20Z', value: 1.5, ReadingType: { ref: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0' } }), 'CIM_VALUE_INVALID'],
  ['value with plus sign', withReading({ timeStamp: '2025-11-13T02:13:20Z', value: '+1', ReadingType: { ref: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0' } }), 'CIM_VALUE_INVALID'],
  ['Infinity', withReading({ timeStamp: '2025-11-13T02:13:20Z', value: 'Infinity', ReadingType: { ref: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0' } }), 'CIM_VALUE_INVALID'],
  ['ReadingType as string', withReading({ timeStamp: '2025-11-13T02:13:20Z', value: '1', ReadingType: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0' }), 'CIM_FIELD_INVALID'],
  ['extra field', withReading({ timeStamp: '2025-11-13T02:13:20Z', value: '1', unit: 'kWh', ReadingType: { ref: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0' } }), 'CIM_FIELD_INVALID'],
  ['mRID with a newline', JSON.stringify({ ...jsonGood, Payload: { MeterReadings: { MeterReading: [{ Meter: { mRID: 'a\nb' } }] } } }), 'CIM_FIELD_INVALID'],
  ['mRID too long', JSON.stringify({ ...jsonGood, Payload: { MeterReadings: { MeterReading: [{ Meter: { mRID: 'x'.repeat(257) } }] } } }), 'CIM_FIELD_INVALID'],
];

test('hostile JSON: each refused with its code, never a crash', () => {
  for (const [name, doc, code] of jsonHostile) {
    try {
      decodeCimJson(doc);
      assert.unreachable(`${name}: accepted`);
    } catch (e) {
      if (!isLightNodeError(e)) throw new Error(`${name}: crashed with ${String(e)}`);
      assert.is(e.code, code, `${name}: ${e.message}`);
    }
  }
});

test('mapping refuses what it cannot say exactly: unknown ReadingType, out-of-range values, bad certification', () => {
  const r = { timeStamp: '2025-11-13T02:13:20Z', value: '1', ReadingQualities: [], ReadingType: { ref: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.73.0' } };
  const cases: [string, object, ErrorCode][] = [
    ['unknown ReadingType (kVArh)', r, 'CIM_READING_TYPE_UNKNOWN'],
    ['value beyond a safe integer', { ...r, ReadingType: { ref: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0' }, value: '99999999999999999' }, 'CIM_VALUE_UNREPRESENTABLE'],
    ['digest quality not a hash', { ...r, ReadingType: { ref: '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0' }, ReadingQualities: [{ source: 'lightnode:eip712-digest', comment: 'x', ReadingQualityType: { ref: '1.0.0' } }] }, 'CIM_FIELD_INVALID'],
  ];
  for (const [name, x, code] of cases) {
    assert.throws(() => cimReadingToMeasurement(x as never), (e: unknown) => isLightNodeError(e, code), name);
  }
});

test.run();
