import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { topicFor } from '@lightnode/shared/topics';
import { parseStatus, type Status } from '@lightnode/shared/messages';
import { Uplink } from '../../src/uplink/uplink.js';
import { draft } from '../helpers/drafts.js';
import { freePort } from '@lightnode/test-kit/free-port';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { randomPod, startBrokerWithBal, startFakeBal, waitFor } from '../helpers/broker.js';
import { mqttConfig, signedSpool } from '../helpers/setup.js';

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

test('broker down for a while: nothing lost, first arrivals in seq order, nothing deleted before its ack', async () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const port = await freePort();
  const uplink = new Uplink({ config: mqttConfig(`mqtt://127.0.0.1:${port}`), pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics });
  cleanups.push(() => uplink.stop());
  uplink.start();
  // broker is down: spool 300 readings while the uplink retries
  for (let i = 0; i < 300; i++) { s.spool.append(draft('m1', 1_700_000_000_000 + i, i)); uplink.notify(); }
  await new Promise((r) => setTimeout(r, 500));
  assert.is(uplink.connected, false);
  assert.is(s.spool.status().depth, 300);
  let broker: TestBroker = await startAedes(port);
  cleanups.push(() => broker.close());
  const bal = await startFakeBal(broker.url, pod, s.domain, s.key.address);
  cleanups.push(() => bal.close());
  bal.acking = false; // receive everything, ack nothing yet
  await waitFor(() => uplink.connected, 5000, 'reconnect');
  await waitFor(() => bal.stored.size >= 200, 10_000, 'the in-flight window to arrive');
  assert.is(s.spool.status().depth, 300, 'nothing deleted before an ack');
  bal.acking = true;
  await bal.flushAcks();
  await waitFor(() => s.spool.status().depth === 0, 10_000, 'backlog drained');
  assert.equal(bal.firstArrival, Array.from({ length: 300 }, (_, i) => i), 'drained oldest first, every seq once');
  assert.is(bal.badSignatures, 0);

  // an outage in the middle of a stream: broker killed, readings keep coming, broker back
  await broker.close();
  await waitFor(() => !uplink.connected, 5000, 'disconnect');
  for (let i = 300; i < 500; i++) { s.spool.append(draft('m1', 1_700_000_000_000 + i, i)); uplink.notify(); }
  broker = await startAedes(port);
  cleanups.push(() => broker.close());
  const bal2 = await startFakeBal(broker.url, pod, s.domain, s.key.address);
  cleanups.push(() => bal2.close());
  await waitFor(() => s.spool.status().depth === 0, 15_000, 'second backlog drained');
  assert.equal(bal2.firstArrival, Array.from({ length: 200 }, (_, i) => 300 + i));
  assert.is(s.spool.status().lastAckSeq, 499);
  assert.ok(s.metrics.value('uplink_connects_total') >= 2);
});

