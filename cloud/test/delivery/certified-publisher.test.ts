// Certified delivery end to end on anvil + aedes + SQLite: readings acked by a real ingest
// arrive on certified/v1/{pod}/readings with their storage id and digest; once the anchorer's
// transaction is confirmed, the PoD's anchor notice follows with the ids, root, tx and block.
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
import { certifiedTopic } from '@lightnode/shared/topics';
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
  publisher = createCertifiedPublisher({ mqtt: bal, store, metrics, log: silentLogger, anchorPageSize: 2 });
  ingest = await startIngest({ mqtt: bal, store, mirror, pool, metrics, log: silentLogger, onStored: publisher.publishStored });
  anchorer = startAnchorer({
    store, signer: new Wallet(ANVIL_PRIVATE_KEYS[0], provider), readingAnchor: chain.deployment.readingAnchor, metrics, log: silentLogger,
    config: { windowMs: 3_600_000, pollIntervalMs: 50 }, onConfirmed: publisher.publishAnchor,
  });
  consumer = await connect(broker.url, 'consumer');
  consumer.on('message', (topic, payload) => got.push({ topic, msg: parseCertifiedMessage(payload) }));
  await consumer.subscribeAsync(certifiedTopic(dev.pod), { qos: 1 });
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

test('a failing publish is counted, never thrown', async () => {
  const broken = createCertifiedPublisher({ mqtt: { publish: (_t: string, _b: string, _o: unknown, cb: (e?: Error) => void) => cb(new Error('offline')) } as unknown as MqttClient, store, metrics, log: silentLogger });
  const before = metrics.counter('bal_certified_publish_errors_total', '').get();
  const row = (await store.readingByDeviceSeq(dev.address, 1))!;
  broken.publishStored(dev.pod, [{ id: row.id, digest: row.digest, signer: dev.address, reading: row.reading }]);
  await broken.idle();
  assert.is(metrics.counter('bal_certified_publish_errors_total', '').get(), before + 1);
});

test.run();
