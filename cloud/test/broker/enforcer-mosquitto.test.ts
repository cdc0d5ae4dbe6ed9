// The AccessEnforcer contract on a real Mosquitto 2 with the dynamic-security plugin, started on
// a free port from the generated config with the run-time admin account; plus what only the
// plugin does: kicks on policy changes, foreign roles left alone by reconcile, failed commands.
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { isLightNodeError } from '@lightnode/shared/errors';
import { certifiedTopic } from '@lightnode/shared/topics';
import { connectDynsecControl, parseDynsecResponses, type DynsecControl } from '../../src/broker/dynsec-control.js';
import { createDynsecEnforcer, grantRoleName } from '../../src/broker/dynsec-enforcer.js';
import { startMosquitto } from './mosquitto-process.js';
import { PASSWORDS, collector, connect, testAccounts, trySubscribe } from './helpers.js';
import { enforcerContract } from './enforcer-contract.js';

const PLUGIN = process.env.MOSQUITTO_DYNSEC_PLUGIN ?? '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
if (!existsSync(PLUGIN)) throw new Error(`dynamic-security plugin not found at ${PLUGIN} (set MOSQUITTO_DYNSEC_PLUGIN)`);
const ADMIN = { username: 'bal-dynsec', password: 'pw-dynsec-admin' };

