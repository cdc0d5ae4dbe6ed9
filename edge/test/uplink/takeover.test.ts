/**
 * A session taken over (issue 17, defect 2: two agents on one config took the MQTT session from
 * each other 2.3 times a second). A twin — another client with the uplink's client id that
 * reconnects as a second agent would — on a real broker: Mosquitto 2.0.11 over MQTT 5 and aedes
 * over 3.1.1. Neither broker sends the MQTT 5 reason 0x8E on a takeover (Mosquitto 2.0.11 only
 * logs "already connected, closing old connection": checked), so the uplink sees its
 * connections dropped right after each CONNACK; after three it backs off instead of taking the
 * session back, counts and reports the takeover, and delivers every spooled reading once the
 * twin is gone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Uplink } from '../../src/uplink/uplink.js';
import { draft } from '../helpers/drafts.js';
import { freePort } from '@lightnode/test-kit/free-port';
import { startAedes } from '@lightnode/test-kit/aedes-broker';
import { startMosquitto } from '@lightnode/test-kit/mosquitto';
import { randomPod, startFakeBal, waitFor } from '../helpers/broker.js';
import { mqttConfig, signedSpool } from '../helpers/setup.js';

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function takeoverCase(url: string, protocolVersion: 4 | 5, signal: 'reason_0x8e' | 'quick_disconnects', intruderOpts: mqtt.IClientOptions): Promise<void> {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const bal = await startFakeBal(url, pod, s.domain, s.key.address, { protocolVersion });
  cleanups.push(() => bal.close());
  const config = mqttConfig(url, { protocolVersion, clientId: `ln-${pod}`, takeoverBackoffMinMs: 2000, takeoverBackoffMaxMs: 60_000 });
  const uplink = new Uplink({ config, pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics });
  cleanups.push(() => uplink.stop());
  uplink.start();
  await waitFor(() => uplink.connected, 5000, 'connect');
  for (let i = 0; i < 10; i++) { s.spool.append(draft('m1', 1_700_000_000_000 + i, i)); uplink.notify(); }
  await waitFor(() => s.spool.status().depth === 0, 10_000, 'the first readings acked');

  // The other client: the same client id (a second agent with this config).
  const intruder: MqttClient = await mqtt.connectAsync(url, { clientId: config.clientId, protocolVersion, connectTimeout: 5000, ...intruderOpts });
  cleanups.push(() => intruder.endAsync(true).catch(() => undefined));
  await waitFor(() => s.metrics.value('uplink_session_takeovers_total', { signal }) >= 1, 15_000, `the takeover seen (${signal})`);
  const state = uplink.sessionState;
  assert.is(state.takeovers, 1);
  assert.is(state.lastTakeover?.signal, signal);
  assert.ok(state.lastTakeover!.retryAtMs - state.lastTakeover!.atMs >= 1800, 'a takeover backoff, not the reconnect backoff');
  assert.ok(s.metrics.value('uplink_takeover_backoff_ms') > 0, 'reported as a gauge');
  // It does not fight: no connect while backing off (at least 1.8 s), the other client keeps the session.
  const connects = s.metrics.value('uplink_connects_total');
  const closes: number[] = [];
  intruder.on('close', () => closes.push(Date.now()));
  await sleep(1000);
  assert.is(s.metrics.value('uplink_connects_total'), connects, 'no reconnect while backing off');
  assert.is(uplink.connected, false);
  // Readings keep being spooled meanwhile; none is lost.
  for (let i = 10; i < 30; i++) { s.spool.append(draft('m1', 1_700_000_000_000 + i, i)); uplink.notify(); }
  assert.is(s.spool.status().depth, 20);
  await intruder.endAsync(true);
  await waitFor(() => uplink.connected && s.spool.status().depth === 0, 20_000, 'back after the backoff, everything delivered');
  assert.equal([...bal.stored].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i), 'every seq stored');
  assert.is(uplink.sessionState.takeovers, 1, 'counted once');
}

test('Mosquitto 2.0, MQTT 5: a reconnecting twin → back off, counted and reported, nothing lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ln-takeover-mosq-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const mosq = await startMosquitto(join(dir, 'mosquitto.conf'), port);
  cleanups.push(() => mosq.stop());
  await takeoverCase(`mqtt://127.0.0.1:${port}`, 5, 'quick_disconnects', { reconnectPeriod: 100 });
});

test('aedes, MQTT 3.1.1: dropped right after each connect by a reconnecting twin → back off, counted, nothing lost', async () => {
  const broker = await startAedes();
  cleanups.push(() => broker.close());
  await takeoverCase(broker.url, 4, 'quick_disconnects', { reconnectPeriod: 100 });
});

test('MQTT 5 DISCONNECT 0x8E "session taken over" (what newer brokers send) → back off at the first one, counted as reason_0x8e', async () => {
  // Neither local broker sends 0x8E, so a socket that answers a CONNECT with the MQTT 5 bytes a
  // broker would: CONNACK (success), then DISCONNECT reason 0x8E, then closes (MQTT 5.0 §3.14).
  const CONNACK_V5 = Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]);
  const DISCONNECT_TAKEN_OVER = Buffer.from([0xe0, 0x02, 0x8e, 0x00]);
  let connects = 0;
  const server = net.createServer((sock) => {
    sock.once('data', () => {
      connects++;
      sock.write(CONNACK_V5);
      setTimeout(() => { sock.write(DISCONNECT_TAKEN_OVER); sock.end(); }, 300);
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const uplink = new Uplink({ config: mqttConfig(url, { protocolVersion: 5, takeoverBackoffMinMs: 2000, takeoverBackoffMaxMs: 60_000 }), pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics });
  cleanups.push(() => uplink.stop());
  uplink.start();
  await waitFor(() => s.metrics.value('uplink_session_takeovers_total', { signal: 'reason_0x8e' }) === 1, 10_000, 'the 0x8E takeover counted');
  assert.is(uplink.sessionState.lastTakeover?.signal, 'reason_0x8e');
  assert.is(connects, 1, 'the first takeover already backs off');
  await sleep(1000);
  assert.is(connects, 1, 'no reconnect while backing off');
  assert.is(s.metrics.value('uplink_session_takeovers_total', { signal: 'quick_disconnects' }), 0);
});

test.run();
