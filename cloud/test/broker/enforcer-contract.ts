/**
 * AccessEnforcer contract (docs/data-access.md "Broker", STYLE habit 10): the same data-user
 * scenario against the embedded aedes broker and a real Mosquitto with the dynamic-security
 * plugin. Each broker under test gives a URL and a BAL account that publishes certified streams.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import { certifiedTopic } from '@lightnode/shared/topics';
import type { AccessEnforcer } from '../../src/access/types.js';
import { collector, connackRefusal, connect, endAll, trySubscribe } from './helpers.js';

export interface EnforcerUnderTest {
  enforcer: AccessEnforcer;
  url: string;
  /** An account of role `bal` (publishes on certified/v1/+/readings). */
  bal: { username: string; password: string };
  stop(): Promise<void>;
}

const A = certifiedTopic('IT001E00000001');
const B = certifiedTopic('IT001E00000002');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function enforcerContract(name: string, start: () => Promise<EnforcerUnderTest>, extra?: (t: ReturnType<typeof suite>, h: () => EnforcerUnderTest) => void): void {
  const t = suite(`access enforcer: ${name}`);
  let h: EnforcerUnderTest;
  let bal: MqttClient;
  const clients: MqttClient[] = [];
  const open = async (user: string, pw: string, extraOpts = {}): Promise<MqttClient> => { const c = await connect(h.url, user, pw, extraOpts); clients.push(c); return c; };
  const refused = async (user: string, pw: string): Promise<boolean> => {
    try { const c = await connect(h.url, user, pw); await c.endAsync(true); return false; } catch { return true; }
  };
  const publish = (topic: string, payload: string): Promise<unknown> => bal.publishAsync(topic, payload, { qos: 1 });

  t.before(async () => {
    h = await start();
    bal = await connect(h.url, h.bal.username, h.bal.password);
    await h.enforcer.upsertUser({ username: 'carol', role: 'consumer', password: 'pw-carol', enabled: true });
    await h.enforcer.upsertUser({ username: 'paul', role: 'producer', password: 'pw-paul', enabled: true });
    await h.enforcer.upsertUser({ username: 'ada', role: 'admin', password: 'pw-ada', enabled: true });
    await h.enforcer.upsertUser({ username: 'dave', role: 'consumer', password: 'pw-dave', enabled: false });
  });
  t.after(async () => { await endAll([...clients, bal]); await h?.enforcer.close(); await h?.stop(); });

  t('a consumer without a grant is refused at subscribe; wildcards are refused', async () => {
    const c = await open('carol', 'pw-carol');
    assert.is(await trySubscribe(c, A), 128);
    assert.is(await trySubscribe(c, `${A}/cim-xml`), 128, 'nor the CIM format of the stream');
    for (const f of ['certified/#', 'certified/v1/+/readings', '#']) assert.is(await trySubscribe(c, f), 128, f);
  });

  t('after grant the consumer subscribes and receives what the BAL publishes; only its stream', async () => {
    await h.enforcer.grant('carol', A);
    await h.enforcer.grant('carol', A); // idempotent
    const c = await open('carol', 'pw-carol');
    const seen = collector(c);
    assert.is(await trySubscribe(c, A), 1);
    assert.is(await trySubscribe(c, 'certified/#'), 128, 'a wildcard reaching beyond the grant');
    await publish(B, 'for-B');
    await publish(A, 'for-A');
    assert.is(await seen.waitFor(A), 'for-A');
    await sleep(100);
    assert.equal(seen.got.map((g) => g.payload), ['for-A']);
  });

  t('a grant covers the stream in every format: the consumer picks CIM by topic; other streams stay closed', async () => {
    const c = await open('carol', 'pw-carol');
    const seen = collector(c);
    assert.is(await trySubscribe(c, `${A}/cim-xml`), 1);
    assert.is(await trySubscribe(c, `${A}/cim-json`), 1);
    assert.is(await trySubscribe(c, `${B}/cim-xml`), 128);
    assert.is(await trySubscribe(c, `${A}/other`), 128);
    await publish(`${B}/cim-xml`, 'B-cim');
    await publish(`${A}/cim-xml`, 'A-cim');
    assert.is(await seen.waitFor(`${A}/cim-xml`), 'A-cim');
    await sleep(100);
    assert.equal(seen.got.map((g) => g.payload), ['A-cim']);
    const ada = await open('ada', 'pw-ada');
    assert.is(await trySubscribe(ada, `${B}/cim-json`), 1, 'admin: certified/# covers the formats');
  });

  t('admin reads certified/#, a producer its own streams; the wrong password is refused', async () => {
    const ada = await open('ada', 'pw-ada');
    const seenAda = collector(ada);
    assert.is(await trySubscribe(ada, 'certified/#'), 1);
    assert.is(await trySubscribe(ada, 'ln/v1/#'), 128);
    await h.enforcer.grant('paul', B);
    const paul = await open('paul', 'pw-paul');
    const seenPaul = collector(paul);
    assert.is(await trySubscribe(paul, B), 1);
    assert.is(await trySubscribe(paul, A), 128);
    await publish(B, 'B-1');
    assert.is(await seenAda.waitFor(B), 'B-1');
    assert.is(await seenPaul.waitFor(B), 'B-1');
    assert.ok(await refused('paul', 'wrong'));
  });

  t('a data user cannot publish on certified streams', async () => {
    // One connection per data user (its client id is its username): the watcher is never a forger.
    const forgeFrom = async (watcher: [string, string], forgers: (readonly [string, string])[]): Promise<void> => {
      const w = await open(...watcher);
      const seen = collector(w);
      assert.is(await trySubscribe(w, A), 1);
      for (const [u, pw] of forgers) {
        const c = await open(u, pw);
        await Promise.race([c.publishAsync(A, `forged-by-${u}`, { qos: 1 }).catch(() => {}), sleep(1500)]);
      }
      await publish(A, `marker-${watcher[0]}`);
      assert.is(await seen.waitFor(A), `marker-${watcher[0]}`);
      await sleep(100);
      assert.equal(seen.got.filter((g) => g.payload.startsWith('forged')), []);
    };
    await forgeFrom(['ada', 'pw-ada'], [['carol', 'pw-carol'], ['paul', 'pw-paul']]);
    await forgeFrom(['carol', 'pw-carol'], [['ada', 'pw-ada']]);
  });

  t("a data user presenting another account's client id is refused (CONNACK 5), and knocks nobody off (issue 17)", async () => {
    const paul = await open('paul', 'pw-paul');
    let closed = false;
    paul.on('close', () => { closed = true; });
    for (const id of ['paul', `carol@x`, 'bal', h.bal.username]) {
      assert.is(await connackRefusal(h.url, 'carol', id, 'pw-carol'), 5, `carol as ${id}`);
    }
    await sleep(200);
    assert.not.ok(closed, 'paul stays connected');
    assert.is(await connackRefusal(h.url, 'carol', 'carol', 'pw-carol'), null, 'carol under her own id');
  });

  t('revoke: the subscribed consumer receives nothing within 2 s and is refused at subscribe again', async () => {
    const c = await open('carol', 'pw-carol', { reconnectPeriod: 100 });
    const seen = collector(c);
    assert.is(await trySubscribe(c, A), 1);
    assert.is(await trySubscribe(c, `${A}/cim-xml`), 1);
    await h.enforcer.revoke('carol', A);
    await h.enforcer.revoke('carol', A); // idempotent
    await publish(A, 'after-revoke');
    await publish(`${A}/cim-xml`, 'after-revoke-cim');
    await sleep(2000);
    assert.equal(seen.got, []);
    c.end(true);
    const again = await open('carol', 'pw-carol');
    assert.is(await trySubscribe(again, A), 128);
    assert.is(await trySubscribe(again, `${A}/cim-xml`), 128);
  });

  t('a disabled user cannot connect; disabling closes its clients; enabling lets it in again', async () => {
    assert.ok(await refused('dave', 'pw-dave'));
    await h.enforcer.upsertUser({ username: 'dave', role: 'consumer', enabled: true });
    const d = await open('dave', 'pw-dave');
    const closed = new Promise<void>((r) => d.once('close', () => r()));
    await h.enforcer.upsertUser({ username: 'dave', role: 'consumer', enabled: false });
    await closed;
    assert.ok(await refused('dave', 'pw-dave'));
    await h.enforcer.upsertUser({ username: 'dave', role: 'consumer', password: 'pw-dave-2', enabled: true });
    assert.ok(await refused('dave', 'pw-dave'), 'old password');
    (await open('dave', 'pw-dave-2')).end(true);
  });

  t('a reconnecting subscriber survives changes to its grants; a grant change on another stream does not stop its stream', async () => {
    await h.enforcer.grant('carol', A);
    const c = await open('carol', 'pw-carol', { reconnectPeriod: 100 });
    const seen = collector(c);
    assert.is(await trySubscribe(c, A), 1);
    await h.enforcer.grant('carol', B); // Mosquitto kicks carol here; mqtt.js reconnects and resubscribes
    await sleep(500);
    for (let i = 0; i < 40 && !seen.got.some((g) => g.payload === 'A-after-grant'); i++) { await publish(A, 'A-after-grant'); await sleep(100); }
    assert.ok(seen.got.some((g) => g.payload === 'A-after-grant'), 'stream A still delivered');
    await c.endAsync(true); // a reconnecting client would take the id back from the next test's carol
  });

  t('reconcile: grants not in the set are removed, missing ones created', async () => {
    // Before: carol A+B, paul B. After: carol B, dave A.
    await h.enforcer.reconcile([{ username: 'carol', topic: B }, { username: 'dave', topic: A }]);
    const carol = await open('carol', 'pw-carol');
    assert.equal([await trySubscribe(carol, A), await trySubscribe(carol, B)], [128, 1]);
    const paul = await open('paul', 'pw-paul');
    assert.is(await trySubscribe(paul, B), 128);
    const dave = await open('dave', 'pw-dave-2');
    const seen = collector(dave);
    assert.is(await trySubscribe(dave, A), 1);
    await publish(A, 'A-after-reconcile');
    assert.is(await seen.waitFor(A), 'A-after-reconcile');
    await h.enforcer.reconcile([{ username: 'carol', topic: B }, { username: 'dave', topic: A }]); // idempotent
    assert.is(await trySubscribe(await open('dave', 'pw-dave-2'), A), 1);
  });

  extra?.(t, () => h);
  t.run();
}
