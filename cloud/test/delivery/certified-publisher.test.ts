// Certified delivery end to end on anvil + aedes + SQLite: readings acked by a real ingest
// arrive on certified/v1/{pod}/readings with their storage id and digest; once the anchorer's
// transaction is confirmed, the PoD's anchor notice follows with the ids, root, tx and block.
// The same stream in CIM (…/readings/cim-xml, …/cim-json): MeterReadings `created` with each
// reading's digest, then `changed` with the anchor transaction, decoded by the strict codecs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { MqttClient } from 'mqtt';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { parseCertifiedMessage, type CertifiedAnchorMessage, type CertifiedMessage, type CertifiedReadingMessage } from '@lightnode/shared/certified-message';
import { certifiedFormatTopic, certifiedTopic } from '@lightnode/shared/topics';
import { decodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { decodeCimJson } from '@lightnode/shared/cim/json-codec';
import { cimReadingToMeasurement } from '@lightnode/shared/cim/readings-map';
import type { CimMessage } from '@lightnode/shared/cim/model';
import { recoverReadingSigner, readingDigest } from '@lightnode/shared/eip712';
import { bytesToHex } from '@lightnode/shared/hex';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { createVerifyPool, type VerifyPool } from '../../src/verify/pool.js';
import { startRegistryMirror, type RegistryMirror } from '../../src/registry/mirror.js';
import { startIngest, type Ingest } from '../../src/ingest/ingest.js';
import { startAnchorer, type Anchorer } from '../../src/anchor/anchorer.js';
import { createCertifiedPublisher, type CertifiedPublisher } from '../../src/delivery/certified-publisher.js';
import { connect, FakeDevice, registryTx, tmpDir, until } from '../ingest/harness.js';

const tmp = tmpDir('bal-certified-');
let chain: ChainFixture; let broker: TestBroker; let store: BalStore; let pool: VerifyPool; let mirror: RegistryMirror;
let bal: MqttClient; let consumer: MqttClient; let ingest: Ingest; let anchorer: Anchorer; let dev: FakeDevice; let other: FakeDevice;
let publisher: CertifiedPublisher;
const metrics = new MetricsRegistry();
const got: { topic: string; msg: CertifiedMessage }[] = [];
const cim: { topic: string; format: 'cim-xml' | 'cim-json'; msg: CimMessage; bytes: number }[] = [];
let regMs = 0;

test.before(async () => {
  chain = await startChain();
  broker = await startAedes();
  dev = await FakeDevice.connect(broker.url, 'IT001E00000321', chain.domain);
  other = await FakeDevice.connect(broker.url, 'IT001E00000322', chain.domain);
  regMs = await registryTx(chain, 'registerBatch', [dev.pod, other.pod], [dev.address, other.address]);
  store = openSqliteStore({ path: join(tmp.dir, 'bal.db') });
  const provider = jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId);
  pool = await createVerifyPool({ domain: chain.domain, threads: 1 });
  mirror = await startRegistryMirror({ provider, podRegistry: chain.deployment.podRegistry, fromBlock: chain.deployment.deployBlock, log: silentLogger, metrics });
  bal = await connect(broker.url, 'bal');
  publisher = createCertifiedPublisher({ mqtt: bal, store, metrics, log: silentLogger, anchorPageSize: 2, cimFormats: ['cim-xml', 'cim-json'] });
  ingest = await startIngest({ mqtt: bal, store, mirror, pool, metrics, log: silentLogger, onStored: publisher.publishStored });
  anchorer = startAnchorer({
    store, signer: new Wallet(ANVIL_PRIVATE_KEYS[0], provider), readingAnchor: chain.deployment.readingAnchor, metrics, log: silentLogger,
    config: { windowMs: 3_600_000, pollIntervalMs: 50 }, onConfirmed: publisher.publishAnchor,
  });
  consumer = await connect(broker.url, 'consumer');
  consumer.on('message', (topic, payload) => {
    if (topic.endsWith('/cim-xml')) cim.push({ topic, format: 'cim-xml', msg: decodeCimXml(payload), bytes: payload.length });
    else if (topic.endsWith('/cim-json')) cim.push({ topic, format: 'cim-json', msg: decodeCimJson(payload), bytes: payload.length });
    else got.push({ topic, msg: parseCertifiedMessage(payload) });
  });
  await consumer.subscribeAsync([certifiedTopic(dev.pod), certifiedFormatTopic(dev.pod, 'cim-xml'), certifiedFormatTopic(dev.pod, 'cim-json')], { qos: 1 });
});

