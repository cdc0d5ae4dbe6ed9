// Message codecs three ways (bytes → object, object → exact bytes, round trip) plus a table of
// hostile payloads run against every parser.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  parseReadingsBatch, serializeReadingsBatch, serializeReadingsBatchJson, readingsThatFit, splitReadingsBatch, packReadingsBatches, parseAck, serializeAck, parseStatus, serializeStatus,
  parseSetpointCommand, serializeSetpointCommand, parseActivation, serializeActivation, MAX_BATCH_READINGS, type Ack, type Status,
} from '../src/messages.js';
import { MAX_MESSAGE_BYTES } from '../src/message-codec.js';
import { isLightNodeError } from '../src/errors.js';
import { signReading, makeDomain } from '../src/eip712.js';
import type { SignedReading } from '../src/reading.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/readings.json', import.meta.url), 'utf8'));
const spVectors = JSON.parse(readFileSync(new URL('../vectors/setpoints.json', import.meta.url), 'utf8'));
const r1: SignedReading = vectors.vectors[1].reading; // sdm630 snapshot, pod IT001E12345678
const r0: SignedReading = vectors.vectors[0].reading;
const POD = 'IT001E12345678';
const enc = new TextEncoder();

const ack: Ack = { v: 1, stored: [1, 2, 3], duplicate: [0], rejected: [{ seq: 4, code: 'BAL_SIGNATURE_INVALID', reason: 'signature does not recover' }] };
const status: Status = { v: 1, pod: POD, device: '0xe5e8e95d8ba0d1ee989d659919b3e48e3e4058ae', state: 'online', ts: 1_763_780_400_000, lastSeq: 41, spoolDepth: 3, quarantined: 0, agentVersion: '0.1.0' };

test('readings batch: bytes → object, object → exact bytes, round trip', () => {
  const batch = { v: 1 as const, readings: [r0, r1] };
  const text = serializeReadingsBatch(batch);
  assert.is(text, JSON.stringify(batch));
  assert.equal(parseReadingsBatch(text, POD), batch);
  assert.equal(parseReadingsBatch(enc.encode(text)), batch);
});

