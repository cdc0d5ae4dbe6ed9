// The ingest's crypto path (fast digest, native and noble recovery, worker pool) against the
// committed shared vectors: identical digests to shared's readingDigest, identical signers,
// and identical verdicts from both secp256k1 implementations on every hostile case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { readingDigest, recoverReadingSigner, type Eip712Domain } from '@lightnode/shared/eip712';
import type { SignedReading } from '@lightnode/shared/reading';
import { bytesToHex } from '@lightnode/shared/hex';
import { ingestEip712 } from '../../src/verify/digest.js';
import { createBatchVerifier, type CoreItem } from '../../src/verify/verify-core.js';
import { createRecoverer, nativeSecpAvailable } from '../../src/verify/recover.js';
import { keccak256Into, keccak256Native, keccak256Noble, keccakImpl } from '../../src/verify/keccak.js';
import { createVerifyPool } from '../../src/verify/pool.js';
import { readingBody } from '../../src/store/common.js';
import { MAX_BATCH_READINGS, serializeAck } from '@lightnode/shared/messages';
import { MAX_MESSAGE_BYTES } from '@lightnode/shared/message-codec';

const root = new URL('../../../shared/vectors/', import.meta.url);
const good = JSON.parse(readFileSync(new URL('readings.json', root), 'utf8')) as {
  vectors: { name: string; address: string; domain: Eip712Domain; domainSeparator: string; reading: SignedReading; digest: string; signature: string }[];
};
const hostile = JSON.parse(readFileSync(new URL('hostile.json', root), 'utf8')) as {
  domain: Eip712Domain; expectedSigner: string; cases: { name: string; reading: Record<string, unknown>; code: string }[];
};

test('native keccak loads here and equals noble on 0..300-byte inputs', () => {
  assert.is(keccakImpl, 'native');
  for (let n = 0; n <= 300; n += 7) {
    const x = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
    assert.is(bytesToHex(keccak256Native!(x)), bytesToHex(keccak256Noble(x)), `len ${n}`);
  }
});

test('keccak256Into (what the shared engine is bound to) hashes exactly data[start..end) into out[outOff..]', () => {
  const x = Uint8Array.from({ length: 400 }, (_, i) => (i * 37 + 11) & 0xff);
  const out = new Uint8Array(80).fill(0xee);
  for (const [start, end] of [[0, 0], [0, 66], [5, 165], [3, 400], [136, 272]] as const) {
    keccak256Into(x, start, end, out, 7);
    assert.is(bytesToHex(out.subarray(7, 39)), bytesToHex(keccak256Noble(x.subarray(start, end))), `${start}..${end}`);
    assert.is(out[6], 0xee);
    assert.is(out[39], 0xee);
  }
  // Whole arrays go to the addon without a Buffer view: a plain array and an offset view of one.
  const view = x.subarray(9, 209);
  for (const data of [x, view, Uint8Array.from(view)]) {
    keccak256Into(data, 0, data.length, out, 0);
    assert.is(bytesToHex(out.subarray(0, 32)), bytesToHex(keccak256Noble(Uint8Array.from(data))), `whole ${data.length}@${data.byteOffset}`);
  }
});

test('readings.json: fast digest = vector digest = shared readingDigest; both impls recover the address', () => {
  assert.ok(good.vectors.length > 0);
  assert.ok(nativeSecpAvailable, 'libsecp256k1 binding should load on linux-x64');
  const impls = [createRecoverer('native'), createRecoverer('noble')];
  for (const v of good.vectors) {
    const sep = ingestEip712.domainSeparator(v.domain);
    assert.is(bytesToHex(sep), v.domainSeparator, v.name);
    const d = ingestEip712.readingDigestFor(sep, v.reading);
    assert.is(bytesToHex(d), v.digest, v.name);
    assert.is(bytesToHex(readingDigest(v.domain, v.reading)), v.digest, v.name);
    for (const r of impls) {
      assert.is(r.recoverAddress(d, Buffer.from(v.signature.slice(2), 'hex')), v.address.toLowerCase(), `${v.name} ${r.impl}`);
    }
    assert.is(recoverReadingSigner(v.domain, v.reading), v.address.toLowerCase());
  }
});