test.after(async () => {
  await ingest?.stop().catch(() => {});
  await anchorer?.stop();
  for (const c of [dev, other]) await c?.close().catch(() => {});
  for (const c of [bal, consumer]) await c?.endAsync(true).catch(() => {});
  await mirror?.stop(); await pool?.close(); await store?.close();
  await broker?.close(); await chain?.stop();
  tmp.remove();
});

const readingsOf = (): CertifiedReadingMessage[] => got.map((g) => g.msg).filter((m): m is CertifiedReadingMessage => m.kind === 'reading');

test('each stored reading arrives on its certified topic with storage id, digest, signer and signature', async () => {
  const ts = Math.max(Date.now(), regMs);
  const ack = await dev.send({ v: 1, readings: [0, 1, 2].map((s) => dev.reading(s, ts + s)) });
  assert.equal(ack.stored, [0, 1, 2]);
  assert.equal((await other.send({ v: 1, readings: [other.reading(0, ts)] })).stored, [0]);
  await until(() => readingsOf().length === 3, 5000, 'three certified readings');
  for (const m of readingsOf()) {
    const row = await store.readingByDeviceSeq(dev.address, m.reading.seq);
    assert.ok(row);
    assert.is(m.id, row!.id);
    assert.is(m.digest, row!.digest);
    assert.is(m.signer, dev.address);
    const { signature, ...reading } = row!.reading;
    assert.equal(m.reading, reading);
    assert.is(m.signature, signature);
    assert.is(bytesToHex(readingDigest(chain.domain, m.reading)), m.digest, 'a consumer recomputes the digest');
    assert.is(recoverReadingSigner(chain.domain, { ...m.reading, signature: m.signature }).toLowerCase(), dev.address, 'and recovers the signer');
  }
  assert.ok(got.every((g) => g.topic === certifiedTopic(dev.pod)), 'only the subscribed PoD');
  // A duplicate resend is acked but not republished.
  assert.equal((await dev.send({ v: 1, readings: [dev.reading(0, ts)] })).duplicate, [0]);
  await publisher.idle();
  await new Promise((r) => setTimeout(r, 200));
  assert.is(readingsOf().length, 3);
  assert.is(metrics.counter('bal_certified_published_total', '', ['kind']).get({ kind: 'reading' }), 4);
});

test('after the anchor is confirmed, the anchor notice of the PoD follows', async () => {
  await anchorer.flush(30_000);
  await until(() => got.some((g) => g.msg.kind === 'anchor'), 10_000, 'anchor notice');
  const notice = got.map((g) => g.msg).find((m): m is CertifiedAnchorMessage => m.kind === 'anchor')!;
  const anchor = await store.anchorByIndex(notice.anchorIndex);
  assert.ok(anchor);
  assert.is(anchor!.status, 'confirmed');
  assert.equal(notice.ids, readingsOf().map((m) => m.id).sort((a, b) => a - b), 'the ids of this PoD only');
  assert.is(notice.root, anchor!.root);
  assert.is(notice.transaction, anchor!.transaction);
  assert.is(notice.block, anchor!.blockNumber);
  assert.is(metrics.counter('bal_certified_published_total', '', ['kind']).get({ kind: 'anchor' }), 2, 'one notice per PoD');
});

/** digest → (verb, values, anchor transaction) of the CIM messages of one format. */
function cimByDigest(format: 'cim-xml' | 'cim-json', verb: 'created' | 'changed') {
  const out = new Map<string, { values: unknown[]; tx: string | null; timestampMs: number; meter: string; pod: string }>();
  for (const c of cim.filter((x) => x.format === format && x.msg.Header.Verb === verb)) {
    for (const mr of c.msg.Payload!.MeterReadings.MeterReading) {
      for (const r of mr.Readings) {
        const x = cimReadingToMeasurement(r);
        const e = out.get(x.digest!) ?? { values: [], tx: x.anchorTransaction, timestampMs: x.timestampMs, meter: mr.Meter!.mRID!, pod: mr.UsagePoint!.mRID! };
        e.values.push(x.measurement);
        out.set(x.digest!, e);
      }
    }
  }
  return out;
}

