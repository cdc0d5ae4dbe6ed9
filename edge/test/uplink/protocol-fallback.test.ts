/**
 * MQTT protocol negotiation: an agent configured for MQTT 5 (the default) talking to a 3.1.1-only
 * broker (aedes, the BAL's embedded broker) falls back to 3.1.1 once, counts and logs it, and
 * delivers; Mosquitto (speaks 5) keeps MQTT 5.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Uplink } from '../../src/uplink/uplink.js';
import { createLogger } from '../../src/ops/logger.js';
import { draft } from '../helpers/drafts.js';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { randomPod, startBrokerWithBal, startFakeBal, waitFor } from '../helpers/broker.js';
import { mqttConfig, signedSpool } from '../helpers/setup.js';

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', write: (l) => lines.push(l) }) };
}

test('MQTT 5 configured, aedes refuses it: falls back to 3.1.1 once, readings delivered and acked, stays on 3.1.1 across reconnects', async () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  let broker: TestBroker = await startAedes();
  cleanups.push(() => broker.close());
  const bal = await startFakeBal(broker.url, pod, s.domain, s.key.address, { protocolVersion: 4 });
  cleanups.push(() => bal.close());
  const log = capture();
  const uplink = new Uplink({ config: mqttConfig(broker.url, { protocolVersion: 5 }), pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics, logger: log.logger });
  cleanups.push(() => uplink.stop());
  assert.is(uplink.protocolVersion, 5);
  s.spool.appendMany(Array.from({ length: 60 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
  uplink.start();
  await waitFor(() => s.spool.status().depth === 0, 10_000, 'drain after the fallback');
  assert.equal(bal.firstArrival, Array.from({ length: 60 }, (_, i) => i), 'every reading delivered once, in order');
  assert.is(bal.badSignatures, 0);
  assert.is(s.spool.status().lastAckSeq, 59);
  assert.is(uplink.protocolVersion, 4);
  assert.is(s.metrics.value('uplink_protocol_fallbacks_total'), 1);
  assert.is(s.metrics.value('uplink_errors_total', { code: 'MQTT_1' }) + s.metrics.value('uplink_errors_total', { code: 'MQTT_132' }), 1, 'the refusal counted as an error once');

  // broker restarts on the same port: the uplink reconnects with 3.1.1 straight away (no second refusal)
  const port = broker.port;
  await broker.close();
  await waitFor(() => !uplink.connected, 5000, 'disconnect');
  broker = await startAedes(port);
  const bal2 = await startFakeBal(broker.url, pod, s.domain, s.key.address, { protocolVersion: 4 });
  cleanups.push(() => bal2.close());
  s.spool.appendMany(Array.from({ length: 10 }, (_, i) => draft('m1', 1_700_000_001_000 + i)));
  uplink.notify();
  await waitFor(() => s.spool.status().depth === 0, 10_000, 'drain after the broker restart');
  assert.is(s.spool.status().lastAckSeq, 69);
  assert.is(s.metrics.value('uplink_protocol_fallbacks_total'), 1);
  assert.is(log.lines.filter((l) => l.includes('falling back to MQTT 3.1.1')).length, 1, 'logged once');
  assert.ok(log.lines.some((l) => l.includes('"mqtt connected"') && l.includes('"protocolVersion":4')));
});

test('MQTT 5 configured, Mosquitto at 127.0.0.1:1883: stays on MQTT 5', async () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const url = 'mqtt://127.0.0.1:1883';
  const bal = await startFakeBal(url, pod, s.domain, s.key.address, { protocolVersion: 5 });
  cleanups.push(() => bal.close());
  const log = capture();
  const uplink = new Uplink({ config: mqttConfig(url, { protocolVersion: 5 }), pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics, logger: log.logger });
  cleanups.push(() => uplink.stop());
  s.spool.appendMany(Array.from({ length: 20 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
  uplink.start();
  await waitFor(() => s.spool.status().depth === 0, 10_000, 'drain via Mosquitto');
  assert.is(bal.firstArrival.length, 20);
  assert.is(uplink.protocolVersion, 5);
  assert.is(s.metrics.value('uplink_protocol_fallbacks_total'), 0);
  assert.ok(log.lines.some((l) => l.includes('"mqtt connected"') && l.includes('"protocolVersion":5')));
});

test('MQTT 3.1.1 configured: never touches the fallback', async () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const { broker, bal } = await startBrokerWithBal(pod, s.domain, s.key.address, cleanups);
  const uplink = new Uplink({ config: mqttConfig(broker.url, { protocolVersion: 4 }), pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics });
  cleanups.push(() => uplink.stop());
  s.spool.appendMany(Array.from({ length: 5 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
  uplink.start();
  await waitFor(() => s.spool.status().depth === 0, 10_000, 'drain');
  assert.is(uplink.protocolVersion, 4);
  assert.is(s.metrics.value('uplink_protocol_fallbacks_total'), 0);
});

test.run();
