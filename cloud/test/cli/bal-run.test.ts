/**
 * End to end through the CLI: `bal run` with one config file on anvil, the embedded broker with
 * per-device credentials, SQLite, anchoring and the API. A device's readings are acked, show up
 * in the API, get anchored, and the receipt verifies on chain through ReadingAnchor.verifyReading.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Wallet } from 'ethers';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { validateReceipt, verifyReceiptOffline } from '@lightnode/shared/receipt';
import { ANVIL_PRIVATE_KEYS, type AnvilHandle } from '@lightnode/contracts/anvil';
import { registerPod, startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { writeDeployment, type Deployment } from '@lightnode/contracts/deploy';
import { jsonRpcProvider, readingAnchorAt } from '@lightnode/contracts/connect';
import { makeDomain, signReading } from '@lightnode/shared/eip712';
import { hexToBytes } from '@lightnode/shared/hex';
import { hashPassword } from '../../src/broker/password-hash.js';
import { newSecret } from '../../src/api/auth.js';
import { OpenApiValidator } from '../api/api-fixture.js';
import { startCli } from './run-cli.js';

const POD = 'IT001E00000042';
const OTHER = 'IT001E00000043';
const dir = mkdtempSync(join(tmpdir(), 'bal-run-'));
const device = Wallet.createRandom();
const api = newSecret();
let chain: ChainFixture;
let anvil: AnvilHandle;
let dep: Deployment;
let bal: ReturnType<typeof startCli> | null = null;
let client: MqttClient | null = null;
const v = new OpenApiValidator();

async function getJson(base: string, path: string, route: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { headers: { 'x-api-key': api.secret } });
  const body = await res.json();
  v.check(route, res.status, body);
  return { status: res.status, body };
}

test.before(async () => {
  chain = await startChain();
  ({ anvil, deployment: dep } = chain);
  await registerPod(chain, POD, device.address);
  writeDeployment(join(dir, 'deployment.json'), dep);
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, accounts: [
    { username: POD, role: 'device', passwordHash: await hashPassword('device-pw') },
    { username: OTHER, role: 'device', passwordHash: await hashPassword('other-pw') },
  ] }));
  writeFileSync(join(dir, 'bal.json'), JSON.stringify({
    chain: { deploymentPath: 'deployment.json' },
    broker: { kind: 'embedded', port: 0, credentialsPath: 'credentials.json' },
    store: { kind: 'sqlite', path: 'data/bal.db' },
    anchoring: { windowMs: 200, pollIntervalMs: 100, confirmations: 1 },
    ingest: { verifyThreads: 1 },
    registry: { pollIntervalMs: 200 },
    api: { port: 0, clients: [{ name: 'dso', role: 'dso', apiKeyHash: api.hash }] },
    log: { level: 'warn' },
  }));
});

test.after(async () => {
  await client?.endAsync(true).catch(() => {});
  if (bal && bal.child.exitCode === null) { bal.child.kill('SIGKILL'); await bal.exited; }
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('bal run: ack, API, anchor, on-chain receipt, clean SIGTERM, data kept across restart', async () => {
  bal = startCli(['run', '--config', join(dir, 'bal.json')], { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0] });
  const started = await bal.waitEvent('started', 90_000);
  const ep = started.endpoints as { api: string; mqtt: string; broker: string };
  assert.is(ep.broker, 'embedded');
  assert.match(ep.api, /^http:\/\/127\.0\.0\.1:\d+$/);

  let refused = false;
  try { await mqtt.connectAsync(ep.mqtt, { username: POD, password: 'wrong', reconnectPeriod: 0 }); } catch { refused = true; }
  assert.ok(refused, 'wrong device password refused');

  client = await mqtt.connectAsync(ep.mqtt, { username: POD, password: 'device-pw', reconnectPeriod: 0, clientId: POD });
  const acks: any[] = [];
  client.on('message', (topic, payload) => { if (topic === `ln/v1/${POD}/ack`) acks.push(JSON.parse(payload.toString())); });
  await client.subscribeAsync(`ln/v1/${POD}/ack`, { qos: 1 });
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const now = Date.now();
  const readings = [1, 2, 3].map((seq) => signReading(domain, { pod: POD, meter: 'main', seq, timestamp: now + seq, source: 'modbus',
    values: [{ quantity: '1-0:1.8.0', value: 5000 + seq, scale: 0, unit: 'Wh' }] }, hexToBytes(device.privateKey)));
  await client.publishAsync(`ln/v1/${POD}/readings`, JSON.stringify({ v: 1, readings }), { qos: 1 });
  await client.publishAsync(`ln/v1/${POD}/status`, JSON.stringify({ v: 1, pod: POD, device: device.address.toLowerCase(), state: 'online', ts: now, lastSeq: 3, spoolDepth: 0, quarantined: 0, agentVersion: 'test' }), { qos: 1, retain: true });
  for (let i = 0; acks.length === 0 && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(acks[0], { v: 1, stored: [1, 2, 3], duplicate: [], rejected: [] });

  const list = await getJson(ep.api, `/api/readings?pod=${POD}`, '/api/readings');
  assert.equal(list.body.items.map((r: { seq: number }) => r.seq), [1, 2, 3]);
  const id = list.body.items[1].id as number;
  let receipt: { status: number; body: any } = { status: 0, body: null };
  for (let i = 0; i < 300; i++) {
    receipt = await getJson(ep.api, `/api/readings/${id}/receipt`, '/api/readings/{id}/receipt');
    if (receipt.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(receipt.status, 200, 'the reading gets anchored');
  const rc = receipt.body;
  assert.is(rc.signer, device.address.toLowerCase());
  assert.ok(SimpleMerkleTree.verify(rc.anchor.root, rc.digest, rc.proof));
  verifyReceiptOffline(validateReceipt(rc)); // the shared verifier: digest, signer, Merkle path (throws on any mismatch)
  assert.throws(() => verifyReceiptOffline(validateReceipt({ ...rc, reading: { ...rc.reading, seq: rc.reading.seq + 1 } })), /PROTO_RECEIPT_DIGEST_MISMATCH|digest/);
  const anchor = readingAnchorAt(dep.readingAnchor, jsonRpcProvider(anvil.rpcUrl, anvil.chainId));
  const [ok, reason] = await anchor.getFunction('verifyReading').staticCall(rc.reading, rc.reading.signature, rc.anchor.index, rc.proof);
  assert.is(ok, true, `on-chain verifyReading reason ${reason}`);
  const cert = await getJson(ep.api, `/api/certification/getByTransaction?transaction=${rc.anchor.transaction}`, '/api/certification/getByTransaction');
  assert.equal(cert.body.readings.map((r: { seq: number }) => r.seq).sort(), [1, 2, 3]);
  const node = await getJson(ep.api, `/api/nodes/${POD}`, '/api/nodes/{pod}');
  assert.is(node.body.state, 'online');
  assert.is(node.body.readings, 3);
  const health = await fetch(`${ep.api}/healthz`);
  const hb = await health.json() as { instance: { id: string } };
  // `instance`: this instance (default id <hostname>-<pid>), its roles and its anchor leadership (the only candidate leads).
  assert.equal(hb, { status: 'ok', checks: { store: 'ok', mqtt: 'ok', chain: 'ok' }, instance: { id: hb.instance.id, roles: ['ingest', 'api', 'anchor'], anchor: { role: 'leader', epoch: 1 } } });
  assert.match(hb.instance.id, /-\d+$/);
  const metrics = await (await fetch(`${ep.api}/metrics`)).text();
  assert.match(metrics, /bal_store_readings\{instance_id="[^"]+",roles="ingest,api,anchor"\} \d+/);

  // SIGHUP: a device added to the credentials file can connect without a restart
  const NEW = 'IT001E00000044';
  let early = false;
  try { await (await mqtt.connectAsync(ep.mqtt, { username: NEW, password: 'new-pw', reconnectPeriod: 0, clientId: NEW })).endAsync(true); early = true; } catch { /* not yet */ }
  assert.not.ok(early);
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, accounts: [
    { username: POD, role: 'device', passwordHash: await hashPassword('device-pw') },
    { username: NEW, role: 'device', passwordHash: await hashPassword('new-pw') },
  ] }));
  bal.child.kill('SIGHUP');
  const reloaded = await bal.waitEvent('credentials-reloaded', 10_000);
  assert.is(reloaded.accounts, 2);
  const fresh = await mqtt.connectAsync(ep.mqtt, { username: NEW, password: 'new-pw', reconnectPeriod: 0, clientId: NEW });
  await fresh.endAsync(true);

  await client.endAsync(true);
  client = null;
  bal.child.kill('SIGTERM');
  assert.is(await bal.exited, 0, `clean exit; stderr:\n${bal.stderr().slice(-2000)}`);
  assert.ok(bal.events.some((e) => e.event === 'stopped'));

  bal = startCli(['run', '--config', join(dir, 'bal.json')], { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0] });
  const again = (await bal.waitEvent('started', 90_000)).endpoints as { api: string };
  const kept = await getJson(again.api, `/api/readings/${id}`, '/api/readings/{id}');
  assert.is(kept.body.status, 'confirmed');
  bal.child.kill('SIGINT');
  assert.is(await bal.exited, 0);
});

test.run();
