// Cumulative (v 2) acks end to end: a real Mosquitto, anvil, the real verify pool, registry
// mirror, ingest and store (run by cumulative-acks-sqlite.test.ts and -postgres.test.ts).
// A device stand-in keeps a spool (seq → reading) and deletes only what an ack covers, as the
// edge's Spool does; the tests check which seqs each ack covers, not how fast it comes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Wallet } from 'ethers';
import { ackLists, parseAnyAck, type AnyAck } from '@lightnode/shared/messages';
import { signReading, type Eip712Domain } from '@lightnode/shared/eip712';
import { hexToBytes } from '@lightnode/shared/hex';
import type { SignedReading } from '@lightnode/shared/reading';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto, type MosquittoProcess } from '@lightnode/test-kit/mosquitto';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import type { BalStore } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { createVerifyPool, type VerifyPool } from '../../src/verify/pool.js';
import { startRegistryMirror, type RegistryMirror } from '../../src/registry/mirror.js';
import { startIngest, type Ingest } from '../../src/ingest/ingest.js';
import { connect, registryTx, tmpDir, until } from './harness.js';

/** Ack window of the ingest under test: long enough that a device can disconnect inside it. */
const ACK_DELAY_MS = 1500;

/** A device stand-in with a spool: deletes a seq only when an ack covers it (stored or rejected). */
class SpoolDevice {
  readonly wallet = Wallet.createRandom();
  readonly address = this.wallet.address.toLowerCase() as `0x${string}`;
  readonly spool = new Map<number, SignedReading>();
  readonly acks: AnyAck[] = [];
  readonly settled = new Set<number>();
  readonly rejected = new Map<number, string>();
  readonly foreign: number[] = [];
  client: MqttClient | null = null;
  constructor(readonly pod: string, readonly domain: Eip712Domain, readonly url: string) {}

  async connect(): Promise<void> {
    const c = await mqtt.connectAsync(this.url, { clientId: `dev-${this.pod}`, reconnectPeriod: 0, clean: true });
    c.on('message', (_t, payload) => {
      const ack = parseAnyAck(payload);
      this.acks.push(ack);
      const l = ackLists(ack);
      for (const s of [...l.stored, ...l.duplicate]) {
        if (!this.spool.has(s) && !this.settled.has(s)) this.foreign.push(s); // covered but never sent
        this.settled.add(s); this.spool.delete(s);
      }
      for (const r of l.rejected) { this.rejected.set(r.seq, r.code); this.spool.delete(r.seq); }
    });
    await c.subscribeAsync(`ln/v1/${this.pod}/ack`, { qos: 1 });
    this.client = c;
  }

  reading(seq: number, timestamp: number, key: { privateKey: string } = this.wallet): SignedReading {
    return signReading(this.domain, { pod: this.pod, meter: 'mt1', seq, timestamp, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 1000 + seq, scale: 0, unit: 'Wh' }] }, hexToBytes(key.privateKey));
  }

  /** Spool and publish, one reading per message (device cadence). */
  async send(readings: SignedReading[]): Promise<void> {
    for (const r of readings) {
      this.spool.set(r.seq, r);
      await this.client!.publishAsync(`ln/v1/${this.pod}/readings`, JSON.stringify({ v: 1, readings: [r] }), { qos: 1 });
    }
  }

  /** Resend everything still spooled, oldest first (what the uplink does after a reconnect). */
  async resendSpool(): Promise<void> {
    const rows = [...this.spool.values()].sort((a, b) => a.seq - b.seq);
    for (const r of rows) await this.client!.publishAsync(`ln/v1/${this.pod}/readings`, JSON.stringify({ v: 1, readings: [r] }), { qos: 1 });
  }

  async drop(): Promise<void> { await this.client?.endAsync(true); this.client = null; }
}

