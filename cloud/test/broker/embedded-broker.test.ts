import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { CredentialStore } from '../../src/broker/credentials.js';
import { hashPassword } from '../../src/broker/password-hash.js';
import { attachStatusRecorder } from '../../src/broker/status-recorder.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MetricsRegistry } from '../../src/metrics.js';
import type { BalStore } from '../../src/store/types.js';
import { POD_A, POD_B, PASSWORDS, connect, endAll, testAccounts } from './helpers.js';
import { selfSignedCert } from '../tls-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-broker-'));
const { certPath, keyPath } = selfSignedCert(dir);

let broker: EmbeddedBroker;
let store: BalStore;
const metrics = new MetricsRegistry();
const clients: MqttClient[] = [];
const DEVICE_A = '0x' + 'a1'.repeat(20);
let baseAccounts: Awaited<ReturnType<typeof testAccounts>>;

const status = (pod: string, over: Record<string, unknown> = {}): string => JSON.stringify({
  v: 1, pod, device: DEVICE_A, state: 'online', ts: 1_700_000_000_000, lastSeq: 41, spoolDepth: 3, quarantined: 0, agentVersion: '0.1.0', ...over,
});

async function until<T>(f: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test.before(async () => {
  store = openSqliteStore({ path: ':memory:' });
  baseAccounts = await testAccounts();
  broker = await startEmbeddedBroker({ port: 0, tls: { port: 0, certPath, keyPath }, credentials: new CredentialStore(baseAccounts), metrics });
  const internal = await connect(broker.url!, broker.internal.username, broker.internal.password);
  clients.push(internal);
  await attachStatusRecorder(internal, { store, metrics });
});
test.after(async () => { await endAll(clients); await broker?.close(); await store?.close(); rmSync(dir, { recursive: true, force: true }); });

test('TLS listener: a device connects over mqtts with the server certificate as CA', async () => {
  assert.match(broker.tlsUrl!, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  const c = await connect(broker.tlsUrl!, POD_A, PASSWORDS[POD_A], { ca: readFileSync(certPath), servername: 'localhost' });
  clients.push(c);
  assert.ok(c.connected);
  let refused = false;
  try { const x = await connect(broker.tlsUrl!, POD_A, PASSWORDS[POD_A], { rejectUnauthorized: true }); await x.endAsync(true); } catch { refused = true; }
  assert.ok(refused, 'an unknown certificate is refused by a verifying client');
});

test('status messages land in the node table; mismatched and malformed ones are counted, not stored', async () => {
  const a = await connect(broker.url!, POD_A);
  clients.push(a);
  await a.publishAsync(`ln/v1/${POD_A}/status`, status(POD_A), { qos: 1, retain: true });
  const node = await until(() => store.nodeByPod(POD_A), 'node row');
  assert.is(node.state, 'online');
  assert.is(node.reportedLastSeq, 41);
  assert.is(node.spoolDepth, 3);
  assert.is(node.device, DEVICE_A);
  await a.publishAsync(`ln/v1/${POD_A}/status`, status(POD_B), { qos: 1 });
  await a.publishAsync(`ln/v1/${POD_A}/status`, '{"v":1,"pod":', { qos: 1 });
  await a.publishAsync(`ln/v1/${POD_A}/status`, status(POD_A, { spoolDepth: -1 }), { qos: 1 });
  const c = metrics.counter('bal_status_messages_total', '', ['outcome']);
  await until(async () => c.get({ outcome: 'rejected' }) >= 3, 'rejections counted');
  assert.is(await store.nodeByPod(POD_B), null);
  assert.is((await store.nodeByPod(POD_A))!.spoolDepth, 3);
});

test('the last will (offline status) is recorded when a device drops', async () => {
  const b = await connect(broker.url!, POD_B, PASSWORDS[POD_B], {
    will: { topic: `ln/v1/${POD_B}/status`, payload: Buffer.from(status(POD_B, { state: 'offline', ts: 1_700_000_000_500 })), qos: 1, retain: true },
  });
  await b.publishAsync(`ln/v1/${POD_B}/status`, status(POD_B), { qos: 1, retain: true });
  await until(async () => (await store.nodeByPod(POD_B))?.state === 'online', 'online');
  b.stream.destroy(); // abrupt drop: the broker publishes the will
  await until(async () => (await store.nodeByPod(POD_B))?.state === 'offline', 'offline after will');
  b.end(true);
});

test('a last will built at connect time (older than the online status after it) still marks the node offline', async () => {
  const b = await connect(broker.url!, POD_B, PASSWORDS[POD_B], {
    will: { topic: `ln/v1/${POD_B}/status`, payload: Buffer.from(status(POD_B, { state: 'offline', ts: 1_700_000_010_000 })), qos: 1, retain: true },
  });
  await b.publishAsync(`ln/v1/${POD_B}/status`, status(POD_B, { ts: 1_700_000_010_900 }), { qos: 1, retain: true });
  await until(async () => (await store.nodeByPod(POD_B))?.lastStatusMs === 1_700_000_010_900, 'online');
  b.stream.destroy();
  await until(async () => (await store.nodeByPod(POD_B))?.state === 'offline', 'offline after an older will');
  b.end(true);
});

test('reloaded accounts: a removed device is dropped, a new one connects, the BAL stays', async () => {
  const b = await connect(broker.url!, POD_B);
  const closed = new Promise<void>((r) => b.once('close', () => r()));
  const accounts = baseAccounts.filter((a) => a.username !== POD_B);
  accounts.push({ username: 'IT001E00000003', role: 'device', passwordHash: await hashPassword('pw-c', { iterations: 10 }) });
  assert.is(broker.replaceAccounts(accounts), 1, 'only the removed account is dropped');
  await closed;
  b.end(true);
  let refused = false;
  try { await connect(broker.url!, POD_B); } catch { refused = true; }
  assert.ok(refused, 'removed account refused');
  const c = await connect(broker.url!, 'IT001E00000003', 'pw-c');
  clients.push(c);
  assert.ok(c.connected);
  assert.ok(clients[0]!.connected, 'the internal BAL client was not touched');
  const again = await connect(broker.url!, broker.internal.username, broker.internal.password);
  clients.push(again);
});

test('refusals are counted in /metrics', async () => {
  const a = await connect(broker.url!, POD_A);
  await Promise.race([a.publishAsync(`ln/v1/${POD_B}/readings`, 'x', { qos: 1 }).catch(() => {}), new Promise<void>((r) => a.once('close', () => r()))]);
  a.end(true);
  let refused = false;
  try { await connect(broker.url!, POD_A, 'nope'); } catch { refused = true; }
  assert.ok(refused);
  const deniedBefore = metrics.counter('bal_broker_denied_total', '', ['action']).get({ action: 'publish' });
  assert.ok(deniedBefore >= 1);
  // Over broker.maxPayloadBytes (default 2 MiB) on the device's own topic: refused under its own counter.
  const big = await connect(broker.url!, POD_A);
  await Promise.race([big.publishAsync(`ln/v1/${POD_A}/readings`, Buffer.alloc(2 * 1024 * 1024 + 1, 0x20), { qos: 1 }).catch(() => {}), new Promise<void>((r) => big.once('close', () => r()))]);
  big.end(true);
  const text = metrics.render();
  assert.match(text, /^bal_broker_oversized_total 1$/m);
  assert.match(text, new RegExp(`^bal_broker_denied_total\\{action="publish"\\} ${deniedBefore}$`, 'm'), 'the ACL counter does not count the oversized payload');
  assert.match(text, /bal_broker_auth_failures_total [1-9]/);
  assert.match(text, /bal_broker_clients \d+/);
});

test.run();