test('CIM: the stored readings also arrive as MeterReadings Verb=created in XML and JSON, values bit for bit, digest in ReadingQualities', async () => {
  await until(() => cimByDigest('cim-xml', 'created').size === 3 && cimByDigest('cim-json', 'created').size === 3, 5000, 'CIM created messages');
  const stored = await Promise.all(readingsOf().map((m) => store.readingByDeviceSeq(dev.address, m.reading.seq)));
  for (const format of ['cim-xml', 'cim-json'] as const) {
    const map = cimByDigest(format, 'created');
    for (const row of stored) {
      const e = map.get(row!.digest)!;
      assert.ok(e, `${format}: digest of seq ${row!.seq}`);
      assert.equal(e.values, row!.reading.values, `${format}: values`);
      assert.equal([e.pod, e.meter, e.timestampMs, e.tx], [dev.pod, row!.reading.meter, row!.timestampMs, null]);
    }
  }
  assert.ok(cim.every((c) => c.topic.startsWith(`${certifiedTopic(dev.pod)}/`) && c.msg.Header.Noun === 'MeterReadings' && c.msg.Reply === undefined));
  assert.equal([...new Set(cim.map((c) => c.msg.Header.Source))], ['LightNode-BAL']);
  const published = metrics.counter('bal_certified_cim_published_total', '', ['format', 'verb']);
  assert.is(published.get({ format: 'cim-xml', verb: 'created' }), 2, 'one message per stored batch of each PoD: dev and other');
  assert.is(published.get({ format: 'cim-json', verb: 'created' }), 2);
});

test('CIM: once anchored, Verb=changed carries the same readings with the anchor transaction', async () => {
  await until(() => cimByDigest('cim-xml', 'changed').size === 3 && cimByDigest('cim-json', 'changed').size === 3, 10_000, 'CIM changed messages');
  const notice = got.map((g) => g.msg).find((m): m is CertifiedAnchorMessage => m.kind === 'anchor')!;
  for (const format of ['cim-xml', 'cim-json'] as const) {
    const created = cimByDigest(format, 'created');
    for (const [digest, e] of cimByDigest(format, 'changed')) {
      assert.is(e.tx, notice.transaction, `${format} ${digest}`);
      assert.equal(e.values, created.get(digest)!.values);
    }
  }
  assert.ok(cim.filter((c) => c.msg.Header.Verb === 'changed').every((c) => c.msg.Header.CorrelationID === `anchor:${notice.anchorIndex}`));
});

test('CIM: values without a ReadingType are left out and counted; the JSON stream still carries them', async () => {
  const omitted = metrics.counter('bal_certified_cim_values_omitted_total', '');
  const before = omitted.get();
  const ts = Date.now();
  const r = dev.reading(10, ts, { values: [{ quantity: '1-0:1.8.0', value: 2_000_000, scale: 0, unit: 'Wh' }, { quantity: '1-0:3.8.0', value: 12, scale: 0, unit: 'varh' }] });
  assert.equal((await dev.send({ v: 1, readings: [r] })).stored, [10]);
  const digest = bytesToHex(readingDigest(chain.domain, r));
  await until(() => cimByDigest('cim-xml', 'created').has(digest), 5000, 'the CIM message');
  assert.equal(cimByDigest('cim-xml', 'created').get(digest)!.values, [r.values[0]]);
  await until(() => readingsOf().some((m) => m.digest === digest), 5000, 'the JSON message');
  assert.equal(readingsOf().find((m) => m.digest === digest)!.reading.values, r.values);
  assert.is(omitted.get(), before + 1, 'once per value left out, whatever the number of formats');
});

test('a failing publish is counted, never thrown', async () => {
  const broken = createCertifiedPublisher({ mqtt: { publish: (_t: string, _b: string, _o: unknown, cb: (e?: Error) => void) => cb(new Error('offline')) } as unknown as MqttClient, store, metrics, log: silentLogger });
  const before = metrics.counter('bal_certified_publish_errors_total', '').get();
  const row = (await store.readingByDeviceSeq(dev.address, 1))!;
  broken.publishStored(dev.pod, [{ id: row.id, digest: row.digest, signer: dev.address, reading: row.reading }]);
  await broken.idle();
  assert.is(metrics.counter('bal_certified_publish_errors_total', '').get(), before + 1);
});

test.run();
