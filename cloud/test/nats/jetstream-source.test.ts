// The JetStream readings source alone, on a real nats-server 2.9 (own process, free ports) with
// the config `bal nats-config` writes; devices publish through NATS's MQTT listener. Proves:
// a message whose handler fails is redelivered (nak) and acked once it succeeds; the message of
// an instance that dies unacked goes to another after ack wait; two sources on
// the one durable consumer share the messages, each handled once; no more than maxInFlight
// unsettled; bad subjects and payloads are counted with their code and not redelivered; the
// source goes on after the server is SIGKILLed and restarted (file storage keeps the stream).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { connect, type NatsConnection } from 'nats';
import { MetricsRegistry } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { jetStreamReadingsSource, invalidMessage, podOfSubject, stalledPull } from '../../src/ingest/jetstream-source.js';
import type { ReadingsSource } from '../../src/ingest/source.js';
import { startNatsCluster, testAccount, type NatsCluster } from './cluster.js';

const POD = 'IT001E00000001';
let cluster: NatsCluster;
let device: MqttClient;
let raw: NatsConnection;
const sources: ReadingsSource[] = [];
let stream = 0;

test.before(async () => {
  cluster = await startNatsCluster({
    accounts: [await testAccount('bal', 'bal', 'balpw'), await testAccount(POD, 'device', 'devpw')],
    unrestricted: { username: 'tester', password: 'testpw' },
  });
  device = await mqtt.connectAsync(cluster.nodes[0]!.mqttUrl, { username: POD, password: 'devpw', clientId: POD, protocolVersion: 4, reconnectPeriod: 200 });
  raw = await connect({ servers: cluster.servers, user: 'tester', pass: 'testpw', maxReconnectAttempts: -1, reconnectTimeWait: 200 });
});
test.after.each(async () => {
  for (const s of sources.splice(0)) await s.stop();
  // Streams may not overlap: each test's stream goes.
  const jsm = await raw.jetstreamManager();
  for await (const si of jsm.streams.list()) if (/^T\d+$/.test(si.config.name)) await jsm.streams.delete(si.config.name);
});
test.after(async () => {
  await raw?.close();
  await device?.endAsync(true);
  await cluster?.stop();
});

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A source on a fresh stream (each test its own stream and consumer). */
function source(metrics: MetricsRegistry, over: { stream?: string; consumer?: string } = {}): ReadingsSource {
  const s = jetStreamReadingsSource({
    servers: cluster.servers, username: 'bal', password: 'balpw', stream: over.stream ?? `T${++stream}`, consumer: over.consumer ?? 'ingest',
    ackWaitMs: 1000, nakDelayMs: 50, metrics, log: silentLogger,
  });
  sources.push(s);
  return s;
}
const publish = (payload: string): Promise<unknown> => device.publishAsync(`ln/v1/${POD}/readings`, payload, { qos: 1 });
const value = (m: MetricsRegistry, name: string, labels: Record<string, string> = {}): number => {
  const line = m.render().split('\n').find((l) => l.startsWith(name) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').pop()) : 0;
};

test('pure: the PoD of a subject, and what is refused', () => {
  assert.is(podOfSubject(`ln.v1.${POD}.readings`), POD);
  assert.is(podOfSubject('ln.v1.nopod.readings'), null);
  assert.is(podOfSubject(`ln.v1.${POD}.status`), null);
  assert.is(invalidMessage('ln.v1.x.readings', 10)?.code, 'BAL_JETSTREAM_SUBJECT_INVALID');
  assert.is(invalidMessage(`ln.v1.${POD}.readings`, 0)?.code, 'BAL_JETSTREAM_PAYLOAD_INVALID');
  assert.is(invalidMessage(`ln.v1.${POD}.readings`, 2_000_000)?.code, 'BAL_JETSTREAM_PAYLOAD_INVALID');
  assert.is(invalidMessage(`ln.v1.${POD}.readings`, 10), null);
});

test('pure: an empty pull stalled when the consumer had messages and room to deliver them', () => {
  const info = (pending: number, unacked: number, max?: number) => ({ num_pending: pending, num_ack_pending: unacked, config: max === undefined ? {} : { max_ack_pending: max } });
  assert.ok(stalledPull(info(5, 0, 1000)));
  assert.ok(stalledPull(info(5, 999, 1000)));
  assert.not.ok(stalledPull(info(0, 0, 1000)), 'nothing pending: a plain empty pull');
  assert.not.ok(stalledPull(info(5, 1000, 1000)), 'max_ack_pending reached: the server holds back');
  assert.ok(stalledPull(info(5, 1000, -1)), 'no limit');
});

test('a message whose handler fails is redelivered and acked once handled', async () => {
  const m = new MetricsRegistry();
  const s = source(m);
  const calls: string[] = [];
  await s.start(async (pod, payload) => { calls.push(`${pod}:${payload.toString()}`); return calls.length > 1; }, { maxInFlight: 4 });
  await publish('one');
  await until('the redelivery', () => calls.length >= 2);
  await sleep(1500); // past ack wait: an acked message does not come again
  assert.equal(calls, [`${POD}:one`, `${POD}:one`]);
  assert.is(value(m, 'bal_jetstream_messages_total'), 2);
  assert.is(value(m, 'bal_jetstream_redelivered_total'), 1);
  assert.is(value(m, 'bal_jetstream_acks_total', { kind: 'nak' }), 1);
  assert.is(value(m, 'bal_jetstream_acks_total', { kind: 'ack' }), 1);
});

test('two sources on one durable consumer share the messages, each handled once; never more than maxInFlight unsettled', async () => {
  const name = `T${++stream}`;
  const seen = new Map<string, number>();
  const by = [0, 0];
  let busy = 0;
  let maxBusy = 0;
  const handler = (i: number) => async (_pod: string, payload: Buffer): Promise<boolean> => {
    busy++; maxBusy = Math.max(maxBusy, busy);
    by[i]!++;
    await sleep(5);
    seen.set(payload.toString(), (seen.get(payload.toString()) ?? 0) + 1);
    busy--;
    return true;
  };
  const a = source(new MetricsRegistry(), { stream: name });
  const b = source(new MetricsRegistry(), { stream: name });
  await a.start(handler(0), { maxInFlight: 2 });
  await b.start(handler(1), { maxInFlight: 2 });
  await Promise.all(Array.from({ length: 60 }, (_, i) => publish(`m${i}`)));
  await until('all 60 handled', () => seen.size === 60);
  await sleep(1500);
  assert.is(seen.size, 60);
  assert.ok([...seen.values()].every((n) => n === 1), 'each message handled once');
  assert.ok(by[0]! > 0 && by[1]! > 0, `both instances got a share (${by.join('/')})`);
  assert.ok(maxBusy <= 4, `at most 2 in flight per source (saw ${maxBusy} across two)`);
});

test('an instance that dies with a message unacked: the message goes to another instance after ack wait', async () => {
  const name = `T${++stream}`;
  const dying = jetStreamReadingsSource({ servers: cluster.servers, username: 'bal', password: 'balpw', stream: name, consumer: 'ingest', ackWaitMs: 1000, metrics: new MetricsRegistry(), log: silentLogger });
  let took = 0;
  await dying.start(async () => { took++; return new Promise<boolean>(() => {}); }, { maxInFlight: 4 }); // never settles
  await publish('orphan');
  await until('the first instance took it', () => took === 1);
  await dying.connection()!.close(); // dies: no ack, no more "working"
  const m = new MetricsRegistry();
  const survivor = source(m, { stream: name });
  const got: string[] = [];
  await survivor.start(async (_pod, payload) => { got.push(payload.toString()); return true; }, { maxInFlight: 4 });
  await until('the survivor got it', () => got.length === 1, 10_000);
  assert.equal(got, ['orphan']);
  assert.is(value(m, 'bal_jetstream_redelivered_total'), 1);
  await dying.stop();
});

test('bad subjects and payloads are counted with a code and not redelivered', async () => {
  const m = new MetricsRegistry();
  const s = source(m);
  const calls: string[] = [];
  await s.start(async (_pod, payload) => { calls.push(payload.toString()); return true; }, { maxInFlight: 4 });
  raw.publish('ln.v1.nopod.readings', new TextEncoder().encode('x'));
  raw.publish(`ln.v1.${POD}.readings`, new Uint8Array(0));
  raw.publish(`ln.v1.${POD}.readings`, new Uint8Array(1024 * 1024 + 1));
  await publish('good');
  await until('all four pulled', () => value(m, 'bal_jetstream_messages_total') >= 4);
  await sleep(2500); // two ack waits: a terminated message would have come back by now
  assert.equal(calls, ['good']);
  assert.is(value(m, 'bal_jetstream_messages_total'), 4, 'nothing redelivered');
  assert.is(value(m, 'bal_jetstream_invalid_total', { code: 'BAL_JETSTREAM_SUBJECT_INVALID' }), 1);
  assert.is(value(m, 'bal_jetstream_invalid_total', { code: 'BAL_JETSTREAM_PAYLOAD_INVALID' }), 2);
  assert.is(value(m, 'bal_jetstream_acks_total', { kind: 'term' }), 3);
});

test('the source goes on after the server is SIGKILLed and restarted', async () => {
  const m = new MetricsRegistry();
  const s = source(m);
  const got = new Set<string>();
  await s.start(async (_pod, payload) => { got.add(payload.toString()); return true; }, { maxInFlight: 4 });
  await publish('before');
  await until('before', () => got.has('before'));
  await cluster.nodes[0]!.kill('SIGKILL');
  await cluster.nodes[0]!.restart();
  await until('the device reconnected', () => device.connected, 15_000);
  await publish('after');
  await until('after', () => got.has('after'), 20_000);
});

test.run();
