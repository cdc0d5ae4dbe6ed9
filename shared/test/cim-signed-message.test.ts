// A data server's signed CIM message (cim/signed-message.ts) and the import mapping
// (cim/import-map.ts): the digest equals ethers' TypedDataEncoder, the wire format round-trips
// and refuses junk, the mapping groups a meter's instant into one reading with seq from the
// message time, and the hostile cases are refused by name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TypedDataEncoder, Wallet, keccak256 } from 'ethers';
import { addressOf, makeDomain } from '../src/eip712.js';
import { bytesToHex, hexToBytes } from '../src/hex.js';
import { CIM_MESSAGE_TYPES, cimMessageDigest, cimPayloadHash, decodeCimPayload, recoverCimSigner, signCimMessage, unwrapSignedCim, wrapSignedCim } from '../src/cim/signed-message.js';
import { MAX_IMPORT_READINGS, cimMessageToReadings, cimSource } from '../src/cim/import-map.js';
import { encodeCimXml } from '../src/cim/xml-codec.js';
import { encodeCimJson } from '../src/cim/json-codec.js';
import type { CimMessage, CimReading } from '../src/cim/model.js';
import { LightNodeError } from '../src/errors.js';

const domain = makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3');
const key = hexToBytes('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', 32);
const IMPORT = '0.0.0.1.1.1.12.0.0.0.0.0.0.0.0.3.72.0';
const EXPORT = '0.0.0.1.19.1.12.0.0.0.0.0.0.0.0.3.72.0';
const VOLT = '0.0.0.6.0.1.158.0.0.0.0.0.0.0.129.0.29.0';

const reading = (timeStamp: string, ref: string, value: string): CimReading => ({ timeStamp, value, ReadingQualities: [], ReadingType: { ref } });
function message(over: Partial<CimMessage['Header']> = {}): CimMessage {
  return {
    Header: { Verb: 'created', Noun: 'MeterReadings', Timestamp: '2026-12-05T08:00:01.500Z', Source: 'dso-gr-01', MessageID: 'm-1', ...over },
    Payload: { MeterReadings: { MeterReading: [
      { IntervalBlocks: [], Meter: { mRID: 'M1', Names: [] }, UsagePoint: { mRID: 'IT001E00000001', Names: [] },
        Readings: [reading('2026-12-05T08:00:00Z', IMPORT, '1234.567'), reading('2026-12-05T08:00:00Z', EXPORT, '0.001'), reading('2026-12-05T07:45:00Z', IMPORT, '1234.000')] },
      { IntervalBlocks: [], UsagePoint: { mRID: 'IT001E00000002', Names: [] }, Readings: [reading('2026-12-05T08:00:00Z', VOLT, '230.1')] },
    ] } },
  };
}

test('the CimMessage digest is the EIP-712 digest ethers computes; sign → unwrap → recover', () => {
  const payload = new TextEncoder().encode(encodeCimXml(message()));
  const hash = cimPayloadHash(payload);
  assert.is(hash, keccak256(payload));
  const ours = bytesToHex(cimMessageDigest(domain, 'dso-gr-01', hash));
  assert.is(ours, TypedDataEncoder.hash(domain, CIM_MESSAGE_TYPES as never, { serverId: 'dso-gr-01', payloadHash: hash }));
  const wire = signCimMessage(domain, 'dso-gr-01', payload, key);
  const { signature, payload: back } = unwrapSignedCim(wire);
  assert.equal(back, payload, 'payload bytes unchanged');
  assert.is(recoverCimSigner(domain, 'dso-gr-01', back, signature), addressOf(key));
  assert.is(recoverCimSigner(domain, 'dso-gr-01', back, signature), new Wallet(bytesToHex(key)).address.toLowerCase());
  assert.is.not(recoverCimSigner(domain, 'dso-gr-02', back, signature), addressOf(key), 'the server id is signed');
  assert.equal(wrapSignedCim(back, signature), wire);
});

test('unwrap refuses a wrong magic, a missing payload and a short message', () => {
  const ok = signCimMessage(domain, 'x', new Uint8Array([0x3c]), key);
  for (const bad of [ok.slice(0, 69), new Uint8Array(0), Uint8Array.of(0x4c, 0x4e, 0x43, 0x02, ...ok.slice(4)), new TextEncoder().encode('<xml/>')]) {
    try { unwrapSignedCim(bad); assert.unreachable(); } catch (e) { assert.is((e as LightNodeError).code, 'CIM_ENVELOPE_INVALID'); }
  }
});

