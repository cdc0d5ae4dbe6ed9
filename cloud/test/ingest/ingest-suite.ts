// The ingest end to end on anvil + in-process aedes + a store (run by ingest-sqlite.test.ts and
// ingest-postgres.test.ts): good readings are stored then acked; every kind of bad input is
// rejected with its own code and counted, and nothing crashes (a good batch still goes through).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { MqttClient } from 'mqtt';
import type { BalStore } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { createVerifyPool, type VerifyPool } from '../../src/verify/pool.js';
import { startRegistryMirror, type RegistryMirror } from '../../src/registry/mirror.js';
import { startIngest, type Ingest } from '../../src/ingest/ingest.js';
import { createApiApp } from '../../src/api/app.js';
import { listenApi } from '../../src/api/server.js';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { connect, FakeDevice, registryTx, tmpDir, until } from './harness.js';

/** Register and run the ingest suite against the store `openStoreFor(dir)` returns. */
export function ingestSuite(name: string, openStoreFor: (dir: string) => Promise<BalStore>, destroy: () => Promise<void> = async () => {}): void {
  const test = suite(`ingest (${name})`);
  const tmp = tmpDir('bal-ingest-');
  let chain: ChainFixture; let broker: TestBroker; let store: BalStore; let pool: VerifyPool; let mirror: RegistryMirror;
  let bal: MqttClient; let ingest: Ingest;
  const metrics = new MetricsRegistry();
  const devices: FakeDevice[] = [];
  let A: FakeDevice; let B: FakeDevice; let C: FakeDevice;
  const C2 = Wallet.createRandom();
  const t = { regA: 0, revokedB: 0, rotatedC: 0 };
  let failStore = false;

  const rejected = (code: string) => metrics.counter('bal_ingest_rejected_total', '', ['code']).get({ code });
  const malformed = (code: string) => metrics.counter('bal_ingest_malformed_batches_total', '', ['code']).get({ code });

  test.before(async () => {
    chain = await startChain();
    broker = await startAedes();
    A = await FakeDevice.connect(broker.url, 'IT001E00000001', chain.domain);
    B = await FakeDevice.connect(broker.url, 'IT001E00000002', chain.domain);
    C = await FakeDevice.connect(broker.url, 'IT001E00000003', chain.domain);
    devices.push(A, B, C);
    t.regA = await registryTx(chain, 'registerBatch', [A.pod, B.pod, C.pod], [A.address, B.address, C.address]);
    store = await openStoreFor(tmp.dir);
    pool = await createVerifyPool({ domain: chain.domain, threads: 1 });
    mirror = await startRegistryMirror({ provider: jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId), podRegistry: chain.deployment.podRegistry, fromBlock: chain.deployment.deployBlock, pollIntervalMs: 100, log: silentLogger, metrics });
    bal = await connect(broker.url, 'bal');
    // The ingest's store fails its transactions while `failStore` is set (disk full, database gone).
    const flaky: BalStore = { ...store, storeBatch: (x) => (failStore ? Promise.reject(new Error('disk full')) : store.storeBatch(x)) };
    ingest = await startIngest({ mqtt: bal, store: flaky, mirror, pool, metrics, log: silentLogger, config: { futureSkewMs: 5_000 } });
  });

  test.after(async () => {
    await ingest?.stop().catch(() => {});
    for (const d of devices) await d.close().catch(() => {});
    await bal?.endAsync(true).catch(() => {});
    await mirror?.stop();
    await pool?.close();
    await store?.close();
    await destroy();
    await broker?.close();
    await chain?.stop();
    tmp.remove();
  });

  test('good readings: stored in the store, then acked as stored', async () => {
    const ts = Math.max(Date.now(), t.regA);
    const ack = await A.send({ v: 1, readings: [0, 1, 2, 3, 4].map((s) => A.reading(s, ts + s)) });
    assert.equal(ack.stored, [0, 1, 2, 3, 4]);
    assert.equal(ack.rejected, []);
    for (const s of [0, 4]) {
      const r = await store.readingByDeviceSeq(A.address, s);
      assert.ok(r, `seq ${s} in the store when the ack arrived`);
      assert.is(r!.pod, A.pod);
    }
    assert.is(metrics.counter('bal_ingest_readings_total', '', ['outcome']).get({ outcome: 'stored' }), 5);
  });

  test('replayed seq → duplicate (not stored twice)', async () => {
    const ts = Math.max(Date.now(), t.regA);
    const before = (await store.counts()).readings;
    const ack = await A.send({ v: 1, readings: [A.reading(2, ts + 2), A.reading(5, ts + 5)] });
    assert.equal(ack.duplicate.length + ack.rejected.length >= 1, true);
    assert.equal(ack.stored, [5]);
    // Seq 2 was signed with a different timestamp → not identical → equivocation; resend the original instead:
    const orig = await store.readingByDeviceSeq(A.address, 0);
    const dup = await A.send({ v: 1, readings: [orig!.reading] });
    assert.equal(dup.duplicate, [0]);
    assert.equal(dup.stored, []);
    assert.is((await store.counts()).readings, before + 1);
  });

  test('equivocation: same (device, seq), different content → BAL_EQUIVOCATION, flagged', async () => {
    const before = rejected('BAL_EQUIVOCATION');
    const eqBefore = (await store.counts()).equivocations;
    const ts = Math.max(Date.now(), t.regA);
    const ack = await A.send({ v: 1, readings: [A.reading(1, ts, { values: [{ quantity: '1-0:1.8.0', value: 42, scale: 0, unit: 'Wh' }] })] });
    assert.equal(ack.rejected.map((r) => [r.seq, r.code]), [[1, 'BAL_EQUIVOCATION']]);
    assert.ok(rejected('BAL_EQUIVOCATION') > before);
    assert.ok((await store.counts()).equivocations > eqBefore, 'evidence recorded in the store');
  });

  test('forged signature (high s, r = 0) → BAL_SIGNATURE_INVALID; unknown key → BAL_SIGNER_NOT_REGISTERED', async () => {
    const ts = Math.max(Date.now(), t.regA);
    const good = A.reading(10, ts);
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt('0x' + good.signature.slice(66, 130));
    const v = parseInt(good.signature.slice(130), 16);
    const highS = `${good.signature.slice(0, 66)}${(N - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}` as `0x${string}`;
    const rZero = `0x${'0'.repeat(64)}${good.signature.slice(66)}` as `0x${string}`;
    const other = A.reading(12, ts, {}, Wallet.createRandom());
    const nodeBefore = (await store.nodeByPod(A.pod))!;
    const ack = await A.send({ v: 1, readings: [{ ...good, signature: highS }, { ...A.reading(11, ts), signature: rZero }, other] });
    assert.equal(ack.rejected.map((r) => [r.seq, r.code]), [[10, 'BAL_SIGNATURE_INVALID'], [11, 'BAL_SIGNATURE_INVALID'], [12, 'BAL_SIGNER_NOT_REGISTERED']]);
    assert.is(rejected('BAL_SIGNATURE_INVALID'), 2);
    assert.is(rejected('BAL_SIGNER_NOT_REGISTERED'), 1);
    // …and in the store, per node and code (the counters are written after the ack is sent).
    const by = (code: string, n = nodeBefore): number => n.rejectedByCode[code] ?? 0;
    // The previous test's counters may still land after `nodeBefore` was read (they are written
    // after its ack): wait for and compare this test's own codes, and the total's consistency.
    await until(async () => {
      const n = (await store.nodeByPod(A.pod))!;
      return by('BAL_SIGNATURE_INVALID', n) - by('BAL_SIGNATURE_INVALID') >= 2 && by('BAL_SIGNER_NOT_REGISTERED', n) - by('BAL_SIGNER_NOT_REGISTERED') >= 1;
    }, 5_000, 'node counters');
    const nodeAfter = (await store.nodeByPod(A.pod))!;
    assert.is(by('BAL_SIGNATURE_INVALID', nodeAfter) - by('BAL_SIGNATURE_INVALID'), 2);
    assert.is(by('BAL_SIGNER_NOT_REGISTERED', nodeAfter) - by('BAL_SIGNER_NOT_REGISTERED'), 1);
    const codeSum = (n: typeof nodeAfter): number => Object.values(n.rejectedByCode).reduce((a, b) => a + b, 0);
    assert.is(nodeAfter.rejected - nodeBefore.rejected, codeSum(nodeAfter) - codeSum(nodeBefore), 'the total moves with the per-code counts');
    assert.ok(nodeAfter.rejected - nodeBefore.rejected >= 3);
    assert.equal((await store.nodeByPod(B.pod))?.rejectedByCode.BAL_SIGNATURE_INVALID ?? 0, 0, 'not counted on another node');
  });

  test('wrong PoD: reading of another PoD on my topic → BAL_POD_MISMATCH; unregistered PoD → BAL_POD_UNKNOWN', async () => {
    const ts = Math.max(Date.now(), t.regA);
    const ack = await A.send({ v: 1, readings: [B.reading(20, ts)] }, A.pod);
    assert.equal(ack.rejected.map((r) => [r.seq, r.code]), [[20, 'BAL_POD_MISMATCH']]);
    const U = await FakeDevice.connect(broker.url, 'IT009E99999999', chain.domain);
    devices.push(U);
    const ack2 = await U.send({ v: 1, readings: [U.reading(0, ts)] });
    assert.equal(ack2.rejected.map((r) => [r.seq, r.code]), [[0, 'BAL_POD_UNKNOWN']]);
    assert.is(rejected('BAL_POD_MISMATCH'), 1);
    assert.is(rejected('BAL_POD_UNKNOWN'), 1);
  });

  test('revoked device → BAL_DEVICE_REVOKED (readings before the revocation still accepted)', async () => {
    // Chain time has 1 s resolution: a reading stamped at the registration instant predates the revocation.
    const early = B.reading(0, t.regA);
    t.revokedB = await registryTx(chain, 'revoke', B.pod);
    assert.ok(t.revokedB > t.regA);
    await until(() => mirror.checkLocal(B.pod, B.address, t.revokedB) !== null, 5000, 'mirror sees the revocation');
    const ack = await B.send({ v: 1, readings: [early, B.reading(1, t.revokedB + 1)] });
    assert.equal(ack.stored, [0]);
    assert.equal(ack.rejected.map((r) => [r.seq, r.code]), [[1, 'BAL_DEVICE_REVOKED']]);
    assert.is(rejected('BAL_DEVICE_REVOKED'), 1);
  });

  test('key rotated away → BAL_SIGNER_NOT_REGISTERED for the old key, new key accepted', async () => {
    t.rotatedC = await registryTx(chain, 'rotate', C.pod, C2.address);
    await until(() => mirror.checkLocal(C.pod, C.address, t.rotatedC) !== null, 5000, 'mirror sees the rotation');
    const ts = t.rotatedC + 1;
    const ack = await C.send({ v: 1, readings: [C.reading(0, ts), C.reading(1, ts, {}, C2)] });
    assert.equal(ack.rejected.map((r) => [r.seq, r.code]), [[0, 'BAL_SIGNER_NOT_REGISTERED']]);
    assert.equal(ack.stored, [1]);
    assert.ok(await store.readingByDeviceSeq(C2.address.toLowerCase() as `0x${string}`, 1));
  });

  test('future timestamp → BAL_TIMESTAMP_FUTURE', async () => {
    const ack = await A.send({ v: 1, readings: [A.reading(30, Date.now() + 3_600_000)] });
    assert.equal(ack.rejected.map((r) => [r.seq, r.code]), [[30, 'BAL_TIMESTAMP_FUTURE']]);
    assert.is(rejected('BAL_TIMESTAMP_FUTURE'), 1);
  });

  test('malformed and oversized payloads: counted, no crash; invalid reading named by seq', async () => {
    await A.publish('this is not json');
    await A.publish(Buffer.from([0xff, 0x00, 0x13]));
    await A.publish(Buffer.alloc(1024 * 1024 + 10, 0x41));
    await until(() => malformed('PROTO_MESSAGE_INVALID') === 2 && malformed('PROTO_MESSAGE_TOO_LARGE') === 1, 10_000, 'malformed counters');
    const ts = Math.max(Date.now(), t.regA);
    const bad = { ...A.reading(40, ts), values: [{ quantity: '1-0:1.8.0', value: 1.5, scale: 0, unit: 'Wh' }] };
    const ack = await A.send({ v: 1, readings: [bad, A.reading(41, ts)] });
    assert.equal(ack.rejected.map((r) => [r.seq, r.code]), [[40, 'BAL_READING_INVALID']]);
    assert.equal(ack.stored, [41], 'the good reading of the same batch is stored');
    assert.is(rejected('BAL_READING_INVALID'), 1);
    const ok = await A.send({ v: 1, readings: [A.reading(42, ts)] });
    assert.equal(ok.stored, [42], 'still ingesting after the bad input');
    assert.match(metrics.render(), /bal_ingest_rejected_total\{code="BAL_TIMESTAMP_FUTURE"\} 1/);
  });

  test('one seq twice in a batch (forged copy + repeat): one verdict per seq, the good reading stored', async () => {
    const ts = Math.max(Date.now(), t.regA);
    const good = A.reading(60, ts);
    const before = rejected('BAL_SIGNER_NOT_REGISTERED');
    const ack = await A.send({ v: 1, readings: [A.reading(60, ts, {}, Wallet.createRandom()), good, good] });
    assert.equal(ack.stored, [60]);
    assert.equal(ack.duplicate, []);
    assert.equal(ack.rejected, []);
    assert.is(rejected('BAL_SIGNER_NOT_REGISTERED'), before + 1, 'the forged copy is still counted');
  });

  test('a failed store transaction: no ack, nothing stored, counted; the resend is stored and acked', async () => {
    const storeErrors = (): number => metrics.counter('bal_ingest_store_errors_total', '').get();
    const [errors0, acks0] = [storeErrors(), A.acks.length];
    const seq = (await store.lastSeqOfDevice(A.address))! + 1;
    const r = A.reading(seq, Math.max(Date.now(), t.regA));
    failStore = true;
    try {
      await A.publish({ v: 1, readings: [r] });
      await until(() => storeErrors() === errors0 + 1, 10_000, 'the store error');
      await ingest.idle();
      await new Promise((res) => setTimeout(res, 200));
    } finally {
      failStore = false;
    }
    assert.is(A.acks.length, acks0, 'no ack for a batch whose transaction failed');
    assert.is(await store.readingByDeviceSeq(A.address, seq), null);
    assert.equal((await A.send({ v: 1, readings: [r] })).stored, [seq], 'the device resends; now stored and acked');
    assert.ok(await store.readingByDeviceSeq(A.address, seq));
  });

  test('gaps: skipped seqs are counted on arrival (metric) and in the node table; a late reading fills one', async () => {
    const gaps = (): number => metrics.counter('bal_ingest_gap_seqs_total', '').get();
    const nodeGaps = async (): Promise<number> => (await store.nodeByPod(A.pod))!.gaps;
    const last = (await store.lastSeqOfDevice(A.address))!;
    const [g0, n0] = [gaps(), await nodeGaps()];
    const ts = Math.max(Date.now(), t.regA);
    assert.equal((await A.send({ v: 1, readings: [A.reading(last + 10, ts)] })).stored, [last + 10]);
    assert.is(gaps(), g0 + 9, 'nine seqs skipped');
    assert.is(await nodeGaps(), n0 + 9);
    assert.equal((await A.send({ v: 1, readings: [A.reading(last + 5, ts)] })).stored, [last + 5]);
    assert.is(gaps(), g0 + 9, 'a late reading is no new gap');
    assert.is(await nodeGaps(), n0 + 8, 'the node table sees the gap filled');
  });

  test('GET /metrics shows each rejection kind under its own code, with the counted number', async () => {
    const api = await listenApi(createApiApp({ store, deployment: { chainId: chain.anvil.chainId, podRegistry: chain.deployment.podRegistry, readingAnchor: chain.deployment.readingAnchor }, clients: [], metrics }), { host: '127.0.0.1', port: 0 });
    try {
      const text = await (await fetch(`${api.url}/metrics`)).text();
      const series = (name: string, label: string): Map<string, number> => new Map(
        [...text.matchAll(new RegExp(`^${name}\\{${label}="([A-Z_a-z]+)"\\} (\\d+)$`, 'gm'))].map((m) => [m[1]!, Number(m[2])]));
      const rejectedSeries = series('bal_ingest_rejected_total', 'code');
      const kinds = ['BAL_SIGNATURE_INVALID', 'BAL_SIGNER_NOT_REGISTERED', 'BAL_POD_MISMATCH', 'BAL_POD_UNKNOWN', 'BAL_DEVICE_REVOKED',
        'BAL_TIMESTAMP_FUTURE', 'BAL_EQUIVOCATION', 'BAL_READING_INVALID'];
      assert.equal([...rejectedSeries.keys()].sort(), [...kinds].sort(), 'one series per rejection kind the suite sent, nothing else');
      for (const code of kinds) {
        assert.ok(rejectedSeries.get(code)! >= 1, `${code} counted`);
        assert.is(rejectedSeries.get(code), rejected(code), `${code}: /metrics equals the counter`);
      }
      const malformedSeries = series('bal_ingest_malformed_batches_total', 'code');
      assert.equal(Object.fromEntries(malformedSeries), { PROTO_MESSAGE_INVALID: 2, PROTO_MESSAGE_TOO_LARGE: 1 });
      const outcomes = series('bal_ingest_readings_total', 'outcome');
      const outcome = (o: string): number => metrics.counter('bal_ingest_readings_total', '', ['outcome']).get({ outcome: o });
      for (const o of ['stored', 'duplicate', 'rejected']) {
        assert.ok(outcomes.get(o)! >= 1, `outcome ${o} counted`);
        assert.is(outcomes.get(o), outcome(o), `outcome ${o}: /metrics equals the counter`);
      }
    } finally {
      await api.close();
    }
  });

  test.run();
}
