/**
 * The production parts by configuration only (DESIGN §7): startBal with an external Mosquitto
 * over TLS only (configured by writeMosquittoConfig with the dynamic-security plugin: per-device
 * passwords + roles) and PostgreSQL, on anvil. (Plain MQTT + acl_file: test/ingest/mosquitto.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import mqtt, { type MqttClient } from 'mqtt';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS, type AnvilHandle } from '@lightnode/contracts/anvil';
import { registerPod, startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import type { Deployment } from '@lightnode/contracts/deploy';
import { makeDomain, signReading } from '@lightnode/shared/eip712';
import { hexToBytes } from '@lightnode/shared/hex';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { hashPassword } from '../../src/broker/password-hash.js';
import { writeMosquittoConfig } from '../../src/broker/mosquitto-config.js';
import { newSecret } from '../../src/api/auth.js';
import { silentLogger } from '../../src/log.js';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto, type MosquittoProcess } from '@lightnode/test-kit/mosquitto';
import { selfSignedCert } from '../tls-cert.js';

const DYNSEC_PLUGIN = process.env.MOSQUITTO_DYNSEC_PLUGIN ?? '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

const PG_URL = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const POD = 'IT001E00000077';
const schema = `bal_prod_${randomBytes(5).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'bal-prod-'));
const device = Wallet.createRandom();
const api = newSecret();
let chain: ChainFixture;
let anvil: AnvilHandle;
let dep: Deployment;
let mosquitto: MosquittoProcess | null = null;
let bal: RunningBal | null = null;
let client: MqttClient | null = null;

test.before(async () => {
  chain = await startChain();
  ({ anvil, deployment: dep } = chain);
  await registerPod(chain, POD, device.address);
});

test.after(async () => {
  await client?.endAsync(true).catch(() => {});
  await bal?.stop();
  await mosquitto?.stop();
  await chain?.stop();
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => c.end());
  rmSync(dir, { recursive: true, force: true });
});

test('external Mosquitto (TLS, dynamic security) + PostgreSQL: readings acked, status recorded, anchored, receipt served', async () => {
  const port = await freePort();
  const { certPath, keyPath } = selfSignedCert(dir);
  const ca = readFileSync(certPath);
  const files = writeMosquittoConfig({
    outDir: join(dir, 'mosquitto'), listener: null, tls: { port, host: '127.0.0.1', certPath, keyPath }, runAsUser: userInfo().username,
    dynsecPluginPath: DYNSEC_PLUGIN,
    accounts: [
      { username: POD, role: 'device', passwordHash: await hashPassword('dev-pw') },
      { username: 'bal', role: 'bal', passwordHash: await hashPassword('bal-pw') },
    ],
  });
  mosquitto = await startMosquitto(files.configPath, port);
  const url = `mqtts://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await (await mqtt.connectAsync(url, { username: 'bal', password: 'bal-pw', reconnectPeriod: 0, ca })).endAsync(true); break; } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const config = parseConfig({
    chain: { rpcUrl: anvil.rpcUrl, chainId: dep.chainId, podRegistry: dep.podRegistry, readingAnchor: dep.readingAnchor, deployBlock: dep.deployBlock },
    broker: { kind: 'external', url, username: 'bal', caPath: certPath, clientId: `bal@test-${schema}` },
    store: { kind: 'postgres', url: PG_URL, schema },
    anchoring: { windowMs: 60_000, pollIntervalMs: 100, confirmations: 1 },
    ingest: { verifyThreads: 1 },
    api: { port: 0, clients: [{ name: 'dso', role: 'dso', apiKeyHash: api.hash }] },
  }, dir, { BAL_BROKER_PASSWORD: 'bal-pw', BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0] });
  bal = await startBal(config, { log: silentLogger });
  assert.equal(bal.endpoints.broker, 'external');
  assert.is(bal.store.kind, 'postgres');

  client = await mqtt.connectAsync(url, { username: POD, password: 'dev-pw', reconnectPeriod: 0, clientId: POD, ca });
  const acks: any[] = [];
  client.on('message', (topic, payload) => { if (topic === `ln/v1/${POD}/ack`) acks.push(JSON.parse(payload.toString())); });
  await client.subscribeAsync(`ln/v1/${POD}/ack`, { qos: 1 });
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const now = Date.now();
  const readings = [1, 2].map((seq) => signReading(domain, { pod: POD, meter: 'm', seq, timestamp: now + seq, source: 'chain2',
    values: [{ quantity: '1-0:1.8.0', value: 42 + seq, scale: 0, unit: 'Wh' }] }, hexToBytes(device.privateKey)));
  await client.publishAsync(`ln/v1/${POD}/readings`, JSON.stringify({ v: 1, readings }), { qos: 1 });
  await client.publishAsync(`ln/v1/${POD}/readings`, JSON.stringify({ v: 1, readings }), { qos: 1 });
  await client.publishAsync(`ln/v1/${POD}/status`, JSON.stringify({ v: 1, pod: POD, device: device.address.toLowerCase(), state: 'online', ts: now, lastSeq: 2, spoolDepth: 5, quarantined: 0, agentVersion: 't' }), { qos: 1 });
  for (let i = 0; acks.length < 2 && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(acks, [{ v: 1, stored: [1, 2], duplicate: [], rejected: [] }, { v: 1, stored: [], duplicate: [1, 2], rejected: [] }]);

  await bal.anchorer!.flush(30_000);
  const list = await (await fetch(`${bal.endpoints.api}/api/readings?pod=${POD}&status=confirmed`, { headers: { 'x-api-key': api.secret } })).json() as { items: { id: number }[] };
  assert.is(list.items.length, 2);
  const rc = await fetch(`${bal.endpoints.api}/api/readings/${list.items[0]!.id}/receipt`, { headers: { authorization: `Bearer nope` } });
  assert.is(rc.status, 401);
  const ok = await fetch(`${bal.endpoints.api}/api/readings/${list.items[0]!.id}/receipt`, { headers: { 'x-api-key': api.secret } });
  assert.is(ok.status, 200);
  const node = await bal.store.nodeByPod(POD);
  assert.is(node!.spoolDepth, 5);
  assert.is(node!.duplicates, 2);
});

test.run();
