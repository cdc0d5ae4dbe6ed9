// The AccessEnforcer contract on the embedded aedes broker, data users logging in through the
// `dataUsers` hook (a stand-in for the access user store: the passwords upsertUser was given).
import * as assert from 'uvu/assert';
import { startEmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { CredentialStore } from '../../src/broker/credentials.js';
import { createEmbeddedEnforcer } from '../../src/broker/embedded-enforcer.js';
import type { AccessEnforcer, UserRole } from '../../src/access/types.js';
import { certifiedTopic } from '@lightnode/shared/topics';
import { collector, connect, testAccounts, trySubscribe } from './helpers.js';
import { enforcerContract } from './enforcer-contract.js';

enforcerContract('embedded aedes', async () => {
  const users = new Map<string, { password: string; role: UserRole }>();
  const broker = await startEmbeddedBroker({
    port: 0, credentials: new CredentialStore(await testAccounts()),
    dataUsers: {
      async authenticate(username, password) {
        const u = users.get(username);
        return u && u.password === password ? { username, role: u.role } : null;
      },
    },
  });
  const inner = createEmbeddedEnforcer({ broker });
  const enforcer: AccessEnforcer = {
    ...inner,
    async upsertUser(u) {
      const old = users.get(u.username);
      users.set(u.username, { role: u.role, password: u.password ?? old?.password ?? '' });
      await inner.upsertUser(u);
    },
  };
  const h = { enforcer, url: broker.url!, bal: broker.internal, stop: () => broker.close(), broker };
  return h;
}, (t, h) => {
  t('aedes: delivery is checked per message (a grant removed from the table, no disconnect, stops the next message)', async () => {
    const { broker, url } = h() as unknown as { broker: Awaited<ReturnType<typeof startEmbeddedBroker>>; url: string };
    const topic = certifiedTopic('IT001E00000009');
    await h().enforcer.grant('carol', topic);
    const c = await connect(url, 'carol', 'pw-carol');
    const seen = collector(c);
    assert.is(await trySubscribe(c, topic), 1);
    const bal = await connect(url, broker.internal.username, broker.internal.password);
    await bal.publishAsync(topic, 'one', { qos: 1 });
    assert.is(await seen.waitFor(topic), 'one');
    broker.grants.revoke('carol', topic);
    await bal.publishAsync(topic, 'two', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(c.connected, 'still connected');
    assert.equal(seen.got.map((g) => g.payload), ['one']);
    await c.endAsync(true); await bal.endAsync(true);
  });

  t('aedes: a data user cannot take a credentials-file account name', async () => {
    const { url } = h();
    await h().enforcer.upsertUser({ username: 'bal', role: 'admin', password: 'x', enabled: true });
    let ok = false;
    try { const c = await connect(url, 'bal', 'x'); ok = true; await c.endAsync(true); } catch { /* refused */ }
    assert.not.ok(ok);
  });
});
