// `bal passwd` + `bal nats-config` write a nats-server 2.9 config whose users and permissions
// follow the ACL; a real nats-server runs it and devices speak MQTT 3.1.1 to its listener.
// Proves: a device cannot publish another PoD's readings nor read another PoD's acks or
// setpoints (nor `ln/v1/+/readings`, `#` or NATS's `$MQTT/…`), but gets its own; wrong
// passwords are refused; the BAL's account reaches statuses (retained), publishes acks and
// certified readings; the BAL's persistent session (clean: false, its `bal@…` client id) is
// present again on reconnect; the operator's setpoints reach the one device.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '@lightnode/test-kit/free-port';
import { main } from '../../src/cli.js';
import { natsNode, waitNatsReady, type NatsNode } from './cluster.js';

const A = 'IT001E00000001';
const B = 'IT001E00000002';
const dir = mkdtempSync(join(tmpdir(), 'bal-nats-perm-'));
const creds = join(dir, 'credentials.json');
const pw: Record<string, string> = {};
let node: NatsNode;
const clients: MqttClient[] = [];

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''; let err = '';
  const code = await main(args, { out: (l) => { out += `${l}\n`; }, err: (t) => { err += t; } });
  return { code, out, err };
}

test.before(async () => {
  for (const [user, role] of [[A, 'device'], [B, 'device'], ['bal', 'bal'], ['ops', 'operator']] as const) {
    const r = await cli(['passwd', '--credentials', creds, '--user', user, '--role', role]);
    assert.is(r.code, 0, r.err);
    pw[user] = (JSON.parse(r.out) as { password: string }).password;
  }
  const ports = { client: await freePort(), mqtt: await freePort(), monitor: await freePort() };
  const r = await cli(['nats-config', '--credentials', creds, '--out', join(dir, 'nats'), '--name', 'p1', '--port', String(ports.client), '--mqtt-port', String(ports.mqtt), '--monitor-port', String(ports.monitor), '--mqtt-ack-wait', '2']);
  assert.is(r.code, 0, r.err);
  const { configPath } = JSON.parse(r.out) as { configPath: string };
  const text = readFileSync(configPath, 'utf8');
  assert.ok(/password: "\$2[ab]\$10\$/.test(text), 'bcrypt hashes, not passwords');
  assert.not.ok(text.includes(pw[A]!), 'no clear password in the file');
  node = natsNode('p1', configPath, ports);
  await waitNatsReady(node, 30_000);
});
test.after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await node?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function client(user: string, clientId: string, over: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(node.mqttUrl, { username: user, password: pw[user]!, clientId, protocolVersion: 4, reconnectPeriod: 0, ...over });
  clients.push(c);
  return c;
}
function collect(c: MqttClient): string[] {
  const got: string[] = [];
  c.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  return got;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The granted QoS, 128 when refused (mqtt.js rejects a SUBACK 0x80). */
const granted = async (c: MqttClient, filter: string): Promise<number> => {
  try { return (await c.subscribeAsync(filter, { qos: 1 }))[0]!.qos; } catch (err) { if (/Subscribe error/.test((err as Error).message)) return 128; throw err; }
};

test('a wrong password is refused', async () => {
  const refused = await mqtt.connectAsync(node.mqttUrl, { username: A, password: 'wrong', clientId: A, protocolVersion: 4, reconnectPeriod: 0 }).then((c) => { void c.endAsync(true); return false; }, () => true);
  assert.ok(refused, 'CONNACK refused');
});

test('a device publishes only its own readings and reads only its own acks and setpoints', async () => {
  const bal = await client('bal', 'bal@perm');
  const balGot = collect(bal);
  assert.is(await granted(bal, 'ln/v1/+/readings'), 1);
  const a = await client(A, A);
  const aGot = collect(a);
  const b = await client(B, B);
  const bGot = collect(b);
  assert.is(await granted(a, `ln/v1/${A}/ack`), 1);
  assert.is(await granted(a, `ln/v1/${A}/setpoints`), 1);
  assert.is(await granted(b, `ln/v1/${B}/ack`), 1);
  // Refused subscriptions (SUBACK 0x80).
  for (const f of [`ln/v1/${B}/ack`, `ln/v1/${B}/setpoints`, 'ln/v1/+/readings', 'ln/v1/+/ack', '#', '$MQTT/sub/#']) assert.is(await granted(a, f), 128, `device A may not subscribe ${f}`);

  await a.publishAsync(`ln/v1/${A}/readings`, 'own', { qos: 1 });
  await a.publishAsync(`ln/v1/${B}/readings`, 'forged', { qos: 1 }); // PUBACKed by NATS, but dropped
  await bal.publishAsync(`ln/v1/${A}/ack`, 'ack-a', { qos: 1 });
  await bal.publishAsync(`ln/v1/${B}/ack`, 'ack-b', { qos: 1 });
  const ops = await client('ops', 'ops@perm');
  await ops.publishAsync(`ln/v1/${A}/setpoints`, 'sp-a', { qos: 1 });
  await sleep(1000);
  assert.equal(balGot, [`ln/v1/${A}/readings own`], 'the forged reading never reached the BAL');
  assert.equal(aGot.sort(), [`ln/v1/${A}/ack ack-a`, `ln/v1/${A}/setpoints sp-a`]);
  assert.equal(bGot, [`ln/v1/${B}/ack ack-b`]);
  assert.match(node.log(), new RegExp(`Publish Violation - User "${A}", Subject "ln.v1.${B}.readings"`));
});

test('statuses: retained for a late BAL; the BAL\'s persistent session survives its reconnect', async () => {
  const a = await client(A, `${A}-s`);
  await a.publishAsync(`ln/v1/${A}/status`, 'online-1', { qos: 1, retain: true });
  const bal = await client('bal', 'bal@sess', { clean: false });
  const got = collect(bal);
  assert.is(await granted(bal, 'ln/v1/+/status'), 1);
  await sleep(300);
  assert.equal(got, [`ln/v1/${A}/status online-1`], 'the retained status on subscribe');
  await bal.endAsync();
  await a.publishAsync(`ln/v1/${A}/status`, 'online-2', { qos: 1, retain: true });
  const again = await client('bal', 'bal@sess', { clean: false });
  assert.ok(again.connected);
  assert.is((again as unknown as { connackPacket?: { sessionPresent?: boolean } }).connackPacket?.sessionPresent, true, 'session present');
  // NATS 2.9.10 does not reliably deliver QoS 1 messages queued for an offline persistent session
  // (seen: 2 of 5 delivered, even past ack_wait), so what counts is the retained status: the
  // latest one comes on a new subscription.
  const late = await client('bal', 'bal@late');
  const got2 = collect(late);
  assert.is(await granted(late, `ln/v1/${A}/status`), 1);
  const deadline = Date.now() + 3000;
  while (got2.length === 0 && Date.now() < deadline) await sleep(50);
  assert.equal(got2, [`ln/v1/${A}/status online-2`], 'the latest retained status');
});

test('certified readings: the BAL may publish them, a device may not read them', async () => {
  const a = await client(A, `${A}-c`);
  assert.is(await granted(a, `certified/v1/${A}/readings`), 128);
  const bal = await client('bal', 'bal@cert');
  await bal.publishAsync(`certified/v1/${A}/readings`, 'x', { qos: 1 });
  assert.ok(!/Publish Violation - User "bal"/.test(node.log()), 'no violation for the BAL');
});

test.run();
