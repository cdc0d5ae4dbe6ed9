/**
 * startBal with TLS everywhere: the embedded broker on MQTTS only (no plain port) and the API on
 * HTTPS; anchoring disabled. The BAL's own client reaches its TLS listener; a device with the
 * CA certificate gets its acks; the API answers over HTTPS.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS, type AnvilHandle } from '@lightnode/contracts/anvil';
import { registerPod, startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { writeDeployment, type Deployment } from '@lightnode/contracts/deploy';
import { makeDomain, signReading } from '@lightnode/shared/eip712';
import { hexToBytes } from '@lightnode/shared/hex';
import { loadConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { hashPassword } from '../../src/broker/password-hash.js';
import { newSecret } from '../../src/api/auth.js';
import { silentLogger } from '../../src/log.js';
import { selfSignedCert } from '../tls-cert.js';

const POD = 'IT001E00000055';
const dir = mkdtempSync(join(tmpdir(), 'bal-tls-'));
const certPath = join(dir, 'cert.pem');
const device = Wallet.createRandom();
const api = newSecret();
let chain: ChainFixture;
let anvil: AnvilHandle;
let dep: Deployment;
let bal: RunningBal | null = null;
let client: MqttClient | null = null;

test.before(async () => {
  selfSignedCert(dir);
  chain = await startChain();
  ({ anvil, deployment: dep } = chain);
  await registerPod(chain, POD, device.address);
  writeDeployment(join(dir, 'deployment.json'), dep);
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, accounts: [{ username: POD, role: 'device', passwordHash: await hashPassword('pw') }] }));
  writeFileSync(join(dir, 'bal.json'), JSON.stringify({
    chain: { deploymentPath: 'deployment.json' },
    broker: { port: null, tls: { port: 0, certPath: 'cert.pem', keyPath: 'key.pem' }, credentialsPath: 'credentials.json' },
    store: { path: ':memory:' },
    anchoring: { enabled: false },
    ingest: { verifyThreads: 0 },
    api: { port: 0, tls: { certPath: 'cert.pem', keyPath: 'key.pem' }, clients: [{ name: 'dso', role: 'dso', apiKeyHash: api.hash }] },
  }));
});

test.after(async () => {
  await client?.endAsync(true).catch(() => {});
  await bal?.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function httpsJson(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    request(url, { ca: readFileSync(certPath), headers: { 'x-api-key': api.secret } }, (res) => {
      let d = '';
      res.on('data', (c) => (d += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(d) }));
    }).on('error', reject).end();
  });
}

test('MQTTS-only broker and HTTPS API', async () => {
  bal = await startBal(loadConfig(join(dir, 'bal.json'), {}), { log: silentLogger });
  assert.is(bal.endpoints.mqtt, null);
  assert.match(bal.endpoints.mqtts!, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  assert.match(bal.endpoints.api, /^https:\/\//);
  assert.is(bal.anchorer, null);
  client = await mqtt.connectAsync(bal.endpoints.mqtts!, { username: POD, password: 'pw', clientId: POD, ca: readFileSync(certPath), reconnectPeriod: 0 });
  const acks: any[] = [];
  client.on('message', (_t, p) => acks.push(JSON.parse(p.toString())));
  await client.subscribeAsync(`ln/v1/${POD}/ack`, { qos: 1 });
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const r = signReading(domain, { pod: POD, meter: 'm', seq: 7, timestamp: Date.now(), source: 'ems', values: [{ quantity: '1-0:1.7.0', value: 1200, scale: 0, unit: 'W' }] }, hexToBytes(device.privateKey));
  await client.publishAsync(`ln/v1/${POD}/readings`, JSON.stringify({ v: 1, readings: [r] }), { qos: 1 });
  for (let i = 0; acks.length === 0 && i < 200; i++) await new Promise((res) => setTimeout(res, 25));
  assert.equal(acks, [{ v: 1, stored: [7], duplicate: [], rejected: [] }]);
  const list = await httpsJson(`${bal.endpoints.api}/api/readings?pod=${POD}`);
  assert.is(list.status, 200);
  assert.equal(list.body.items.map((x: { seq: number; status: string }) => `${x.seq}:${x.status}`), ['7:pending']);
  const h = await httpsJson(`${bal.endpoints.api}/healthz`);
  // `instance` names this instance; no `anchor` part: anchoring is off here, so no lease.
  assert.equal(h.body, { status: 'ok', checks: { store: 'ok', mqtt: 'ok', chain: 'ok' }, instance: { id: h.body.instance.id, roles: ['ingest', 'api', 'anchor'] } });
});

test.run();
