/**
 * The demo's flow against the production broker: a private Mosquitto 2 on a free port, configured
 * with the BAL's `writeMosquittoConfig` (password file + per-device ACL), the BAL in external-broker
 * mode, the agents on MQTT 5. The full flow still completes (anchored readings, verified receipts,
 * setpoint applied, activation stored), and the ACL holds: a device can neither publish on nor
 * read another PoD's topics, and a wrong password is refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { topicFor } from '@lightnode/shared/topics';
import { startDemo, type Demo } from '@lightnode/scripts/demo';
import { stagedRun } from './stages.js';
import { DEMO_PODS } from '@lightnode/scripts/demo/nodes';
import { hasMosquitto } from '@lightnode/scripts/demo/broker';

const dir = mkdtempSync(join(tmpdir(), 'e2e-mosq-'));
const run = stagedRun(dir);
let demo: Demo | null = null;
const clients: MqttClient[] = [];

test.before(async () => {
  if (!hasMosquitto()) throw new Error('mosquitto is not on PATH (this test needs the production broker binary)');
  demo = await run.track(() => startDemo({ dataDir: dir, broker: 'mosquitto', acceleration: 60, anchorWindowMs: 1000, pollIntervalMs: 500 }));
});

test.after(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  await demo?.stop();
  run.cleanUp(); // the data folder is kept when a stage failed
});

async function connect(username: string, password: string, id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(demo!.endpoints.mqtt, { username, password, clientId: id, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000 });
  clients.push(c);
  return c;
}

run.stage('the BAL runs against its own Mosquitto with the generated per-device ACL', () => {
  const d = demo!;
  assert.is(d.bal.endpoints.broker, 'external');
  assert.is(d.endpoints.mqtt, d.mosquitto!.url);
  assert.not.match(d.endpoints.mqtt, /:1883$/, 'never the system broker');
  const acl = readFileSync(join(dir, 'mosquitto', 'acl'), 'utf8');
  assert.match(acl, /pattern write ln\/v1\/%u\/readings/);
});

run.stage('full flow through Mosquitto: anchored readings, verified receipt, setpoint applied, activation stored, certified readings to the consumer', async () => {
  const d = demo!;
  for (const m of ['signed', 'stored', 'acked', 'anchored', 'receipt-verified', 'setpoint-applied', 'activation-stored', 'certified-delivered'] as const) await d.waitFor(m, 45_000);
  assert.ok(d.sharing.received() > 0, 'the consumer received certified readings through Mosquitto');
  for (const n of d.nodes) {
    const page = await d.bal.store.listReadings({ pod: n.pod, limit: 1 });
    assert.is(page.items.length, 1, `${n.pod} has stored readings`);
  }
  assert.is(d.progress().receiptsFailed, 0);
  assert.is(d.progress().quarantined, 0);
});

run.stage('a device cannot publish on another PoD\'s topic, nor read its acks', async () => {
  const d = demo!;
  const a = d.nodes.find((n) => n.pod === DEMO_PODS.home)!;
  const b = d.nodes.find((n) => n.pod === DEMO_PODS.sme)!;
  const seen: { topic: string; payload: string }[] = [];
  const observer = await connect(d.logins.operator.username, d.logins.operator.password, `${d.logins.operator.username}@acl-observer`);
  observer.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
  await observer.subscribeAsync('ln/v1/#', { qos: 1 });

  // A device has one connection (its client id is its username): the intruder replaces A's agent.
  await d.agents.find((x) => x.pod === a.pod)!.agent.stop();
  const intruder = await connect(a.mqtt.username, a.mqtt.password, a.mqtt.username);
  const intruderGot: string[] = [];
  intruder.on('message', (topic) => intruderGot.push(topic));
  await intruder.subscribeAsync(topicFor(b.pod, 'ack'), { qos: 1 }).catch(() => undefined);

  const marker = `acl-probe-${Date.now().toString(36)}`;
  const probe = (pod: string): string => JSON.stringify({ v: 1, setpointId: `${marker}-${pod}`, status: 'refused', code: 'ACL_PROBE' });
  // Own topic: allowed (the control that proves the observer sees what gets through).
  await intruder.publishAsync(topicFor(a.pod, 'activations'), probe(a.pod), { qos: 1 });
  // Another PoD's topics: refused by the broker (MQTT 5 PUBACK "not authorized", or silently dropped).
  for (const kind of ['activations', 'readings', 'status'] as const) {
    await intruder.publishAsync(topicFor(b.pod, kind), probe(b.pod), { qos: 1 }).catch(() => undefined);
  }
  const end = Date.now() + 10_000;
  while (!seen.some((m) => m.payload.includes(`${marker}-${a.pod}`)) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1000)); // give forged messages time to (not) arrive
  assert.ok(seen.some((m) => m.topic === topicFor(a.pod, 'activations') && m.payload.includes(marker)), 'the device\'s publish on its own topic arrives');
  assert.equal(seen.filter((m) => m.payload.includes(`${marker}-${b.pod}`)), [], 'nothing published on another PoD\'s topics arrives');
  assert.ok(seen.some((m) => m.topic === topicFor(b.pod, 'ack')), 'the other PoD\'s acks flow meanwhile');
  assert.equal(intruderGot, [], 'the device reads none of the other PoD\'s acks');

  let refused = false;
  try { await connect(a.mqtt.username, 'wrong-password', a.mqtt.username); } catch { refused = true; }
  assert.ok(refused, 'wrong password refused');
});

test.run();
