/**
 * Data access end to end (issue 11 "Done when"), one suite run per broker × store: a real
 * anvil with the three contracts, the whole BAL from its config (`startBal`, data access on),
 * the embedded aedes or a private Mosquitto with the dynamic-security plugin, SQLite or
 * PostgreSQL, a Light Node stand-in publishing signed readings every 250 ms, and the users'
 * own REST calls and MQTT clients. A consumer requests access; before acceptance its subscribe
 * is refused and it receives nothing; the producer accepts; GET /api/certification/{topic}
 * shows the decision with its transaction; the consumer receives the next verified readings
 * within 2 s of acceptance; the producer revokes; 2 s later nothing arrives any more and the
 * subscribe is refused again. The same consumer choosing CIM (…/readings/cim-xml) gets
 * MeterReadings `created` with the stored values and digests, then `changed` with the anchor
 * transaction; without an accepted subscription that topic is refused too.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, registerPod, grantDsoAdmin, type ChainFixture } from '@lightnode/test-kit/chain';
import { signReading, readingDigest } from '@lightnode/shared/eip712';
import { bytesToHex, hexToBytes } from '@lightnode/shared/hex';
import { certifiedFormatTopic, certifiedTopic } from '@lightnode/shared/topics';
import { decodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { cimReadingToMeasurement } from '@lightnode/shared/cim/readings-map';
import type { CimMessage } from '@lightnode/shared/cim/model';
import { parseCertifiedMessage, type CertifiedReadingMessage } from '@lightnode/shared/certified-message';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { silentLogger } from '../../src/log.js';
import { POD_A, PASSWORDS, testAccounts, trySubscribe } from '../broker/helpers.js';
import { startMosquitto } from '../broker/mosquitto-process.js';
import { Wallet } from 'ethers';

const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const PG_URL = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOPIC = certifiedTopic(POD_A);
const CIM_TOPIC = certifiedFormatTopic(POD_A, 'cim-xml');
const ADMIN = { username: 'dso-admin', password: 'admin-password-1' };
const PRODUCER = { username: 'home-owner', password: 'producer-password-1' };
const CONSUMER = { username: 'dso-tp', password: 'consumer-password-1' };

interface Received { at: number; msg: CertifiedReadingMessage }

export function dataAccessSuite(brokerKind: 'embedded' | 'mosquitto', storeKind: 'sqlite' | 'postgres'): void {
  const test = suite(`data access e2e: ${brokerKind} broker, ${storeKind} store`);
  const dir = mkdtempSync(join(tmpdir(), `bal-da-e2e-${brokerKind}-${storeKind}-`));
  const schema = `da_e2e_${randomBytes(4).toString('hex')}`;
  let chain: ChainFixture;
  let bal: RunningBal;
  let mosq: { url: string; stop(): Promise<void>; log(): string } | null = null;
  let device: { client: MqttClient; stop(): Promise<void>; sent: () => number };
  let consumer: MqttClient;
  let cimClient: MqttClient | null = null;
  const received: Received[] = [];
  const cimReceived: { at: number; msg: CimMessage }[] = [];
  const tokens: Record<string, string> = {};

  const api = async (method: string, path: string, who: string | null, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${bal.endpoints.api}${path}`, {
      method, headers: { ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const login = async (u: { username: string; password: string }): Promise<void> => {
    const r = await api('POST', '/api/login', null, u);
    assert.is(r.status, 200, JSON.stringify(r.json));
    tokens[u.username] = r.json.token;
  };
  const storedCount = async (): Promise<number> => (await bal.store.listReadings({ pod: POD_A, limit: 1000 })).items.length;
  const waitUntil = async (fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!(await fn())) {
      if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}${mosq ? `\nmosquitto log:\n${mosq.log().slice(-2000)}` : ''}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  test.before(async () => {
    chain = await startChain();
    // The relay account (wallets[2]) pays for decisions and registers topic providers; the anchoring account is wallets[0].
    const topicAdmin = await chain.subscriptions.getFunction('TOPIC_ADMIN_ROLE')();
    await (await chain.subscriptions.getFunction('grantRole')(topicAdmin, chain.wallets[2]!.address)).wait();
    const deviceKey = Wallet.createRandom();
    await registerPod(chain, POD_A, deviceKey.address);

    const accounts = await testAccounts();
    let broker: Record<string, unknown>;
    const env: Record<string, string> = { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0]!, BAL_RELAY_KEY: ANVIL_PRIVATE_KEYS[2]! };
    if (brokerKind === 'mosquitto') {
      mosq = await startMosquitto(accounts, { dynsecPluginPath: DYNSEC_PLUGIN, dynsecAdmin: { username: 'bal-dynsec', password: 'pw-dynsec' } });
      broker = { kind: 'external', url: mosq.url, username: 'bal', clientId: `bal@e2e-${process.pid}`, dynsecUsername: 'bal-dynsec' };
      Object.assign(env, { BAL_BROKER_PASSWORD: PASSWORDS.bal!, BAL_BROKER_DYNSEC_PASSWORD: 'pw-dynsec' });
    } else {
      writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, accounts }));
      broker = { kind: 'embedded', port: 0, credentialsPath: 'credentials.json' };
    }
    const store = storeKind === 'sqlite' ? { kind: 'sqlite', path: 'bal.db' } : { kind: 'postgres', url: PG_URL, schema };
    const config = parseConfig({
      chain: { deploymentPath: chain.deploymentPath }, broker, store,
      anchoring: { enabled: true, windowMs: 1000, pollIntervalMs: 100, confirmations: 1 },
      ingest: { verifyThreads: 0 }, registry: { pollIntervalMs: 100 }, api: { port: 0 },
      dataAccess: { enabled: true, walletKeyPath: 'keys/wallet-master.key' }, log: { level: 'error' },
    }, dir, env);
    bal = await startBal(config, { log: silentLogger });

    // The DSO's first admin comes from the operator's side (like `bal users add`); its wallet may sign any topic's decisions.
    const admin = await bal.access!.createUser({ ...ADMIN, role: 'admin' });
    await grantDsoAdmin(chain, admin.wallet);

    // The Light Node stand-in: one signed reading every 250 ms on its own account.
    const client = await mqtt.connectAsync(bal.endpoints.mqtt!, { username: POD_A, password: PASSWORDS[POD_A], clientId: POD_A, reconnectPeriod: 200 });
    let seq = 0;
    const timer = setInterval(() => {
      seq++;
      const r = signReading(chain.domain, { pod: POD_A, meter: 'mt1', seq, timestamp: Date.now(), source: 'modbus',
        values: [{ quantity: '1-0:1.8.0', value: 1_000_000 + seq, scale: 0, unit: 'Wh' }] }, hexToBytes(deviceKey.privateKey));
      client.publish(`ln/v1/${POD_A}/readings`, JSON.stringify({ v: 1, readings: [r] }), { qos: 1 });
    }, 250);
    device = { client, sent: () => seq, stop: async () => { clearInterval(timer); await client.endAsync(true); } };
  });

  test.after(async () => {
    await consumer?.endAsync(true).catch(() => undefined);
    await device?.stop().catch(() => undefined);
    await bal?.stop();
    await mosq?.stop();
    await chain?.stop();
    if (storeKind === 'postgres') {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the admin creates the PoD\'s producer and a consumer over REST; each gets a custodial wallet', async () => {
    await login(ADMIN);
    const p = await api('POST', '/api/users', ADMIN.username, { ...PRODUCER, role: 'producer', pods: [POD_A] });
    assert.is(p.status, 201, JSON.stringify(p.json));
    assert.equal(p.json.pods, [POD_A]);
    const c = await api('POST', '/api/users', ADMIN.username, { ...CONSUMER, role: 'consumer' });
    assert.is(c.status, 201, JSON.stringify(c.json));
    assert.match(c.json.wallet, /^0x[0-9a-f]{40}$/);
    assert.not.ok(JSON.stringify([p.json, c.json]).includes(CONSUMER.password), 'no password in answers');
    // The topic's provider on chain is the producer's wallet.
    assert.is((await chain.subscriptions.getFunction('topicProviderOf')(TOPIC)).toLowerCase(), p.json.wallet);
    await login(PRODUCER);
    await login(CONSUMER);
  });

  test('before acceptance the consumer is refused at subscribe and receives nothing, also once it has requested', async () => {
    consumer = await mqtt.connectAsync(bal.endpoints.mqtt!, { username: CONSUMER.username, password: CONSUMER.password, clientId: CONSUMER.username, reconnectPeriod: 200 });
    consumer.on('message', (topic, payload) => {
      if (topic !== TOPIC) return;
      const msg = parseCertifiedMessage(payload);
      if (msg.kind === 'reading') received.push({ at: Date.now(), msg });
    });
    assert.is(await trySubscribe(consumer, TOPIC), 128, 'refused before any request');
    assert.is(await trySubscribe(consumer, CIM_TOPIC), 128, 'the CIM format too');
    const req = await api('POST', '/api/subscriptions', CONSUMER.username, { topic: TOPIC });
    assert.is(req.status, 201, JSON.stringify(req.json));
    assert.is(req.json.status, 'requested');
    assert.is(await trySubscribe(consumer, TOPIC), 128, 'refused while requested');
    assert.is(await trySubscribe(consumer, CIM_TOPIC), 128, 'the CIM format too while requested');
    const before = await storedCount();
    await waitUntil(async () => (await storedCount()) >= before + 3, 10_000, 'three more readings stored');
    assert.is(received.length, 0, 'nothing delivered before acceptance');
  });

  test('the producer accepts: the chain shows the decision with its transaction, and the consumer receives the next readings within 2 s', async () => {
    const [sub] = (await api('GET', `/api/subscriptions?topic=${encodeURIComponent(TOPIC)}`, PRODUCER.username)).json.items;
    const acc = await api('POST', `/api/subscriptions/${sub.id}/accept`, PRODUCER.username, {});
    const acceptedAt = Date.now();
    assert.is(acc.status, 200, JSON.stringify(acc.json));
    assert.is(acc.json.status, 'accepted');
    assert.match(acc.json.transaction, /^0x[0-9a-f]{64}$/);

    // The consumer (re)subscribes — on Mosquitto the plugin kicked it when its role was added.
    await waitUntil(async () => consumer.connected && (await trySubscribe(consumer, TOPIC)) === 1, 2000, 'subscribe granted after acceptance');
    await waitUntil(() => received.length > 0, Math.max(1, 2000 - (Date.now() - acceptedAt)), 'a certified reading within 2 s of acceptance');
    const first = received[0]!;
    assert.ok(first.at - acceptedAt <= 2000, `first reading ${first.at - acceptedAt} ms after acceptance`);
    console.log(`  [${brokerKind}/${storeKind}] first certified reading ${first.at - acceptedAt} ms after the accept answer`);
    assert.is(first.msg.reading.pod, POD_A);
    assert.is(first.msg.digest, bytesToHex(readingDigest(chain.domain, first.msg.reading)));
    const stored = await bal.store.readingById(first.msg.id);
    assert.is(stored?.digest, first.msg.digest, 'the storage id names the same reading');

    // Seed endpoint, topic percent-encoded as one path segment and as the raw path: read from the chain.
    for (const path of [`/api/certification/${encodeURIComponent(TOPIC)}`, `/api/certification/${TOPIC}`]) {
      const cert = await api('GET', path, CONSUMER.username);
      assert.is(cert.status, 200, `${path}: ${JSON.stringify(cert.json)}`);
      assert.is(cert.json.topic, TOPIC);
      const mine = cert.json.subscriptions.find((x: any) => x.status === 'accepted');
      assert.ok(mine, JSON.stringify(cert.json));
      assert.is(mine.transaction, acc.json.transaction);
      assert.is(mine.topic, TOPIC);
    }
    // REST reads follow the same rule: the consumer now sees exactly that PoD.
    const readings = await api('GET', '/api/readings?limit=5', CONSUMER.username);
    assert.is(readings.status, 200);
    assert.ok(readings.json.items.length > 0 && readings.json.items.every((r: any) => r.pod === POD_A));
  });

  test('the consumer chooses CIM: MeterReadings created with the stored values and digests, then changed with the anchor transaction', async () => {
    // One connection per account (client id = username): the consumer subscribes to the CIM
    // format topic on the same connection as its JSON stream.
    cimClient = consumer;
    cimClient.on('message', (topic, payload) => { if (topic === CIM_TOPIC) cimReceived.push({ at: Date.now(), msg: decodeCimXml(payload) }); });
    assert.is(await trySubscribe(cimClient, CIM_TOPIC), 1);
    const created = () => cimReceived.filter((c) => c.msg.Header.Verb === 'created');
    await waitUntil(() => created().length >= 2, 5000, 'two CIM created messages');
    for (const c of created().slice(0, 2)) {
      assert.is(c.msg.Header.Noun, 'MeterReadings');
      const [mr] = c.msg.Payload!.MeterReadings.MeterReading;
      assert.is(mr!.UsagePoint!.mRID, POD_A);
      for (const r of mr!.Readings) {
        const x = cimReadingToMeasurement(r);
        const stored = (await bal.store.listReadings({ pod: POD_A, fromMs: x.timestampMs, toMs: x.timestampMs + 1, limit: 10 })).items.find((s) => s.digest === x.digest);
        assert.ok(stored, `the digest ${x.digest} names a stored reading`);
        assert.equal([x.measurement], stored!.reading.values, 'values bit for bit');
        assert.is(x.digest, bytesToHex(readingDigest(chain.domain, stored!.reading)));
      }
    }
    // The anchor (window 1 s, 1 confirmation) follows as Verb=changed with its transaction.
    await waitUntil(() => cimReceived.some((c) => c.msg.Header.Verb === 'changed'), 20_000, 'a CIM changed message after the anchor');
    const changed = cimReceived.find((c) => c.msg.Header.Verb === 'changed')!;
    const index = Number(changed.msg.Header.CorrelationID!.split(':')[1]);
    const anchor = await bal.store.anchorByIndex(index);
    for (const r of changed.msg.Payload!.MeterReadings.MeterReading[0]!.Readings) {
      const x = cimReadingToMeasurement(r);
      assert.is(x.anchorTransaction, anchor!.transaction);
      const row = (await bal.store.listReadings({ pod: POD_A, fromMs: x.timestampMs, toMs: x.timestampMs + 1, limit: 10 })).items.find((s) => s.digest === x.digest)!;
      assert.is(row.anchorIndex, index, 'the reading is in that anchor');
    }
  });

  test('the producer revokes: 2 s later nothing arrives any more and the subscribe is refused', async () => {
    const [sub] = (await api('GET', `/api/subscriptions?topic=${encodeURIComponent(TOPIC)}`, PRODUCER.username)).json.items;
    const rev = await api('POST', `/api/subscriptions/${sub.id}/revoke`, PRODUCER.username, {});
    const revokedAt = Date.now();
    assert.is(rev.status, 200, JSON.stringify(rev.json));
    assert.is(rev.json.status, 'revoked');
    await new Promise((r) => setTimeout(r, 2000 - (Date.now() - revokedAt)));
    const quietFrom = Math.max(Date.now(), revokedAt + 2000);
    const before = await storedCount();
    await waitUntil(async () => (await storedCount()) >= before + 4, 10_000, 'four more readings stored after revocation');
    const late = received.filter((x) => x.at >= quietFrom);
    assert.is(late.length, 0, `${late.length} readings delivered more than 2 s after revocation`);
    assert.is(cimReceived.filter((x) => x.at >= quietFrom).length, 0, 'nor CIM messages');
    await waitUntil(() => consumer.connected, 5000, 'consumer reconnected');
    assert.is(await trySubscribe(consumer, TOPIC), 128, 'refused after revocation');
    assert.is(await trySubscribe(consumer, CIM_TOPIC), 128, 'the CIM format too');
    // REST reads: nothing any more.
    const readings = await api('GET', '/api/readings?limit=5', CONSUMER.username);
    assert.is(readings.json.items.length, 0);
  });

  if (brokerKind === 'embedded') {
    test('MQTT password guessing is limited like API logins: after 5 failures even the right password is refused, and counted', async () => {
      const attempt = (password: string): Promise<boolean> => mqtt.connectAsync(bal.endpoints.mqtt!, { username: PRODUCER.username, password, clientId: PRODUCER.username, reconnectPeriod: 0, connectTimeout: 3000 })
        .then(async (c) => { await c.endAsync(true); return true; }, () => false);
      assert.ok(await attempt(PRODUCER.password), 'the right password works first');
      for (let i = 0; i < 5; i++) assert.not.ok(await attempt(`guess-${i}-wrong-password`));
      assert.not.ok(await attempt(PRODUCER.password), 'limited: refused without a check');
      const metrics = bal.metrics.render();
      assert.match(metrics, /bal_access_refusals_total\{instance_id="[^"]+",roles="ingest,api,anchor",code="BAL_ACCESS_LOGIN_RATE_LIMITED"\} [1-9]/);
      assert.match(metrics, /bal_access_refusals_total\{instance_id="[^"]+",roles="ingest,api,anchor",code="BAL_ACCESS_LOGIN_FAILED"\} [5-9]/);
    });
  }

  test.run();
}
