// The uplink over the in-memory spool port and a fake clock (timers: status interval, ack
// timeout), against a real broker: acks drain the spool, a lost ack is resent after the
// timeout, the status message is the shared codec's bytes; a refused ack subscription makes a
// new session (else nothing would ever be acked).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { makeDomain } from '@lightnode/shared/eip712';
import { topicFor } from '@lightnode/shared/topics';
import { parseStatus, serializeStatus } from '@lightnode/shared/messages';
import { Uplink } from '../../src/uplink/uplink.js';
import { MemorySpool } from '../../src/spool/memory-spool.js';
import { FakeClock } from '../../src/scheduler/clock.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { readingSigner } from '../../src/identity/reading-signer.js';
import { Metrics } from '../../src/ops/metrics.js';
import { draft } from '../helpers/drafts.js';
import { startAedes } from '@lightnode/test-kit/aedes-broker';
import { randomPod, startBrokerWithBal, waitFor } from '../helpers/broker.js';
import { TEST_REGISTRY, mqttConfig } from '../helpers/setup.js';

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function memorySpool(pod: string) {
  const key = DeviceKey.generate();
  const domain = makeDomain(31337, TEST_REGISTRY);
  return { key, domain, spool: new MemorySpool({ pod, sign: readingSigner(domain, key) }) };
}

