// A reading in flight to an ingest instance that dies (issue 16, Mosquitto `$share`): the
// device (the edge's own spool + uplink, in this process) resends it after its ack timeout, the
// surviving instance of the group takes the resend, and the reading is stored exactly once.
//  1. The instance received the message and died before committing it (it never sent the
//     PUBACK): Mosquitto does not hand an unacked QoS 1 message of a clean member that is gone
//     to another member (mosquitto #2662), so only the device's resend brings it in.
//  2. The instance committed it and died before its ack left: the resend reaches the other
//     instance, and the store's uniqueness on (device, seq) makes it a duplicate, acked as such —
//     one row, and the device's spool is emptied.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { ScaleOutRig, until } from './rig.js';
import { mosquittoShared } from './mosquitto-transport.js';
import type { SimDevices } from '@lightnode/test-kit/sim-devices';
import { makeDomain } from '@lightnode/shared/eip712';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { READINGS_FILTER, mqttReadingsSource } from '../../src/ingest/source.js';
import { startIngest } from '../../src/ingest/ingest.js';
import { startRegistryMirror } from '../../src/registry/mirror.js';
import { createVerifyPool } from '../../src/verify/pool.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { PG_URL } from './rig.js';

const ACK_TIMEOUT_S = 2;
let rig: ScaleOutRig;
let sim: SimDevices;
const closers: (() => Promise<unknown>)[] = [];

test.before(async () => {
  rig = await ScaleOutRig.start({ transport: mosquittoShared(), devices: 2 });
  // Readings only when the test says so.
  sim = rig.startDevices({ intervalMs: 0, ackTimeoutSec: ACK_TIMEOUT_S, inProcess: true });
  await until('the devices connected', async () => (await sim.stats()).devices.every((d) => d.connected), 30_000);
});
test.after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await rig?.stop();
});

/** A member of the `ingest` group as the BAL account, a clean MQTT 5 session like a BAL instance's. */
async function member(id: string): Promise<MqttClient> {
  const b = rig.broker.balConfig(id);
  const c = await mqtt.connectAsync(b.broker.url as string, { username: 'bal', password: b.env.BAL_BROKER_PASSWORD, clientId: `bal@${id}`, clean: true, protocolVersion: 5, reconnectPeriod: 0 });
  closers.push(() => c.endAsync(true));
  return c;
}

const storedRows = async (address: string): Promise<number> => (await rig.storedByDevice()).get(address)?.rows ?? 0;

test('received, not committed, instance dies: the device resends after its ack timeout; stored once', async () => {
  const dev = rig.devices[0]!;
  // The dying instance: takes readings from the group and never settles them (no PUBACK).
  const dying = await member('dying-1');
  const got: string[] = [];
  dying.handleMessage = (packet, _cb) => { got.push(packet.topic); };
  await dying.subscribeAsync(`$share/ingest/${READINGS_FILTER}`, { qos: 1 });
  await sim.produceNow([dev.pod]);
  await until('the dying instance has the reading', () => got.includes(`ln/v1/${dev.pod}/readings`), 10_000, 20);

  const survivor = await rig.startInProcess('ing-survivor-1', ['ingest']);
  const resends0 = (await sim.stats()).resends;
  dying.stream.destroy(); // dies: no PUBACK, no DISCONNECT
  const diedAt = Date.now();
  await until('the reading stored', async () => (await storedRows(dev.address)) === 1, 30_000, 50);
  const tookMs = Date.now() - diedAt;
  await until('the device got its ack', async () => (await sim.stats()).devices.find((d) => d.pod === dev.pod)!.depth === 0, 15_000, 50);
  const resends = (await sim.stats()).resends - resends0;
  process.stdout.write(`lost in flight: stored ${tookMs} ms after the instance died (ack timeout ${ACK_TIMEOUT_S} s), device resends ${resends}\n`);
  assert.ok(resends >= 1, 'the device resent');
  assert.is(await storedRows(dev.address), 1, 'stored exactly once');
  assert.is(await rig.metric('ing-survivor-1', 'bal_ingest_readings_total', 'outcome="stored"'), 1, 'by the surviving instance');
  assert.is(await rig.metric('ing-survivor-1', 'bal_ingest_readings_total', 'outcome="duplicate"'), 0,
    'only the resend reached it: Mosquitto did not hand the unacked message of the dead member on (mosquitto #2662)');
  await survivor.stop();
  rig.inProcess.delete('ing-survivor-1');
});

test('committed, ack lost, instance dies: the resend is a duplicate at the other instance; one row', async () => {
  const dev = rig.devices[1]!;
  // The dying instance: the real ingest, whose acks never leave (it dies right after its commit).
  const conn = await member('dying-2');
  const realPublish = conn.publish.bind(conn);
  const swallowed: string[] = [];
  conn.publish = ((topic: string, message: string | Buffer, opts?: unknown, cb?: (err?: Error) => void) => {
    if (topic.endsWith('/ack')) { swallowed.push(topic); (typeof opts === 'function' ? opts : cb)?.(); return conn; }
    return realPublish(topic, message, opts as never, cb);
  }) as MqttClient['publish'];
  const store = await openPostgresStore({ url: PG_URL, schema: rig.schema, poolSize: 1 });
  closers.push(() => store.close());
  const provider = jsonRpcProvider(rig.chain.anvil.rpcUrl, rig.chain.anvil.chainId);
  closers.push(async () => provider.destroy());
  const metrics = new MetricsRegistry();
  const mirror = await startRegistryMirror({ provider, podRegistry: rig.chain.deployment.podRegistry, fromBlock: rig.chain.deployment.deployBlock, log: silentLogger, metrics });
  closers.push(() => mirror.stop());
  const pool = await createVerifyPool({ domain: makeDomain(rig.chain.deployment.chainId, rig.chain.deployment.podRegistry), threads: 0 });
  closers.push(() => pool.close());
  const dying = await startIngest({ mqtt: conn, source: mqttReadingsSource(conn, { shareGroup: 'ingest' }), store, mirror, pool, metrics, log: silentLogger });

  await sim.produceNow([dev.pod]);
  await until('stored by the dying instance', async () => (await storedRows(dev.address)) === 1, 15_000, 20);
  await until('its ack swallowed', () => swallowed.length === 1, 5000, 20);

  const survivor = await rig.startInProcess('ing-survivor-2', ['ingest']);
  const resends0 = (await sim.stats()).resends;
  conn.stream.destroy(); // dies before its ack left
  await dying.stop().catch(() => {});
  await until('the device got its ack (for the duplicate)', async () => (await sim.stats()).devices.find((d) => d.pod === dev.pod)!.depth === 0, 30_000, 50);
  const resends = (await sim.stats()).resends - resends0;
  const dup = await rig.metric('ing-survivor-2', 'bal_ingest_readings_total', 'outcome="duplicate"');
  process.stdout.write(`ack lost: device resends ${resends}; surviving instance answered ${dup} duplicate(s)\n`);
  assert.ok(resends >= 1, 'the device resent');
  assert.is(dup, 1, 'the resend was a duplicate at the surviving instance');
  assert.is(await rig.metric('ing-survivor-2', 'bal_ingest_readings_total', 'outcome="stored"'), 0, 'not a second row');
  assert.is(await storedRows(dev.address), 1, 'one row');
});

test.run();