test('mapping: one reading per (usage point, meter, instant), seq from the message time, exact values', () => {
  const hash = cimPayloadHash(new Uint8Array([1]));
  const m = cimMessageToReadings(message(), hash);
  const ms = Date.parse('2026-12-05T08:00:01.500Z');
  assert.is(m.messageMs, ms);
  assert.is(m.messageId, 'm-1');
  assert.equal(m.readings, [
    { pod: 'IT001E00000001', meter: 'M1', seq: ms * MAX_IMPORT_READINGS, timestamp: Date.parse('2026-12-05T08:00:00Z'), source: cimSource(hash),
      values: [{ quantity: '1-0:1.8.0', value: 1234567, scale: 0, unit: 'Wh' }, { quantity: '1-0:2.8.0', value: 1, scale: 0, unit: 'Wh' }] },
    { pod: 'IT001E00000001', meter: 'M1', seq: ms * MAX_IMPORT_READINGS + 1, timestamp: Date.parse('2026-12-05T07:45:00Z'), source: cimSource(hash),
      values: [{ quantity: '1-0:1.8.0', value: 1234000, scale: 0, unit: 'Wh' }] },
    { pod: 'IT001E00000002', meter: 'cim', seq: ms * MAX_IMPORT_READINGS + 2, timestamp: Date.parse('2026-12-05T08:00:00Z'), source: cimSource(hash),
      values: [{ quantity: '1-0:32.7.0', value: 2301, scale: -1, unit: 'V' }] },
  ]);
  // The same message as JSON maps to the same readings (only the hash differs).
  const json = decodeCimPayload(new TextEncoder().encode(encodeCimJson(message())));
  assert.is(json.contentType, 'application/json');
  assert.equal(cimMessageToReadings(json.message, hash).readings, m.readings);
});

test('mapping refuses by name: verb, missing Timestamp/MessageID, usage point, a quantity twice at one instant, unknown ReadingType', () => {
  const hash = cimPayloadHash(new Uint8Array([2]));
  const twice = message();
  twice.Payload!.MeterReadings.MeterReading[0]!.Readings.push(reading('2026-12-05T08:00:00Z', IMPORT, '1.000'));
  const foreign = message();
  foreign.Payload!.MeterReadings.MeterReading[1]!.UsagePoint = { mRID: 'not-a-pod', Names: [] };
  const unknown = message();
  unknown.Payload!.MeterReadings.MeterReading[0]!.Readings.push(reading('2026-12-05T08:00:00Z', '0.0.0.1.1.1.73.0.0.0.0.0.0.0.0.3.73.0', '1'));
  const noTs = message(); delete noTs.Header.Timestamp;
  const noId = message(); delete noId.Header.MessageID;
  const cases: [CimMessage, string, RegExp][] = [
    [message({ Verb: 'create' }), 'CIM_FIELD_INVALID', /Header\.Verb/],
    [noTs, 'CIM_FIELD_INVALID', /Header\.Timestamp/],
    [noId, 'CIM_FIELD_INVALID', /Header\.MessageID/],
    [foreign, 'CIM_FIELD_INVALID', /UsagePoint\.mRID/],
    [twice, 'CIM_FIELD_INVALID', /Readings\[3\]/],
    [unknown, 'CIM_READING_TYPE_UNKNOWN', /Readings\[3\]/],
  ];
  for (const [msg, code, field] of cases) {
    try { cimMessageToReadings(msg, hash); assert.unreachable(code); } catch (e) {
      assert.is((e as LightNodeError).code, code);
      assert.match((e as Error).message, field);
    }
  }
});

test(`more than ${MAX_IMPORT_READINGS} readings in one message are refused (seq would collide)`, () => {
  const m = message();
  m.Payload!.MeterReadings.MeterReading = [{
    IntervalBlocks: [], UsagePoint: { mRID: 'IT001E00000001', Names: [] },
    Readings: Array.from({ length: MAX_IMPORT_READINGS + 1 }, (_, i) => reading(new Date(Date.parse('2026-01-01T00:00:00Z') + i * 900_000).toISOString(), IMPORT, '1')),
  }];
  try { cimMessageToReadings(m, cimPayloadHash(new Uint8Array([3]))); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /at most 2048/); }
});

test.run();