let control: DynsecControl;
enforcerContract('mosquitto dynamic security', async () => {
  const broker = await startMosquitto(await testAccounts(), { dynsecPluginPath: PLUGIN, dynsecAdmin: ADMIN });
  control = await connectDynsecControl({ url: broker.url, ...ADMIN, timeoutMs: 5000 });
  const enforcer = createDynsecEnforcer({ control, adminUsername: ADMIN.username });
  return { enforcer, url: broker.url, bal: { username: 'bal', password: PASSWORDS.bal! }, stop: () => broker.stop() };
}, (t, h) => {
  t('mosquitto: a grant kicks the connected user (0x98) and mqtt.js reconnects and resubscribes', async () => {
    const topic = certifiedTopic('IT001E00000007');
    await h().enforcer.grant('carol', topic);
    const c = await connect(h().url, 'carol', 'pw-carol', { reconnectPeriod: 100 });
    const seen = collector(c);
    assert.is(await trySubscribe(c, topic), 1);
    let closes = 0;
    c.on('close', () => closes++);
    const reconnected = new Promise<void>((r) => c.once('connect', () => r()));
    await h().enforcer.grant('carol', certifiedTopic('IT001E00000008'));
    await reconnected;
    assert.ok(closes >= 1, 'kicked');
    const bal = await connect(h().url, 'bal');
    for (let i = 0; i < 40 && seen.got.length === 0; i++) { await bal.publishAsync(topic, 'after-kick', { qos: 1 }); await new Promise((r) => setTimeout(r, 100)); }
    assert.ok(seen.got.some((g) => g.payload === 'after-kick'), 'resubscribed after the kick');
    await c.endAsync(true); await bal.endAsync(true);
  });

  t('mosquitto: reconcile deletes only lightnode-grant- roles and never touches accounts of the static file', async () => {
    await control.run([{ command: 'createRole', rolename: 'operator-own-role' }, { command: 'createRole', rolename: 'lightnode-grant-ghost-IT001E00000005' }]);
    await h().enforcer.reconcile([{ username: 'carol', topic: certifiedTopic('IT001E00000002') }]);
    const roles = (await control.run([{ command: 'listRoles' }]))[0]!.data!['roles'] as string[];
    assert.ok(roles.includes('operator-own-role'));
    assert.ok(roles.includes('lightnode-bal'), 'the static BAL role stays');
    assert.equal(roles.filter((r) => r.startsWith('lightnode-grant-')), ['lightnode-grant-carol-IT001E00000002']);
    for (const [u, call] of [['bal', () => h().enforcer.upsertUser({ username: 'bal', role: 'admin', password: 'x', enabled: true })], ['IT001E00000001', () => h().enforcer.grant('IT001E00000001', certifiedTopic('IT001E00000001'))]] as const) {
      try { await call(); assert.unreachable(u); } catch (e) { assert.ok(isLightNodeError(e, 'BAL_BROKER_DYNSEC_FAILED'), `${u}: ${String(e)}`); assert.match(String((e as Error).message), /not a data-user client/); }
    }
    (await connect(h().url, 'bal')).end(true); // the BAL account still logs in with its own password
  });

  t('mosquitto: the admin account itself is never a target', async () => {
    for (const call of [() => h().enforcer.upsertUser({ username: ADMIN.username, role: 'consumer', password: 'x', enabled: false }), () => h().enforcer.grant(ADMIN.username, certifiedTopic('IT001E00000001')), () => h().enforcer.reconcile([{ username: ADMIN.username, topic: certifiedTopic('IT001E00000001') }])]) {
      try { await call(); assert.unreachable(); } catch (e) { assert.ok(isLightNodeError(e, 'BAL_BROKER_DYNSEC_FAILED')); }
    }
  });

  t('mosquitto: a failed command is BAL_BROKER_DYNSEC_FAILED naming the command and the plugin error, no password in it', async () => {
    try { await control.run([{ command: 'bogus' }]); assert.unreachable(); } catch (e) {
      assert.ok(isLightNodeError(e, 'BAL_BROKER_DYNSEC_FAILED'));
      assert.match(String((e as Error).message), /bogus: Unknown command/);
    }
    try { await control.run([{ command: 'createClient', username: 'carol', password: 'secret-pw' }]); assert.unreachable(); } catch (e) {
      assert.ok(isLightNodeError(e, 'BAL_BROKER_DYNSEC_FAILED'));
      assert.match(String((e as Error).message), /createClient username=carol: Client already exists/);
      assert.not.match(JSON.stringify(e) + String((e as Error).message), /secret-pw/);
    }
    const answers = await control.send([{ command: 'getClient', username: 'nobody' }, { command: 'listClients' }]);
    assert.equal(answers.map((a) => a.error), ['Client not found', null]);
  });

  t('mosquitto: a control client on an account without the plugin admin role fails with BAL_BROKER_DYNSEC_FAILED', async () => {
    try { await connectDynsecControl({ url: h().url, username: 'bal', password: PASSWORDS.bal!, timeoutMs: 500 }); assert.unreachable(); } catch (e) { assert.ok(isLightNodeError(e, 'BAL_BROKER_DYNSEC_FAILED'), String(e)); }
  });

  t('mosquitto: a grant role of an older BAL (JSON topic only) gets the CIM topics at grant and at reconcile', async () => {
    const oldRole = async (topic: string): Promise<void> => {
      const acls = [{ acltype: 'subscribePattern', topic, priority: 2, allow: true }, { acltype: 'publishClientReceive', topic, priority: 1, allow: true }];
      await control.run([{ command: 'createRole', rolename: grantRoleName('carol', topic), textname: topic, acls }, { command: 'addClientRole', username: 'carol', rolename: grantRoleName('carol', topic), priority: 1 }]);
    };
    const [T10, T11] = [certifiedTopic('IT001E00000010'), certifiedTopic('IT001E00000011')];
    await oldRole(T10);
    await oldRole(T11);
    const before = await connect(h().url, 'carol', 'pw-carol');
    assert.equal([await trySubscribe(before, T10), await trySubscribe(before, `${T10}/cim-xml`)], [1, 128], 'the old role: JSON only');
    await before.endAsync(true);
    await h().enforcer.grant('carol', T10);
    const mid = await connect(h().url, 'carol', 'pw-carol');
    assert.equal([await trySubscribe(mid, `${T10}/cim-xml`), await trySubscribe(mid, `${T11}/cim-xml`)], [1, 128], 'grant upgraded its own role only');
    await mid.endAsync(true);
    await h().enforcer.reconcile([{ username: 'carol', topic: T10 }, { username: 'carol', topic: T11 }]);
    const after = await connect(h().url, 'carol', 'pw-carol');
    assert.equal(await Promise.all([T10, T11].flatMap((t) => [t, `${t}/cim-xml`, `${t}/cim-json`]).map((t) => trySubscribe(after, t))), [1, 1, 1, 1, 1, 1]);
    await after.endAsync(true);
  });
});

// Pure: response validation (no broker).
import { test } from 'uvu';
test('dynsec responses are validated', () => {
  assert.equal(parseDynsecResponses('{"responses":[{"command":"listClients","data":{"clients":[]},"correlationData":"c1"},{"command":"bogus","error":"Unknown command"}]}'),
    [{ command: 'listClients', error: null, data: { clients: [] }, correlationData: 'c1' }, { command: 'bogus', error: 'Unknown command', data: null, correlationData: null }]);
  for (const bad of ['', '[]', '{}', '{"responses":{}}', '{"responses":[1]}', '{"responses":[{"command":1}]}', '{"responses":[{"command":"x","error":5}]}', '{"responses":[{"command":"x","data":[]}]}', '{"responses":[{"command":"x","correlationData":7}]}']) {
    try { parseDynsecResponses(bad); assert.unreachable(bad); } catch (e) { assert.ok(isLightNodeError(e, 'BAL_BROKER_DYNSEC_FAILED'), bad); }
  }
});
test.run();