test('ack, status, setpoint command, activation round trip through bytes', () => {
  assert.equal(parseAck(enc.encode(serializeAck(ack))), ack);
  assert.equal(parseStatus(serializeStatus(status)), status);
  assert.equal(parseStatus(serializeStatus({ ...status, state: 'offline', lastSeq: null })).lastSeq, null);
  const cmd = { v: 1 as const, setpoint: spVectors.vectors[0].setpoint };
  assert.equal(parseSetpointCommand(serializeSetpointCommand(cmd)), cmd);
  const key = new Uint8Array(32).fill(7);
  const reading = signReading(makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3'), { ...r0, meter: 'ems', source: 'activation:sp-1' }, key);
  for (const a of [{ v: 1 as const, setpointId: 'sp-1', status: 'applied' as const, reading }, { v: 1 as const, setpointId: 'sp-1', status: 'refused' as const, code: 'EDGE_SETPOINT_OUT_OF_RANGE' }]) {
    assert.equal(parseActivation(serializeActivation(a)), a);
  }
  assert.is(parseStatus(JSON.stringify({ ...status, device: status.device.toUpperCase().replace('0X', '0x') })).device, status.device, 'address lower-cased');
});

test('splitReadingsBatch judges each reading: bad ones become ack rejections, the rest pass', () => {
  const bad = { ...r1, seq: 9, values: [] };
  const other = { ...r1, seq: 10, pod: 'IT002E12345678' };
  const noSeq = { ...r1, seq: 'x' };
  const res = splitReadingsBatch(JSON.stringify({ v: 1, readings: [r0, bad, other, noSeq, r1] }), POD);
  assert.equal(res.readings.map((r) => r.seq), [r0.seq, r1.seq]);
  assert.equal(res.rejected.map((r) => [r.seq, r.code]), [[9, 'BAL_READING_INVALID'], [10, 'BAL_POD_MISMATCH']]);
  assert.match(res.rejected[0]!.reason, /values/);
  assert.equal(res.unackable.map((u) => u.index), [3]);
});

test('parseReadingsBatch with a pod refuses a reading of another PoD (PROTO_POD_MISMATCH)', () => {
  const text = JSON.stringify({ v: 1, readings: [r1, { ...r1, pod: 'IT002E12345678' }] });
  assert.throws(() => parseReadingsBatch(text, POD), (e: unknown) => isLightNodeError(e, 'PROTO_POD_MISMATCH'));
  assert.is(parseReadingsBatch(text).readings.length, 2, 'without a pod only the shape is checked');
});

test('packReadingsBatches keeps order, respects byte and count limits, and every batch serializes', () => {
  const many = Array.from({ length: 2500 }, (_, i) => ({ ...r0, seq: i }));
  const byCount = packReadingsBatches(many);
  assert.equal(byCount.map((b) => b.readings.length), [1000, 1000, 500]);
  const limit = 20_000;
  const bySize = packReadingsBatches(many.slice(0, 300), limit);
  assert.ok(bySize.length > 1);
  assert.equal(bySize.flatMap((b) => b.readings.map((r) => r.seq)), many.slice(0, 300).map((r) => r.seq));
  for (const b of bySize) {
    const text = serializeReadingsBatch(b);
    assert.ok(text.length <= limit, `${text.length} <= ${limit}`);
  }
  // the limit is tight: one more reading would not have fitted
  const first = bySize[0]!;
  assert.ok(serializeReadingsBatch({ v: 1, readings: [...first.readings, many[first.readings.length]!] }).length > limit);
  assert.throws(() => packReadingsBatches([r1], 100), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_TOO_LARGE'));
});

test('serializeReadingsBatchJson splices already-serialized readings: bytes identical to serializeReadingsBatch', () => {
  const readings = [r0, r1, { ...r1, seq: 7 }];
  const json = readings.map((r) => JSON.stringify(r));
  const expected = serializeReadingsBatch({ v: 1, readings });
  assert.is(serializeReadingsBatchJson(json), expected);
  assert.is(serializeReadingsBatchJson(json, json.reduce((n, j) => n + Buffer.byteLength(j), 0)), expected, 'with the byte count given');
  assert.is(serializeReadingsBatchJson([JSON.stringify(r1)]), JSON.stringify({ v: 1, readings: [r1] }));
  assert.throws(() => serializeReadingsBatchJson([]), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_INVALID'));
  assert.throws(() => serializeReadingsBatchJson(Array.from({ length: MAX_BATCH_READINGS + 1 }, () => '{}')), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_INVALID'));
  const big = `"${'x'.repeat(MAX_MESSAGE_BYTES / 2)}"`;
  assert.throws(() => serializeReadingsBatchJson([big, big]), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_TOO_LARGE'));
  // the limit counts the envelope and the commas exactly: a payload of exactly 1 MiB passes
  const exact = `"${'y'.repeat(MAX_MESSAGE_BYTES - '{"v":1,"readings":[]}'.length - 2)}"`;
  assert.is(Buffer.byteLength(serializeReadingsBatchJson([exact])), MAX_MESSAGE_BYTES);
  assert.throws(() => serializeReadingsBatchJson([`${exact} `]), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_TOO_LARGE'));
});

test('readingsThatFit: the one batch cut (count, bytes with envelope and commas, offset)', () => {
  const env = '{"v":1,"readings":[]}'.length;
  assert.is(readingsThatFit([], 100), 0);
  assert.is(readingsThatFit([10, 10, 10], 1000, 2), 2, 'count limit');
  assert.is(readingsThatFit([10, 10, 10], env + 10 + 1 + 10), 2, 'two fit exactly');
  assert.is(readingsThatFit([10, 10, 10], env + 10 + 1 + 10 - 1), 1, 'one byte short of two');
  assert.is(readingsThatFit([10, 10, 10], env + 32, 1000, 1), 2, 'from an offset');
  assert.is(readingsThatFit([10, 10], 1000, 1000, 2), 0, 'nothing left');
  assert.throws(() => readingsThatFit([env], env), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_TOO_LARGE'));
  const sizes = [r0, r1, r0, r1].map((r) => Buffer.byteLength(JSON.stringify(r)));
  const n = readingsThatFit(sizes, 2 * Math.max(...sizes) + env + 1);
  assert.ok(Buffer.byteLength(serializeReadingsBatch({ v: 1, readings: [r0, r1, r0, r1].slice(0, n) })) <= 2 * Math.max(...sizes) + env + 1);
});

// [name, payload] → every parser must throw PROTO_MESSAGE_INVALID (or TOO_LARGE where noted)
const junk: [string, string | Uint8Array][] = [
  ['empty', ''],
  ['not JSON', '{v:1}'],
  ['truncated JSON', JSON.stringify({ v: 1, readings: [r0] }).slice(0, -3)],
  ['JSON array', '[1,2]'],
  ['JSON string', '"hello"'],
  ['JSON null', 'null'],
  ['missing v', JSON.stringify({ readings: [r0] })],
  ['v as string', JSON.stringify({ v: '1', readings: [r0] })],
  ['v 2', JSON.stringify({ v: 2, readings: [r0] })],
  ['invalid UTF-8 bytes', Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d)],
  ['junk after JSON', `${JSON.stringify({ v: 1, readings: [r0] })} trailing`],
];

const parsers: [string, (p: string | Uint8Array) => unknown][] = [
  ['parseReadingsBatch', (p) => parseReadingsBatch(p)], ['parseAck', parseAck], ['parseStatus', parseStatus],
  ['parseSetpointCommand', parseSetpointCommand], ['parseActivation', parseActivation],
  ['splitReadingsBatch', (p) => splitReadingsBatch(p, POD)],
];

for (const [pname, parse] of parsers) {
  test(`${pname} refuses every junk payload with PROTO_MESSAGE_INVALID`, () => {
    for (const [name, payload] of junk) {
      assert.throws(() => parse(payload), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_INVALID'), name);
    }
    assert.throws(() => parse(42 as unknown as string), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_INVALID'), 'number payload');
  });
  test(`${pname} refuses > 1 MiB with PROTO_MESSAGE_TOO_LARGE (string and bytes, even multi-byte)`, () => {
    const big = `{"v":1,"x":"${'a'.repeat(MAX_MESSAGE_BYTES)}"}`;
    assert.throws(() => parse(big), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_TOO_LARGE'));
    assert.throws(() => parse(enc.encode(big)), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_TOO_LARGE'));
    const euros = `{"v":1,"x":"${'€'.repeat(MAX_MESSAGE_BYTES / 3 + 10)}"}`; // fewer chars than bytes
    assert.throws(() => parse(euros), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_TOO_LARGE'));
  });
}

function field(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isLightNodeError(e, 'PROTO_MESSAGE_INVALID')) return String(e.details['field']);
    throw e;
  }
  assert.unreachable('accepted');
  return '';
}

test('hostile fields are named: batch', () => {
  const j = (o: object) => JSON.stringify({ v: 1, ...o });
  assert.is(field(() => parseReadingsBatch(j({ readings: [] }))), 'readings');
  assert.is(field(() => parseReadingsBatch(j({ readings: Array(MAX_BATCH_READINGS + 1).fill(r0) }))), 'readings');
  assert.is(field(() => parseReadingsBatch(j({ readings: r0 }))), 'readings');
  assert.is(field(() => parseReadingsBatch(j({ readings: [r0, { ...r0, seq: -1 }] }))), 'readings[1].seq');
  assert.is(field(() => parseReadingsBatch(j({ readings: [{ ...r0, values: [{ ...r0.values[0], value: 0.5 }] }] }))), 'readings[0].values[0].value');
  assert.is(field(() => parseReadingsBatch(j({ readings: [{ ...r0, signature: undefined }] }))), 'readings[0].signature');
  assert.is(field(() => parseReadingsBatch(j({ readings: [r0], extra: 1 }))), 'extra');
});

test('hostile fields are named: ack', () => {
  const j = (o: object) => JSON.stringify({ ...ack, ...o });
  assert.is(field(() => parseAck(j({ stored: '1' }))), 'stored');
  assert.is(field(() => parseAck(j({ stored: [1.5] }))), 'stored[0]');
  assert.is(field(() => parseAck(j({ stored: ['1'] }))), 'stored[0]');
  assert.is(field(() => parseAck(j({ duplicate: [1] }))), 'duplicate[0]', 'seq in two lists');
  assert.is(field(() => parseAck(j({ rejected: [{ seq: 9, code: 'bad code', reason: '' }] }))), 'rejected[0].code');
  assert.is(field(() => parseAck(j({ rejected: [{ seq: 9, code: 'BAL_X', reason: 'x'.repeat(513) }] }))), 'rejected[0].reason');
  assert.is(field(() => parseAck(j({ rejected: [{ seq: 9, code: 'BAL_X', reason: '', more: 1 }] }))), 'rejected[0].more');
  assert.is(field(() => parseAck(JSON.stringify({ v: 1, stored: [], duplicate: [], rejected: [] }))), 'stored', 'empty ack');
  assert.is(field(() => parseAck(JSON.stringify({ v: 1, stored: [1], rejected: [] }))), 'duplicate', 'missing list');
});

test('hostile fields are named: status, setpoint command, activation', () => {
  const s = (o: object) => JSON.stringify({ ...status, ...o });
  assert.is(field(() => parseStatus(s({ device: '0x1234' }))), 'device');
  assert.is(field(() => parseStatus(s({ state: 'sleeping' }))), 'state');
  assert.is(field(() => parseStatus(s({ ts: 1_763_780_400 }))), 'ts', 'seconds are refused');
  assert.is(field(() => parseStatus(s({ lastSeq: -1 }))), 'lastSeq');
  assert.is(field(() => parseStatus(s({ spoolDepth: '3' }))), 'spoolDepth');
  const { agentVersion: _a, ...noVersion } = status;
  assert.is(field(() => parseStatus(JSON.stringify(noVersion))), 'agentVersion');
  const sp = spVectors.vectors[0].setpoint;
  assert.is(field(() => parseSetpointCommand(JSON.stringify({ v: 1, setpoint: { ...sp, mode: 'max' } }))), 'setpoint.mode');
  assert.is(field(() => parseSetpointCommand(JSON.stringify({ v: 1, setpoint: { ...sp, validUntil: sp.validFrom } }))), 'setpoint.validUntil');
  assert.is(field(() => parseSetpointCommand(JSON.stringify({ v: 1, setpoint: { ...sp, signature: '0x12' } }))), 'setpoint.signature');
  assert.is(field(() => parseSetpointCommand(JSON.stringify({ v: 1 }))), 'setpoint');
  assert.is(field(() => parseReadingsBatch(JSON.stringify({ v: 1, readings: [r0, 'x'] }))), 'readings[1]');
  assert.is(field(() => parseActivation(JSON.stringify({ v: 1, setpointId: 'sp-1', status: 'done' }))), 'status');
  assert.is(field(() => parseActivation(JSON.stringify({ v: 1, setpointId: 'sp 1', status: 'applied' }))), 'setpointId');
  assert.is(field(() => parseActivation(JSON.stringify({ v: 1, setpointId: 'sp-1', status: 'refused', code: 'lower' }))), 'code');
  assert.is(field(() => parseActivation(JSON.stringify({ v: 1, setpointId: 'sp-1', status: 'applied', reading: r0 }))), 'reading.source');
});

test('serializers refuse invalid messages instead of sending them', () => {
  assert.throws(() => serializeAck({ ...ack, stored: [-1] }), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_INVALID'));
  assert.throws(() => serializeReadingsBatch({ v: 1, readings: [] }), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_INVALID'));
  assert.throws(() => serializeStatus({ ...status, pod: 'x' }), (e: unknown) => isLightNodeError(e, 'PROTO_MESSAGE_INVALID'));
});

test.run();
