// Certified-stream codec (docs/data-access.md) three ways — bytes → object with nothing left
// over, object → exact bytes, round trip — over the committed reading vectors, plus a table of
// hostile payloads run against both entry points.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  parseCertifiedMessage, serializeCertifiedMessage, MAX_ANCHOR_NOTICE_IDS, type CertifiedAnchorMessage, type CertifiedReadingMessage,
} from '../src/certified-message.js';
import { MAX_MESSAGE_BYTES } from '../src/message-codec.js';
import { isLightNodeError } from '../src/errors.js';
import type { SignedReading } from '../src/reading.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/readings.json', import.meta.url), 'utf8'));
const v0 = vectors.vectors[0] as { address: string; reading: SignedReading; digest: string };
const { signature, ...reading } = v0.reading;
const enc = new TextEncoder();

const readingMsg: CertifiedReadingMessage = {
  v: 1, kind: 'reading', id: 42, digest: v0.digest as `0x${string}`, signer: v0.address.toLowerCase() as `0x${string}`, signature, reading,
};
const anchorMsg: CertifiedAnchorMessage = {
  v: 1, kind: 'anchor', ids: [40, 41, 42], anchorIndex: 3, root: `0x${'ab'.repeat(32)}`, transaction: `0x${'cd'.repeat(32)}`, block: 1234,
};

function field(fn: () => unknown): string {
  try { fn(); } catch (e) {
    if (isLightNodeError(e, 'PROTO_MESSAGE_INVALID')) return String(e.details['field']);
    throw e;
  }
  throw new Error('accepted');
}

test('reading notice: object → exact bytes (the reading serialized as the readings batch does it)', () => {
  const text = serializeCertifiedMessage(readingMsg);
  assert.is(text, `{"v":1,"kind":"reading","id":42,"digest":"${v0.digest}","signer":"${readingMsg.signer}","signature":"${signature}","reading":${JSON.stringify(reading)}}`);
  assert.is(text, JSON.stringify(readingMsg));
});

test('reading and anchor notices: bytes → object, round trip', () => {
  for (const m of [readingMsg, anchorMsg]) {
    const text = serializeCertifiedMessage(m);
    assert.equal(parseCertifiedMessage(enc.encode(text)), m);
    assert.equal(parseCertifiedMessage(text), m);
    assert.is(serializeCertifiedMessage(parseCertifiedMessage(text)), text);
  }
  assert.is(serializeCertifiedMessage(anchorMsg), '{"v":1,"kind":"anchor","ids":[40,41,42],"anchorIndex":3,"root":"0x' + 'ab'.repeat(32) + '","transaction":"0x' + 'cd'.repeat(32) + '","block":1234}');
});

test('upper-case hex is accepted and normalised to lower case', () => {
  const m = parseCertifiedMessage(JSON.stringify({ ...readingMsg, digest: readingMsg.digest.toUpperCase().replace('0X', '0x') })) as CertifiedReadingMessage;
  assert.is(m.digest, readingMsg.digest);
});

test('hostile fields are named (parse and serialize alike)', () => {
  const cases: [object, string][] = [
    [{ ...readingMsg, kind: 'other' }, 'kind'],
    [{ ...readingMsg, kind: undefined }, 'kind'],
    [{ ...readingMsg, id: -1 }, 'id'],
    [{ ...readingMsg, id: 1.5 }, 'id'],
    [{ ...readingMsg, id: '42' }, 'id'],
    [{ ...readingMsg, digest: '0x1234' }, 'digest'],
    [{ ...readingMsg, signer: 'not-an-address' }, 'signer'],
    [{ ...readingMsg, signature: `0x${'00'.repeat(64)}` }, 'signature'],
    [{ ...readingMsg, reading: { ...reading, seq: -1 } }, 'reading.seq'],
    [{ ...readingMsg, reading: { ...reading, values: [{ ...reading.values[0], value: Number.NaN }] } }, 'reading.values[0].value'],
    [{ ...readingMsg, reading: v0.reading }, 'reading.signature'],
    [{ ...readingMsg, reading: null }, 'reading'],
    [{ ...readingMsg, ids: [1] }, 'ids'],
    [{ ...anchorMsg, ids: [] }, 'ids'],
    [{ ...anchorMsg, ids: Array.from({ length: MAX_ANCHOR_NOTICE_IDS + 1 }, (_, i) => i) }, 'ids'],
    [{ ...anchorMsg, ids: [3, 2] }, 'ids[1]'],
    [{ ...anchorMsg, ids: [3, 3] }, 'ids[1]'],
    [{ ...anchorMsg, ids: [1, 'x'] }, 'ids[1]'],
    [{ ...anchorMsg, anchorIndex: -2 }, 'anchorIndex'],
    [{ ...anchorMsg, root: 'ab'.repeat(32) }, 'root'],
    [{ ...anchorMsg, transaction: `0x${'zz'.repeat(32)}` }, 'transaction'],
    [{ ...anchorMsg, block: 2 ** 53 }, 'block'],
    [{ ...anchorMsg, digest: readingMsg.digest }, 'digest'],
    [{ ...anchorMsg, v: 2 }, 'v'],
  ];
  for (const [o, f] of cases) {
    assert.is(field(() => parseCertifiedMessage(JSON.stringify(o))), f, `parse ${f}`);
    assert.is(field(() => serializeCertifiedMessage(o as never)), f, `serialize ${f}`);
  }
});

test('hostile payloads: not JSON, not an object, bad UTF-8, oversized', () => {
  for (const p of ['', '[]', 'null', '{"v":1', '"x"', '{}', enc.encode('{"v":1,"kind":"\xff"}').subarray(0, 5)]) {
    try { parseCertifiedMessage(p); assert.unreachable(String(p)); } catch (e) { assert.ok(isLightNodeError(e, 'PROTO_MESSAGE_INVALID'), String(p)); }
  }
  try { parseCertifiedMessage(new Uint8Array([0x7b, 0xff, 0x7d])); assert.unreachable(); } catch (e) { assert.ok(isLightNodeError(e, 'PROTO_MESSAGE_INVALID')); }
  try { parseCertifiedMessage('x'.repeat(MAX_MESSAGE_BYTES + 1)); assert.unreachable(); } catch (e) { assert.ok(isLightNodeError(e, 'PROTO_MESSAGE_TOO_LARGE')); }
  // The largest anchor notice the publisher sends fits in one payload.
  const big = { ...anchorMsg, ids: Array.from({ length: MAX_ANCHOR_NOTICE_IDS }, (_, i) => Number.MAX_SAFE_INTEGER - MAX_ANCHOR_NOTICE_IDS + i) };
  assert.equal(parseCertifiedMessage(serializeCertifiedMessage(big)), big);
});

test.run();
