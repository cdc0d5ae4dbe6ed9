// The pure parts of `bal nats-config`: topic → subject mapping, permissions per role from the
// ACL, the cluster block, and refusal of accounts without a bcrypt hash (naming them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { mqttToSubject, natsConfigText, natsPermissions } from '../../src/broker/nats-config.js';

const BCRYPT = `$2b$04$${'a'.repeat(53)}`;

test('topics map to subjects', () => {
  assert.is(mqttToSubject('ln/v1/+/readings'), 'ln.v1.*.readings');
  assert.is(mqttToSubject('ln/v1/#'), 'ln.v1.>');
});

test('permissions follow the ACL; MQTT QoS 1 needs $MQTT.sub.>; the BAL gets the JetStream API', () => {
  assert.equal(natsPermissions('device', 'IT001E00000001'), {
    publish: ['ln.v1.IT001E00000001.readings', 'ln.v1.IT001E00000001.status', 'ln.v1.IT001E00000001.activations'],
    subscribe: ['ln.v1.IT001E00000001.ack', 'ln.v1.IT001E00000001.setpoints', '$MQTT.sub.>'],
  });
  const bal = natsPermissions('bal', 'bal');
  assert.ok(bal.publish.includes('ln.v1.*.ack') && bal.publish.includes('$JS.API.>') && bal.publish.includes('$JS.ACK.>'));
  assert.ok(bal.subscribe.includes('ln.v1.*.status') && bal.subscribe.includes('_INBOX.>'));
  assert.not.ok(bal.publish.some((s) => s.includes('readings') && s.startsWith('ln.')), 'the BAL does not publish device readings');
});

test('config text: server name, JetStream, MQTT, cluster routes, MQTT-only devices', () => {
  const text = natsConfigText({
    serverName: 'n1', storeDir: '/var/lib/nats', listen: { host: '0.0.0.0', port: 4222 }, mqtt: { host: '0.0.0.0', port: 1883 },
    cluster: { name: 'ln', listen: { host: '0.0.0.0', port: 6222 }, routes: ['nats-route://n2:6222', 'nats-route://n3:6222'] },
    accounts: [{ username: 'IT001E00000001', role: 'device', passwordHash: '$7$1$a$b', natsPasswordHash: BCRYPT }],
  });
  assert.match(text, /server_name: "n1"/);
  assert.match(text, /jetstream \{ store_dir: "\/var\/lib\/nats" \}/);
  assert.match(text, /mqtt \{\n {2}listen: "0.0.0.0:1883"/);
  assert.match(text, /routes: \["nats-route:\/\/n2:6222", "nats-route:\/\/n3:6222"\]/);
  assert.match(text, /user: "IT001E00000001", password: "\$2b\$04\$a+", allowed_connection_types: \["MQTT"\]/);
});

test('an account without natsPasswordHash is refused, named', () => {
  try {
    natsConfigText({ serverName: 'n1', storeDir: '/tmp/x', accounts: [{ username: 'IT001E00000009', role: 'device', passwordHash: '$7$1$a$b' }] });
    assert.unreachable('refused');
  } catch (err) {
    assert.ok(isLightNodeError(err, 'BAL_CREDENTIALS_INVALID'), String(err));
    assert.match((err as Error).message, /IT001E00000009/);
  }
});

test.run();
