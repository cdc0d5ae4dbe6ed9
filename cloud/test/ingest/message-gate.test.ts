// The backpressure gate on mqtt.js's documented handleMessage hook, on a real (unconnected)
// client: gated messages hold the callback while full, others pass, release/remove free them
// in order, and remove restores the previous hook.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { installMessageGate } from '../../src/ingest/message-gate.js';

type Packet = Parameters<mqtt.MqttClient['handleMessage']>[0];
const packet = (topic: string): Packet => ({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 1, dup: false, retain: false });

function handled(client: mqtt.MqttClient, topic: string, log: string[]): void {
  client.handleMessage(packet(topic), (err) => log.push(err ? `${topic}:err` : topic));
}

test('holds gated messages while full, passes the others, releases in order', () => {
  const client = mqtt.connect('mqtt://127.0.0.1:1', { manualConnect: true });
  let full = false;
  const gate = installMessageGate(client, (p) => p.topic.endsWith('/readings'), () => full);
  const log: string[] = [];
  handled(client, 'a/readings', log);
  assert.equal(log, ['a/readings'], 'not full: passes at once');
  full = true;
  handled(client, 'b/readings', log);
  handled(client, 'c/readings', log);
  handled(client, 'x/status', log);
  assert.equal(log, ['a/readings', 'x/status'], 'full: readings held, status passes');
  gate.release();
  assert.equal(log, ['a/readings', 'x/status'], 'release while still full frees nothing');
  full = false;
  gate.release();
  assert.equal(log, ['a/readings', 'x/status', 'b/readings', 'c/readings'], 'released oldest first');
});

test('remove restores the previous hook and frees every held message', () => {
  const client = mqtt.connect('mqtt://127.0.0.1:1', { manualConnect: true });
  const seen: string[] = [];
  const inner = client.handleMessage;
  client.handleMessage = (p, cb) => { seen.push(p.topic); inner.call(client, p, cb); };
  const previous = client.handleMessage;
  const gate = installMessageGate(client, () => true, () => true);
  const log: string[] = [];
  handled(client, 'a/readings', log);
  handled(client, 'b/readings', log);
  assert.equal(seen, ['a/readings', 'b/readings'], 'the previous hook still runs first');
  assert.equal(log, []);
  gate.remove();
  assert.equal(log, ['a/readings', 'b/readings']);
  assert.is(client.handleMessage, previous);
});

test('an error from the previous hook is passed on, never held', () => {
  const client = mqtt.connect('mqtt://127.0.0.1:1', { manualConnect: true });
  client.handleMessage = (_p, cb) => cb(new Error('boom'));
  installMessageGate(client, () => true, () => true);
  const log: string[] = [];
  handled(client, 'a/readings', log);
  assert.equal(log, ['a/readings:err']);
});

test.run();