test('drains the in-memory spool in order; a withheld ack is resent after ackTimeoutMs on the fake clock', async () => {
  const pod = randomPod();
  const { key, domain, spool } = memorySpool(pod);
  const { broker, bal } = await startBrokerWithBal(pod, domain, key.address, cleanups);
  const clock = new FakeClock(Date.now());
  const metrics = new Metrics();
  const uplink = new Uplink({ config: mqttConfig(broker.url, { batchSize: 10, inFlightBatches: 2, ackTimeoutMs: 10_000 }), pod, device: key.address, agentVersion: 't', spool, metrics, clock });
  cleanups.push(() => uplink.stop());
  spool.appendMany(Array.from({ length: 35 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
  uplink.start();
  await waitFor(() => spool.status().depth === 0, 5000, 'drain');
  assert.equal(bal.firstArrival, Array.from({ length: 35 }, (_, i) => i));
  assert.is(metrics.value('uplink_batches_published_total'), 4, '10 + 10 + 10 + 5');

  bal.acking = false; // the BAL stores but its acks get lost
  spool.appendMany([draft(), draft()]);
  uplink.notify();
  await waitFor(() => bal.received.length === 37, 5000, 'sent once');
  await clock.advance(5000);
  assert.is(bal.received.length, 37, 'no resend before the timeout');
  bal.acking = true;
  await clock.advance(7500); // ack check every 2.5 s: the batch is overdue at 10 s
  await waitFor(() => spool.status().depth === 0, 5000, 'resent and acked');
  assert.is(bal.received.length, 39, 'the two readings sent again');
  assert.is(metrics.value('uplink_resends_total', { reason: 'ack_timeout' }), 1);
  assert.equal(bal.firstArrival.length, 37, 'the BAL saw the resend as duplicates');
});

test('a refused ack subscription: the session is made again until it subscribes, then the spool drains', async () => {
  const pod = randomPod();
  const { key, domain, spool } = memorySpool(pod);
  const { broker, bal } = await startBrokerWithBal(pod, domain, key.address, cleanups);
  // The broker refuses the device's first two ack subscriptions (SUBACK 0x80), as NATS's MQTT
  // listener does when it cannot create the subscription's JetStream consumer in time.
  let refused = 0;
  const allow = broker.aedes.authorizeSubscribe;
  broker.aedes.authorizeSubscribe = (client, sub, cb) => {
    if (sub.topic === topicFor(pod, 'ack') && refused < 2) { refused++; cb(null, null); return; }
    allow(client, sub, cb);
  };
  const metrics = new Metrics();
  const uplink = new Uplink({ config: mqttConfig(broker.url), pod, device: key.address, agentVersion: 't', spool, metrics });
  cleanups.push(() => uplink.stop());
  spool.appendMany(Array.from({ length: 5 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
  uplink.start();
  await waitFor(() => spool.status().depth === 0, 10_000, 'acked after the subscription went through');
  assert.is(refused, 2);
  assert.is(metrics.value('uplink_subscribe_failures_total'), 2, 'each refusal counted');
  assert.ok(bal.received.length >= 5);
});

test('mqtt.lingerMs: sparse readings wait on the fake clock and share one message; a full batch goes at once', async () => {
  const pod = randomPod();
  const { key, domain, spool } = memorySpool(pod);
  const { broker, bal } = await startBrokerWithBal(pod, domain, key.address, cleanups);
  const clock = new FakeClock(Date.now());
  const metrics = new Metrics();
  const uplink = new Uplink({ config: mqttConfig(broker.url, { batchSize: 5, lingerMs: 2000 }), pod, device: key.address, agentVersion: 't', spool, metrics, clock });
  cleanups.push(() => uplink.stop());
  uplink.start();
  await waitFor(() => uplink.connected, 5000, 'connect');
  const batches0 = metrics.value('uplink_batches_published_total');
  for (let i = 0; i < 3; i++) { spool.appendMany([draft('m1', 1_700_000_000_000 + i)]); uplink.notify(); await clock.advance(500); }
  assert.is(bal.received.length, 0, 'nothing published inside the linger window');
  assert.is(spool.status().depth, 3);
  await clock.advance(600); // 2,100 ms after the first reading
  await waitFor(() => bal.received.length === 3, 5000, 'the window published');
  assert.is(metrics.value('uplink_batches_published_total') - batches0, 1, 'three sparse readings, one message');
  await waitFor(() => spool.status().depth === 0, 5000, 'acked');
  // Five readings at once fill a batch: published without waiting for the clock.
  spool.appendMany(Array.from({ length: 5 }, (_, i) => draft('m1', 1_700_000_001_000 + i)));
  uplink.notify();
  await waitFor(() => bal.received.length === 8, 5000, 'full batch at once');
  assert.is(metrics.value('uplink_batches_published_total') - batches0, 2);
});

test('status: the retained online message is the shared serializer\'s bytes; republished on the fake clock', async () => {
  const pod = randomPod();
  const { key, spool } = memorySpool(pod);
  const broker = await startAedes();
  cleanups.push(() => broker.close());
  const clock = new FakeClock(1_763_780_400_000);
  const uplink = new Uplink({ config: mqttConfig(broker.url, { statusIntervalMs: 60_000 }), pod, device: key.address, agentVersion: '1.2.3', spool, clock });
  uplink.start();
  await waitFor(() => uplink.connected, 5000, 'connect');
  const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => watcher.endAsync(true));
  const seen: string[] = [];
  watcher.on('message', (_t, p) => { if (p.length) seen.push(p.toString()); });
  await watcher.subscribeAsync(topicFor(pod, 'status'), { qos: 1 });
  await waitFor(() => seen.length >= 1, 3000, 'retained status');
  const expected = { v: 1 as const, pod, device: key.address, state: 'online' as const, ts: 1_763_780_400_000, lastSeq: null, spoolDepth: 0, quarantined: 0, agentVersion: '1.2.3' };
  assert.is(seen[0], serializeStatus(expected));
  assert.is(seen[0], JSON.stringify(expected), 'the same bytes the edge wrote by hand before');
  spool.appendMany([draft()]);
  await clock.advance(60_000);
  await waitFor(() => seen.length >= 2, 3000, 'periodic status');
  assert.is(parseStatus(seen[1]!).ts, 1_763_780_460_000);
  await uplink.stop();
  await waitFor(() => seen.some((s) => parseStatus(s).state === 'offline'), 3000, 'offline on stop');
});

test('a clock before 2001 (status ts refused by the codec): connects without a will, still drains, no crash on the status timer', async () => {
  const pod = randomPod();
  const { key, domain, spool } = memorySpool(pod);
  const { broker, bal } = await startBrokerWithBal(pod, domain, key.address, cleanups);
  const clock = new FakeClock(0);
  const uplink = new Uplink({ config: mqttConfig(broker.url), pod, device: key.address, agentVersion: 't', spool, clock });
  cleanups.push(() => uplink.stop());
  spool.appendMany([draft(), draft()]);
  uplink.start();
  await waitFor(() => spool.status().depth === 0, 5000, 'drain');
  await clock.advance(120_000); // two status ticks
  assert.ok(uplink.connected);
});

test('publish when not connected rejects with EDGE_MQTT_NOT_CONNECTED', async () => {
  const pod = randomPod();
  const { key, spool } = memorySpool(pod);
  const uplink = new Uplink({ config: mqttConfig('mqtt://127.0.0.1:1'), pod, device: key.address, agentVersion: 't', spool, clock: new FakeClock() });
  try {
    await uplink.publish('activations', '{}');
    assert.unreachable('published');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'EDGE_MQTT_NOT_CONNECTED');
  }
  await uplink.stop();
});

test.run();