export function cumulativeAckSuite(name: string, openStoreFor: (dir: string) => Promise<BalStore>, destroy: () => Promise<void> = async () => {}): void {
  const test = suite(`cumulative acks (${name}, Mosquitto)`);
  const tmp = tmpDir('bal-cumack-');
  let mosq: MosquittoProcess | null = null;
  let chain: ChainFixture; let store: BalStore; let pool: VerifyPool; let mirror: RegistryMirror; let bal: MqttClient; let ingest: Ingest;
  let url = '';
  let ts = 0;
  const metrics = new MetricsRegistry();
  const devs: SpoolDevice[] = [];
  const device = async (pod: string): Promise<SpoolDevice> => {
    const d = new SpoolDevice(pod, chain.domain, url);
    devs.push(d);
    ts = Math.max(ts, await registryTx(chain, 'register', pod, d.address));
    await d.connect();
    return d;
  };
  const storedSeqs = async (d: SpoolDevice): Promise<number[]> => {
    const out: number[] = [];
    for (let s = 0; s < 64; s++) if (await store.readingByDeviceSeq(d.address, s)) out.push(s);
    return out;
  };

  test.before(async () => {
    const port = await freePort();
    const conf = join(tmp.dir, 'mosquitto.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    mosq = await startMosquitto(conf, port);
    url = `mqtt://127.0.0.1:${port}`;
    chain = await startChain();
    store = await openStoreFor(tmp.dir);
    pool = await createVerifyPool({ domain: chain.domain, threads: 1 });
    mirror = await startRegistryMirror({ provider: jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId), podRegistry: chain.deployment.podRegistry, fromBlock: chain.deployment.deployBlock, pollIntervalMs: 100, log: silentLogger, metrics });
    bal = await connect(url, 'bal');
    // Every ack is checked against the store the moment it is published: a covered seq must be committed.
    const publish = bal.publish.bind(bal);
    bal.publish = ((topic: string, payload: string, ...rest: unknown[]) => {
      if (topic.endsWith('/ack')) void checkCommitted(topic.split('/')[2]!, payload);
      return (publish as (...a: unknown[]) => MqttClient)(topic, payload, ...rest);
    }) as MqttClient['publish'];
    ingest = await startIngest({ mqtt: bal, store, mirror, pool, metrics, log: silentLogger, config: { ackMode: 'cumulative', ackMaxDelayMs: ACK_DELAY_MS, ackMaxReadings: 500, futureSkewMs: 60_000 } });
  });

  const uncommitted: string[] = [];
  async function checkCommitted(pod: string, payload: string): Promise<void> {
    const d = devs.find((x) => x.pod === pod);
    if (!d) return;
    for (const s of ackLists(parseAnyAck(payload)).stored) if (!(await store.readingByDeviceSeq(d.address, s))) uncommitted.push(`${pod}:${s}`);
  }

  test.after(async () => {
    await ingest?.stop().catch(() => {});
    for (const d of devs) await d.drop().catch(() => {});
    await bal?.endAsync(true).catch(() => {});
    await mirror?.stop(); await pool?.close(); await store?.close();
    await destroy();
    await chain?.stop();
    await mosq?.stop();
    tmp.remove();
  });

  test('one v 2 ack covers many one-reading messages, never a seq that is missing (a gap) or uncommitted', async () => {
    const A = await device('IT001E00000101');
    const acks0 = metrics.counter('bal_ingest_acks_total', '').get();
    const seqs = [0, 1, 2, 3, 4, 6, 7, 8, 9]; // 5 is "still in flight": sent later
    await A.send(seqs.map((s) => A.reading(s, ts + s)));
    await until(() => A.settled.size === seqs.length, 20_000, 'acks for the nine readings');
    assert.ok(A.acks.every((a) => a.v === 2), 'cumulative acks are v 2');
    assert.not.ok(A.settled.has(5), 'the gap is not covered');
    const ranges = A.acks.flatMap((a) => (a.v === 2 ? a.settled : []));
    assert.ok(ranges.every(([from, to]) => to < 5 || from > 5), `no range spans seq 5: ${JSON.stringify(ranges)}`);
    assert.ok(A.acks.length < seqs.length, `fewer acks (${A.acks.length}) than readings (${seqs.length})`);
    assert.ok(metrics.counter('bal_ingest_acks_total', '').get() - acks0 < seqs.length);
    assert.equal(await storedSeqs(A), seqs);
    assert.is(A.spool.size, 0, 'every sent reading is covered');
    // The late seq is acked on its own.
    await A.send([A.reading(5, ts + 5)]);
    await until(() => A.settled.has(5), 20_000, 'ack for seq 5');
    assert.equal(A.spool.size, 0);
    assert.equal(uncommitted, [], 'every seq an ack covered was in the store when the ack was published');
    assert.equal(A.foreign, [], 'no ack covered a seq the device never sent');
  });

  test('rejected readings in the window are reported with their code and leave the spool; good ones around them are stored', async () => {
    const B = await device('IT001E00000102');
    const stranger = Wallet.createRandom();
    await B.send([B.reading(0, ts), B.reading(1, ts + 1, stranger), B.reading(2, Date.now() + 3_600_000), B.reading(3, ts + 3)]);
    await until(() => B.spool.size === 0, 20_000, 'all four answered');
    assert.equal([...B.rejected].sort((a, b) => a[0] - b[0]), [[1, 'BAL_SIGNER_NOT_REGISTERED'], [2, 'BAL_TIMESTAMP_FUTURE']]);
    assert.equal([...B.settled].sort((a, b) => a - b), [0, 3]);
    for (const a of B.acks) if (a.v === 2) for (const r of a.rejected) assert.ok(!a.settled.some(([f, t]) => r.seq >= f && r.seq <= t));
    assert.equal(await storedSeqs(B), [0, 3]);
  });

  test('a device that disconnects before its window\'s ack resends: nothing lost, nothing stored twice', async () => {
    const C = await device('IT001E00000103');
    const N = 30;
    await C.send(Array.from({ length: N }, (_, s) => C.reading(s, ts + s)));
    // Gone before the ack window (ACK_DELAY_MS) closes: its ack is published to nobody.
    await C.drop();
    assert.equal(C.spool.size, N, 'nothing deleted without an ack');
    await until(() => ingest.inFlight() === 0, 20_000, 'ingest idle');
    await new Promise((r) => setTimeout(r, ACK_DELAY_MS + 300)); // let the window's ack go out to no one
    assert.equal(C.spool.size, N, 'still nothing deleted: that ack was never received');
    await C.connect();
    await C.resendSpool();
    await until(() => C.spool.size === 0, 30_000, 'resent readings acked');
    assert.equal(C.settled.size, N);
    assert.equal(await storedSeqs(C), Array.from({ length: N }, (_, s) => s), 'every reading stored');
    const page = await store.listReadings({ pod: C.pod, limit: 100 });
    assert.is(page.items.length, N, 'and each exactly once');
    assert.equal(uncommitted, []);
  });

  test('stop() publishes the acks still waiting in their window', async () => {
    const D = await device('IT001E00000104');
    await D.send([D.reading(0, ts), D.reading(1, ts + 1)]);
    await until(async () => (await storedSeqs(D)).length === 2, 20_000, 'stored');
    await ingest.stop();
    await until(() => D.settled.size === 2, 10_000, 'ack flushed on stop');
  });

  test.run();
}