test('fast digest = shared readingDigest on 300 random readings (extreme and negative integers, unicode-free ids)', () => {
  const domain = good.vectors[0]!.domain;
  const sep = ingestEip712.domainSeparator(domain);
  let x = 12345;
  const rnd = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  const edge = [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 - 1, -(2 ** 32) + 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
  for (let i = 0; i < 300; i++) {
    const val = i < edge.length ? edge[i]! : Math.round((rnd() * 2 - 1) * Number.MAX_SAFE_INTEGER * rnd() ** 8);
    const r = { pod: 'IT001E12345678', meter: `m${i % 7}`, seq: Math.floor(rnd() * Number.MAX_SAFE_INTEGER), timestamp: 1_700_000_000_000 + i,
      source: i % 2 ? 'modbus' : 'chain2', values: Array.from({ length: 1 + (i % 5) }, (_, k) => ({ quantity: '1-0:1.8.0', value: k === 0 ? val : -val, scale: (i % 37) - 18, unit: 'Wh' })) };
    assert.is(bytesToHex(ingestEip712.readingDigestFor(sep, r)), bytesToHex(readingDigest(domain, r)), `reading ${i} value ${val}`);
  }
});

function verdict(item: CoreItem | undefined, expected: string): string {
  if (!item) return 'none';
  if (!item.ok) return item.code;
  return item.signer === expected ? 'OK' : 'SIGNER_MISMATCH';
}

const CODE_MAP: Record<string, string> = {
  PROTO_READING_INVALID: 'BAL_READING_INVALID',
  PROTO_SIGNATURE_INVALID: 'BAL_SIGNATURE_INVALID',
  PROTO_SIGNER_MISMATCH: 'SIGNER_MISMATCH',
};

test('a verified item carries the stored body: exactly readingBody(reading), even when the device wrote keys in another order, an upper-case signature or -0', () => {
  const v = good.vectors[0]!;
  const verifier = createBatchVerifier(ingestEip712.domainSeparator(v.domain), 'noble');
  const r = v.reading as unknown as Record<string, unknown>;
  const shuffled = { signature: v.signature.toUpperCase().replace('0X', '0x'), values: (v.reading.values as unknown as Record<string, unknown>[]).map((m) => ({ unit: m.unit, scale: m.scale === 0 ? -0 : m.scale, value: m.value, quantity: m.quantity })), source: r.source, timestamp: r.timestamp, seq: r.seq, meter: r.meter, pod: r.pod };
  for (const reading of [{ ...v.reading, signature: v.signature }, shuffled]) {
    const res = verifier.verifyPayload(v.reading.pod, JSON.stringify({ v: 1, readings: [reading] }));
    const item = res.items[0]!;
    assert.ok(item.ok, v.name);
    if (item.ok) assert.is(item.body, readingBody(item.reading));
  }
});

test('hostile.json: every case refused, same verdict from native and noble', () => {
  const sep = ingestEip712.domainSeparator(hostile.domain);
  const native = createBatchVerifier(sep, 'native');
  const noble = createBatchVerifier(sep, 'noble');
  assert.ok(hostile.cases.length > 10);
  for (const c of hostile.cases) {
    const pod = typeof c.reading.pod === 'string' ? c.reading.pod : 'IT001E00000001';
    const payload = JSON.stringify({ v: 1, readings: [c.reading] });
    const a = verdict(native.verifyPayload(pod, payload).items[0], hostile.expectedSigner);
    const b = verdict(noble.verifyPayload(pod, payload).items[0], hostile.expectedSigner);
    assert.is(a, b, `${c.name}: native ${a} vs noble ${b}`);
    // Where the shape is invalid the seq may still be named; the verdict must match the vector.
    assert.is(a, CODE_MAP[c.code], `${c.name}: ${a} vs expected ${c.code}`);
  }
});

test('worker pool (2 threads) gives the same items as inline verification', async () => {
  const v = good.vectors[0]!;
  const batch = JSON.stringify({ v: 1, readings: good.vectors.filter((x) => x.domain.chainId === v.domain.chainId && x.domain.verifyingContract === v.domain.verifyingContract).map((x) => x.reading) });
  const pool = await createVerifyPool({ domain: v.domain, threads: 2 });
  try {
    const inline = createBatchVerifier(ingestEip712.domainSeparator(v.domain)).verifyPayload(v.reading.pod, batch);
    const results = await Promise.all([1, 2, 3, 4].map(() => pool.verifyBatch(v.reading.pod, Buffer.from(batch))));
    for (const r of results) assert.equal(r, inline);
    assert.ok(inline.items.some((i) => i.ok));
  } finally {
    await pool.close();
  }
});

test('a dead worker is replaced; its in-flight jobs fail (not acked), later jobs succeed', async () => {
  const v = good.vectors[0]!;
  const batch = JSON.stringify({ v: 1, readings: [v.reading] });
  const pool = await createVerifyPool({ domain: v.domain, threads: 2 });
  try {
    await pool.killWorker(0);
    const deadline = Date.now() + 20_000;
    while (pool.restarts() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.is(pool.restarts(), 1);
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => pool.verifyBatch(v.reading.pod, batch)));
    for (const r of results) assert.ok(r.items[0]?.ok);
  } finally {
    await pool.close();
  }
});