test('rejected readings go to quarantine with their code; duplicates are deleted', async () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const { broker, bal } = await startBrokerWithBal(pod, s.domain, s.key.address, cleanups);
  bal.rejectSeqs.set(3, 'BAL_POD_UNKNOWN');
  bal.stored.add(5); // the BAL already has seq 5 → duplicate
  const uplink = new Uplink({ config: mqttConfig(broker.url), pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics });
  cleanups.push(() => uplink.stop());
  s.spool.appendMany(Array.from({ length: 10 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
  uplink.start();
  await waitFor(() => s.spool.status().depth === 0, 5000, 'drain');
  const q = [...s.spool.quarantined()];
  assert.equal(q.map((r) => [r.seq, r.code]), [[3, 'BAL_POD_UNKNOWN']]);
  assert.is(s.metrics.value('spool_acked_total', { outcome: 'duplicate' }), 1);
});

test('cumulative (v 2) acks: only covered seqs leave the spool; a reconnect inside the window resends; one ack then settles all', async () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const broker = await startAedes();
  cleanups.push(() => broker.close());
  const bal = await startFakeBal(broker.url, pod, s.domain, s.key.address, { ackVersion: 2 });
  cleanups.push(() => bal.close());
  bal.acking = false; // the BAL's ack window is open: verdicts wait
  bal.rejectSeqs.set(7, 'BAL_TIMESTAMP_FUTURE');
  const uplink = new Uplink({ config: mqttConfig(broker.url, { batchSize: 1, inFlightBatches: 64 }), pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics });
  cleanups.push(() => uplink.stop());
  s.spool.appendMany(Array.from({ length: 10 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
  uplink.start();
  await waitFor(() => bal.received.length === 10, 5000, 'ten one-reading messages');
  assert.is(s.spool.status().depth, 10, 'nothing deleted before an ack');

  // A partial cumulative ack (the BAL settled 0..2 and 4 so far; 3 is still in flight there): only those go.
  const other = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => other.endAsync(true));
  await other.publishAsync(topicFor(pod, 'ack'), JSON.stringify({ v: 2, settled: [[0, 2], [4, 4]], rejected: [] }), { qos: 1 });
  await waitFor(() => s.spool.status().depth === 6, 5000, 'the covered seqs deleted');
  assert.equal(s.spool.pending(-1, 100).map((r) => r.seq), [3, 5, 6, 7, 8, 9], 'the gap (3) and the rest stay spooled');

  // The link drops before the window's ack: the uplink resends what is still spooled.
  const received = bal.received.length;
  uplink.dropConnection();
  await waitFor(() => bal.received.length >= received + 6, 10_000, 'resend after reconnect');
  assert.is(s.spool.status().depth, 6);
  bal.acking = true;
  await bal.flushAcks(); // one v 2 ack: settled [[0,6],[8,9]], rejected 7
  await waitFor(() => s.spool.status().depth === 0, 5000, 'all settled');
  assert.equal([...s.spool.quarantined()].map((r) => [r.seq, r.code]), [[7, 'BAL_TIMESTAMP_FUTURE']]);
  assert.equal(bal.firstArrival, [0, 1, 2, 3, 4, 5, 6, 8, 9], 'every good seq stored once');
  assert.is(s.metrics.value('uplink_acks_total', { result: 'invalid' }), 0);
});

test('retained status: online on connect, offline by last will when the link dies, offline on stop', async () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const broker = await startAedes();
  cleanups.push(() => broker.close());
  const uplink = new Uplink({ config: mqttConfig(broker.url, { keepaliveSec: 5 }), pod, device: s.key.address, agentVersion: '9.9.9', spool: s.spool });
  uplink.start();
  await waitFor(() => uplink.connected, 5000, 'connect');
  const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => watcher.endAsync(true));
  const seen: Status[] = [];
  watcher.on('message', (_t, p) => seen.push(parseStatus(p)));
  await watcher.subscribeAsync(topicFor(pod, 'status'), { qos: 1 });
  await waitFor(() => seen.length >= 1, 3000, 'retained status');
  assert.is(seen[0]!.state, 'online');
  assert.is(seen[0]!.device, s.key.address);
  assert.is(seen[0]!.agentVersion, '9.9.9');
  await uplink.stop();
  await waitFor(() => seen.some((x) => x.state === 'offline'), 3000, 'offline on stop');
});

test('last will on Mosquitto (MQTT 5 and 3.1.1): the broker announces offline when the agent vanishes', async () => {
  for (const protocolVersion of [5, 4] as const) {
    const pod = randomPod();
    const s = signedSpool(pod);
    cleanups.push(s.cleanup);
    const url = 'mqtt://127.0.0.1:1883';
    const watcher = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion });
    cleanups.push(() => watcher.endAsync(true));
    const seen: Status[] = [];
    watcher.on('message', (_t, p) => { if (p.length) seen.push(parseStatus(p)); });
    await watcher.subscribeAsync(topicFor(pod, 'status'), { qos: 1 });
    const uplink = new Uplink({ config: mqttConfig(url, { protocolVersion, keepaliveSec: 5 }), pod, device: s.key.address, agentVersion: 't', spool: s.spool });
    uplink.start();
    await waitFor(() => seen.some((x) => x.state === 'online'), 5000, `online (v${protocolVersion})`);
    // drain through Mosquitto too
    const bal = await startFakeBal(url, pod, s.domain, s.key.address, { protocolVersion });
    cleanups.push(() => bal.close());
    s.spool.appendMany(Array.from({ length: 120 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
    uplink.notify();
    await waitFor(() => s.spool.status().depth === 0, 10_000, `drain via Mosquitto v${protocolVersion}`);
    assert.is(bal.firstArrival.length, 120);
    // cut the TCP connection under the client: no DISCONNECT, so the will fires
    uplink.dropConnection();
    await waitFor(() => seen.some((x) => x.state === 'offline'), 5000, `last will (v${protocolVersion})`);
    const offlineAt = seen.findIndex((x) => x.state === 'offline');
    await waitFor(() => seen.slice(offlineAt).some((x) => x.state === 'online'), 5000, 'back online after the cut');
    await uplink.stop();
    // clear the retained message so the broker does not keep test garbage
    await watcher.publishAsync(topicFor(pod, 'status'), '', { qos: 1, retain: true });
  }
});

test.run();