test('envelope errors: oversized, not JSON, wrong v (seqs still named)', () => {
  const v = good.vectors[0]!;
  const ver = createBatchVerifier(ingestEip712.domainSeparator(v.domain));
  const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
  assert.is(ver.verifyPayload(v.reading.pod, big).envelopeError?.code, 'PROTO_MESSAGE_TOO_LARGE');
  assert.is(ver.verifyPayload(v.reading.pod, Buffer.from([0xff, 0xfe, 0x7b])).envelopeError?.code, 'PROTO_MESSAGE_INVALID');
  assert.is(ver.verifyPayload(v.reading.pod, '{"v":1,"readings":[]}').envelopeError?.code, 'PROTO_MESSAGE_INVALID');
  const wrongV = ver.verifyPayload(v.reading.pod, JSON.stringify({ v: 2, readings: [v.reading] }));
  assert.is(wrongV.envelopeError?.code, 'PROTO_MESSAGE_INVALID');
  assert.equal(wrongV.items.map((i) => (i.ok ? 'ok' : `${i.seq}:${i.code}`)), [`${v.reading.seq}:BAL_READING_INVALID`]);
  const mismatch = ver.verifyPayload('IT999E99999999', JSON.stringify({ v: 1, readings: [v.reading] }));
  assert.is(mismatch.items[0]?.ok ? 'ok' : mismatch.items[0]?.code, 'BAL_POD_MISMATCH');
});

test('an oversized envelope (10,000 seqs in one batch) names at most one batch of seqs, so its ack still serializes', () => {
  const v = good.vectors[0]!;
  const ver = createBatchVerifier(ingestEip712.domainSeparator(v.domain));
  const res = ver.verifyPayload(v.reading.pod, JSON.stringify({ v: 1, readings: Array.from({ length: 10_000 }, (_, i) => ({ seq: i, pod: 'x'.repeat(20) })) }));
  assert.is(res.envelopeError?.code, 'PROTO_MESSAGE_INVALID');
  assert.is(res.items.length, MAX_BATCH_READINGS);
  assert.equal(res.items.slice(0, 3).map((i) => (i.ok ? 'ok' : `${i.seq}:${i.code}`)), ['0:BAL_READING_INVALID', '1:BAL_READING_INVALID', '2:BAL_READING_INVALID']);
  const rejected = res.items.flatMap((i) => (i.ok || i.seq === null ? [] : [{ seq: i.seq, code: i.code as string, reason: i.reason }]));
  assert.is(rejected.length, MAX_BATCH_READINGS);
  const bytes = serializeAck({ v: 1, stored: [], duplicate: [], rejected });
  assert.ok(Buffer.byteLength(bytes) <= MAX_MESSAGE_BYTES);
});

test.run();
