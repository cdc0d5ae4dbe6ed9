/**
 * The one contract suite every AccessStore implementation passes (STYLE habit 10), run by
 * `access-store-sqlite.test.ts` and `access-store-postgres.test.ts` against a fresh store.
 * The AccessStore is part of BalStore, so the factory opens a whole BalStore.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import type { BalStore } from '../../src/store/types.js';
import type { NewUser, SubscriptionAction, SubscriptionStatus, UserRecord } from '../../src/access/types.js';

export interface AccessStoreFactory {
  /** Open the store (a second call opens the same data). */
  open(): Promise<BalStore>;
  /** Remove the backing data (after the suite). */
  destroy(): Promise<void>;
  /** Run one SQL statement on the backing database behind the store's back (rejects when the database refuses it). */
  rawSql(sql: string): Promise<void>;
}

const wallet = (n: number): Hex => `0x${n.toString(16).padStart(40, '0')}`;
const txh = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
const topicOf = (pod: string): string => `certified/v1/${pod}/readings`;
const T1 = topicOf('IT001E00000001');
const T2 = topicOf('IT001E00000002');
const T3 = topicOf('IT001E00000003');

function newUser(username: string, role: NewUser['role'], n: number, custodial = false): NewUser {
  return { username, role, passwordHash: `scrypt$hash-of-${username}`, wallet: wallet(n), custody: custodial ? 'custodial' : 'external', encryptedKey: custodial ? `ct-${n}` : null };
}

async function rejects(p: Promise<unknown>, code: ErrorCode, field?: string): Promise<void> {
  try { await p; } catch (err) {
    assert.ok(isLightNodeError(err, code), `expected ${code}, got ${String((err as Error).message)}`);
    if (field !== undefined) assert.is((err as { details: Record<string, unknown> }).details.field, field);
    return;
  }
  assert.unreachable(`expected rejection ${code}`);
}

/** Register the contract suite for one implementation. */
export function accessStoreContract(name: string, factory: AccessStoreFactory): void {
  const t = suite(`AccessStore contract: ${name}`);
  let store: BalStore;
  const u: Record<string, UserRecord> = {};
  let block = 100;
  const ev = (action: SubscriptionAction, from: SubscriptionStatus | null, to: SubscriptionStatus, actorId: number, atMs: number) =>
    ({ action, from, to, actorId, atMs, transaction: txh(++block), block });

  t.before(async () => { store = await factory.open(); });
  t.after(async () => { await store?.close(); await factory.destroy(); });

  t('createUser stores a user (enabled, wallet lower-case) found by id, name and wallet', async () => {
    const admin = await store.createUser(newUser('dso-admin', 'admin', 1, true), 1_000);
    assert.equal(admin, {
      id: admin.id, username: 'dso-admin', role: 'admin', passwordHash: 'scrypt$hash-of-dso-admin', wallet: wallet(1),
      custody: 'custodial', encryptedKey: 'ct-1', enabled: true, createdAtMs: 1_000, updatedAtMs: 1_000,
    });
    u.admin = admin;
    u.alice = await store.createUser({ ...newUser('alice', 'producer', 0xa11ce), wallet: `0x${'AB'.repeat(20)}` }, 1_001);
    assert.is(u.alice.wallet, `0x${'ab'.repeat(20)}`);
    assert.is(u.alice.custody, 'external');
    assert.is(u.alice.encryptedKey, null);
    u.bob = await store.createUser(newUser('bob', 'producer', 0xb0b), 1_002);
    u.carol = await store.createUser(newUser('carol', 'consumer', 0xca201, true), 1_003);
    u.dave = await store.createUser(newUser('dave', 'consumer', 0xda5e), 1_004);
    assert.ok(u.alice.id > admin.id && u.bob.id > u.alice.id, 'ids increase');
    assert.equal(await store.userById(u.bob.id), u.bob);
    assert.equal(await store.userByName('carol'), u.carol);
    assert.equal(await store.userByWallet(`0x${'Ab'.repeat(20)}` as Hex), u.alice, 'wallet lookup in any case');
    assert.is(await store.userById(999_999), null);
    assert.is(await store.userByName('nobody'), null);
    assert.is(await store.userByName('ALICE'), null, 'lookups are exact');
    assert.is(await store.userByWallet(wallet(0xdead)), null);
  });

  t('a taken username (any case) or wallet is BAL_ACCESS_USER_EXISTS naming the field; nothing written', async () => {
    const before = await store.listUsers();
    await rejects(store.createUser(newUser('alice', 'consumer', 0x999), 2_000), 'BAL_ACCESS_USER_EXISTS', 'username');
    await rejects(store.createUser(newUser('Alice', 'consumer', 0x998), 2_000), 'BAL_ACCESS_USER_EXISTS', 'username');
    await rejects(store.createUser(newUser('alice2', 'consumer', 0xb0b), 2_000), 'BAL_ACCESS_USER_EXISTS', 'wallet');
    await rejects(store.createUser({ ...newUser('alice3', 'consumer', 0), wallet: `0x${'aB'.repeat(20)}` }, 2_000), 'BAL_ACCESS_USER_EXISTS', 'wallet');
    assert.equal(await store.listUsers(), before);
  });

  t('listUsers by id, filtered by role; setPassword and setEnabled update the row', async () => {
    assert.equal((await store.listUsers()).map((x) => x.username), ['dso-admin', 'alice', 'bob', 'carol', 'dave']);
    assert.equal((await store.listUsers({ role: 'producer' })).map((x) => x.username), ['alice', 'bob']);
    assert.equal((await store.listUsers({ role: 'admin' })).map((x) => x.username), ['dso-admin']);
    await store.setPassword(u.dave!.id, 'scrypt$new', 3_000);
    let dave = (await store.userById(u.dave!.id))!;
    assert.is(dave.passwordHash, 'scrypt$new');
    assert.is(dave.updatedAtMs, 3_000);
    assert.is(dave.createdAtMs, 1_004);
    await store.setEnabled(u.dave!.id, false, 3_001);
    dave = (await store.userById(u.dave!.id))!;
    assert.is(dave.enabled, false);
    assert.is(dave.updatedAtMs, 3_001);
    assert.ok((await store.listUsers({ role: 'consumer' })).some((x) => x.id === dave.id && !x.enabled), 'a disabled user is still listed');
    await store.setEnabled(u.dave!.id, true, 3_002);
    assert.is((await store.userById(u.dave!.id))!.enabled, true);
    await rejects(store.setPassword(999_999, 'x', 1), 'BAL_ACCESS_USER_UNKNOWN');
    await rejects(store.setEnabled(999_999, false, 1), 'BAL_ACCESS_USER_UNKNOWN');
  });

  t('bad user arguments are BAL_STORE_INVALID naming the field', async () => {
    const bad = (over: Partial<Record<keyof NewUser, unknown>>) => ({ ...newUser('zed', 'consumer', 0x2ed), ...over }) as NewUser;
    await rejects(store.createUser(bad({ role: 'root' }), 1), 'BAL_STORE_INVALID', 'role');
    await rejects(store.createUser(bad({ wallet: '0x1234' }), 1), 'BAL_STORE_INVALID', 'wallet');
    await rejects(store.createUser(bad({ username: '' }), 1), 'BAL_STORE_INVALID', 'username');
    await rejects(store.createUser(bad({ passwordHash: '' }), 1), 'BAL_STORE_INVALID', 'passwordHash');
    await rejects(store.createUser(bad({ custody: 'custodial', encryptedKey: null }), 1), 'BAL_STORE_INVALID', 'encryptedKey');
    await rejects(store.createUser(bad({ custody: 'external', encryptedKey: 'ct' }), 1), 'BAL_STORE_INVALID', 'encryptedKey');
    await rejects(store.createUser(bad({ custody: 'paper' }), 1), 'BAL_STORE_INVALID', 'custody');
    await rejects(store.createUser(bad({}), Number.NaN), 'BAL_STORE_INVALID', 'nowMs');
    await rejects(store.userById(-1), 'BAL_STORE_INVALID', 'id');
    await rejects(store.userById(1.5), 'BAL_STORE_INVALID', 'id');
    await rejects(store.userByWallet('alice' as Hex), 'BAL_STORE_INVALID', 'wallet');
    await rejects(store.listUsers({ role: 'root' as 'admin' }), 'BAL_STORE_INVALID', 'role');
    await rejects(store.setEnabled(u.dave!.id, 'no' as unknown as boolean, 1), 'BAL_STORE_INVALID', 'enabled');
    await rejects(store.setPassword(u.dave!.id, '', 1), 'BAL_STORE_INVALID', 'passwordHash');
    assert.is(await store.userByName('zed'), null);
  });

  t('streams: one producer per topic (BAL_ACCESS_TOPIC_EXISTS), unknown producer, listed by producer', async () => {
    const s1 = await store.createStream({ topic: T1, pod: 'IT001E00000001', producerId: u.alice!.id }, 4_000);
    assert.equal(s1, { topic: T1, pod: 'IT001E00000001', producerId: u.alice!.id, createdAtMs: 4_000 });
    await store.createStream({ topic: T3, pod: 'IT001E00000003', producerId: u.alice!.id }, 4_001);
    await store.createStream({ topic: T2, pod: 'IT001E00000002', producerId: u.bob!.id }, 4_002);
    await rejects(store.createStream({ topic: T1, pod: 'IT001E00000001', producerId: u.bob!.id }, 4_003), 'BAL_ACCESS_TOPIC_EXISTS');
    assert.is((await store.streamByTopic(T1))!.producerId, u.alice!.id, 'the first producer keeps the topic');
    await rejects(store.createStream({ topic: topicOf('IT001E00000009'), pod: 'IT001E00000009', producerId: 999_999 }, 4_004), 'BAL_ACCESS_USER_UNKNOWN');
    assert.is(await store.streamByTopic(topicOf('IT001E00000009')), null);
    await rejects(store.createStream({ topic: '', pod: 'x', producerId: u.bob!.id }, 1), 'BAL_STORE_INVALID', 'topic');
    await rejects(store.createStream({ topic: 'x', pod: 'x', producerId: -2 }, 1), 'BAL_STORE_INVALID', 'producerId');
    assert.equal((await store.listStreams()).map((s) => s.topic), [T1, T2, T3]);
    assert.equal((await store.listStreams({ producerId: u.alice!.id })).map((s) => s.topic), [T1, T3]);
    assert.equal(await store.listStreams({ producerId: u.carol!.id }), []);
    assert.is(await store.streamByTopic('certified/v1/nope/readings'), null);
  });

  t('applyTransition creates on the first request, moves from the stored status, keeps the history in order', async () => {
    const carol = u.carol!.id;
    const sub = await store.applyTransition({ consumerId: carol, topic: T1, event: ev('request', null, 'requested', carol, 5_000) });
    assert.equal(sub, { id: sub.id, consumerId: carol, topic: T1, status: 'requested', createdAtMs: 5_000, updatedAtMs: 5_000, transaction: txh(block), block });
    assert.equal(await store.subscriptionById(sub.id), sub);
    assert.equal(await store.subscriptionOf(carol, T1), sub);
    const accepted = await store.applyTransition({ consumerId: carol, topic: T1, event: ev('accept', 'requested', 'accepted', u.alice!.id, 5_100) });
    assert.is(accepted.id, sub.id);
    assert.is(accepted.status, 'accepted');
    assert.is(accepted.createdAtMs, 5_000);
    assert.is(accepted.updatedAtMs, 5_100);
    assert.is(accepted.transaction, txh(block));
    assert.is(accepted.block, block);
    await store.applyTransition({ consumerId: carol, topic: T1, event: ev('revoke', 'accepted', 'revoked', u.admin!.id, 5_200) });
    const again = await store.applyTransition({ consumerId: carol, topic: T1, event: ev('request', 'revoked', 'requested', carol, 5_300) });
    assert.is(again.id, sub.id, 'one subscription per (consumer, topic)');
    const final = await store.applyTransition({ consumerId: carol, topic: T1, event: ev('accept', 'requested', 'accepted', u.alice!.id, 5_400) });
    const history = await store.historyOf(sub.id);
    assert.equal(history.map((e) => [e.action, e.from, e.to, e.atMs]), [
      ['request', null, 'requested', 5_000], ['accept', 'requested', 'accepted', 5_100], ['revoke', 'accepted', 'revoked', 5_200],
      ['request', 'revoked', 'requested', 5_300], ['accept', 'requested', 'accepted', 5_400],
    ]);
    assert.equal(history.map((e) => e.actorId), [carol, u.alice!.id, u.admin!.id, carol, u.alice!.id]);
    assert.ok(history.every((e) => e.subscriptionId === sub.id));
    assert.equal(history.at(-1), { subscriptionId: sub.id, action: 'accept', from: 'requested', to: 'accepted', actorId: u.alice!.id, atMs: 5_400, transaction: final.transaction!, block: final.block! });
    assert.equal(await store.historyOf(999_999), []);
    assert.is(await store.subscriptionById(999_999), null);
    assert.is(await store.subscriptionOf(u.dave!.id, T1), null);
  });

  t('a transition from a status no longer stored is BAL_STORE_CONFLICT and writes nothing', async () => {
    const carol = u.carol!.id;
    const before = await store.subscriptionOf(carol, T1);
    const history = await store.historyOf(before!.id);
    await rejects(store.applyTransition({ consumerId: carol, topic: T1, event: ev('request', null, 'requested', carol, 6_000) }), 'BAL_STORE_CONFLICT');
    await rejects(store.applyTransition({ consumerId: carol, topic: T1, event: ev('refuse', 'requested', 'refused', u.alice!.id, 6_000) }), 'BAL_STORE_CONFLICT');
    await rejects(store.applyTransition({ consumerId: u.dave!.id, topic: T1, event: ev('cancel', 'requested', 'cancelled', u.dave!.id, 6_000) }), 'BAL_STORE_CONFLICT');
    assert.equal(await store.subscriptionOf(carol, T1), before);
    assert.equal(await store.historyOf(before!.id), history);
    assert.is(await store.subscriptionOf(u.dave!.id, T1), null);
  });

  t('concurrent decisions on one request: exactly one wins, the other is BAL_STORE_CONFLICT', async () => {
    const dave = u.dave!.id;
    const sub = await store.applyTransition({ consumerId: dave, topic: T2, event: ev('request', null, 'requested', dave, 7_000) });
    const results = await Promise.allSettled([
      store.applyTransition({ consumerId: dave, topic: T2, event: ev('accept', 'requested', 'accepted', u.bob!.id, 7_100) }),
      store.applyTransition({ consumerId: dave, topic: T2, event: ev('refuse', 'requested', 'refused', u.admin!.id, 7_100) }),
      store.applyTransition({ consumerId: dave, topic: T2, event: ev('cancel', 'requested', 'cancelled', dave, 7_100) }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.is(won.length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(isLightNodeError(r.reason, 'BAL_STORE_CONFLICT'), String(r.reason));
    assert.is((await store.historyOf(sub.id)).length, 2);
    // leave T2 accepted for dave for the grant tests
    const now = (await store.subscriptionById(sub.id))!;
    if (now.status !== 'accepted') {
      const back = now.status === 'refused' ? ev('request', 'refused', 'requested', dave, 7_200) : ev('request', 'cancelled', 'requested', dave, 7_200);
      await store.applyTransition({ consumerId: dave, topic: T2, event: back });
      await store.applyTransition({ consumerId: dave, topic: T2, event: ev('accept', 'requested', 'accepted', u.bob!.id, 7_300) });
    }
    assert.is((await store.subscriptionById(sub.id))!.status, 'accepted');
  });

  t('applyTransition refuses an unknown consumer, actor or topic and malformed events', async () => {
    const carol = u.carol!.id;
    await rejects(store.applyTransition({ consumerId: 999_999, topic: T3, event: ev('request', null, 'requested', 999_999, 1) }), 'BAL_ACCESS_USER_UNKNOWN', 'consumerId');
    await rejects(store.applyTransition({ consumerId: carol, topic: topicOf('IT001E00000077'), event: ev('request', null, 'requested', carol, 1) }), 'BAL_ACCESS_TOPIC_UNKNOWN');
    await rejects(store.applyTransition({ consumerId: carol, topic: T3, event: ev('request', null, 'requested', 999_999, 1) }), 'BAL_ACCESS_USER_UNKNOWN', 'event.actorId');
    assert.is(await store.subscriptionOf(carol, T3), null);
    const good = { consumerId: carol, topic: T3, event: ev('request', null, 'requested', carol, 1) };
    await rejects(store.applyTransition({ ...good, event: { ...good.event, to: 'granted' as SubscriptionStatus } }), 'BAL_STORE_INVALID', 'event.to');
    await rejects(store.applyTransition({ ...good, event: { ...good.event, from: 'pending' as SubscriptionStatus } }), 'BAL_STORE_INVALID', 'event.from');
    await rejects(store.applyTransition({ ...good, event: { ...good.event, action: 'grant' as SubscriptionAction } }), 'BAL_STORE_INVALID', 'event.action');
    await rejects(store.applyTransition({ ...good, event: { ...good.event, transaction: '0x1234' } }), 'BAL_STORE_INVALID', 'event.transaction');
    await rejects(store.applyTransition({ ...good, event: { ...good.event, block: -1 } }), 'BAL_STORE_INVALID', 'event.block');
    await rejects(store.applyTransition({ ...good, event: { ...good.event, atMs: 1.5 } }), 'BAL_STORE_INVALID', 'event.atMs');
    await rejects(store.applyTransition({ ...good, consumerId: -1 }), 'BAL_STORE_INVALID', 'consumerId');
    await rejects(store.applyTransition({ ...good, topic: '' }), 'BAL_STORE_INVALID', 'topic');
    assert.is(await store.subscriptionOf(carol, T3), null);
  });

  t('listSubscriptions filters by consumer, topic, producer (the stream owner) and status, ordered by id', async () => {
    const carol = u.carol!.id; const dave = u.dave!.id;
    await store.applyTransition({ consumerId: carol, topic: T3, event: ev('request', null, 'requested', carol, 8_000) });
    await store.applyTransition({ consumerId: dave, topic: T3, event: ev('request', null, 'requested', dave, 8_001) });
    await store.applyTransition({ consumerId: dave, topic: T3, event: ev('cancel', 'requested', 'cancelled', dave, 8_002) });
    await store.applyTransition({ consumerId: u.bob!.id, topic: T1, event: ev('request', null, 'requested', u.bob!.id, 8_003) });
    // carol T1 accepted, dave T2 accepted, carol T3 requested, dave T3 cancelled, bob T1 requested
    const key = (xs: { consumerId: number; topic: string }[]) => xs.map((x) => `${x.consumerId}:${x.topic}`);
    const all = await store.listSubscriptions();
    assert.is(all.length, 5);
    assert.equal(all.map((x) => x.id), [...all.map((x) => x.id)].sort((a, b) => a - b));
    assert.equal(key(await store.listSubscriptions({ consumerId: carol })), [`${carol}:${T1}`, `${carol}:${T3}`]);
    assert.equal(key(await store.listSubscriptions({ topic: T3 })), [`${carol}:${T3}`, `${dave}:${T3}`]);
    assert.equal(key(await store.listSubscriptions({ producerId: u.alice!.id })), [`${carol}:${T1}`, `${carol}:${T3}`, `${dave}:${T3}`, `${u.bob!.id}:${T1}`]);
    assert.equal(key(await store.listSubscriptions({ producerId: u.bob!.id })), [`${dave}:${T2}`]);
    assert.equal(key(await store.listSubscriptions({ status: 'accepted' })), [`${carol}:${T1}`, `${dave}:${T2}`]);
    assert.equal(key(await store.listSubscriptions({ producerId: u.alice!.id, status: 'requested' })), [`${carol}:${T3}`, `${u.bob!.id}:${T1}`]);
    assert.equal(key(await store.listSubscriptions({ consumerId: dave, topic: T3, status: 'cancelled' })), [`${dave}:${T3}`]);
    assert.equal(await store.listSubscriptions({ consumerId: dave, status: 'refused' }), []);
    assert.equal(await store.listSubscriptions({ producerId: u.carol!.id }), []);
    await rejects(store.listSubscriptions({ status: 'granted' as SubscriptionStatus }), 'BAL_STORE_INVALID', 'status');
    await rejects(store.listSubscriptions({ consumerId: -1 }), 'BAL_STORE_INVALID', 'consumerId');
  });

  t('acceptedGrants: accepted subscriptions of enabled consumers, by username', async () => {
    assert.equal(await store.acceptedGrants(), [{ username: 'carol', topic: T1 }, { username: 'dave', topic: T2 }]);
    await store.setEnabled(u.dave!.id, false, 9_000);
    assert.equal(await store.acceptedGrants(), [{ username: 'carol', topic: T1 }], 'a disabled consumer gets no grant');
    await store.setEnabled(u.dave!.id, true, 9_001);
    await store.applyTransition({ consumerId: u.carol!.id, topic: T1, event: ev('cancel', 'accepted', 'cancelled', u.carol!.id, 9_002) });
    assert.equal(await store.acceptedGrants(), [{ username: 'dave', topic: T2 }]);
  });

  t('sessions: found until they expire, deleted one by one or per user, expired ones purged', async () => {
    const h = (n: number) => n.toString(16).padStart(64, '0');
    await store.createSession({ tokenHash: h(1), userId: u.carol!.id, expiresAtMs: 10_000 });
    await store.createSession({ tokenHash: h(2), userId: u.carol!.id, expiresAtMs: 20_000 });
    await store.createSession({ tokenHash: h(3), userId: u.dave!.id, expiresAtMs: 20_000 });
    assert.equal(await store.sessionByTokenHash(h(1), 9_999), { tokenHash: h(1), userId: u.carol!.id, expiresAtMs: 10_000 });
    assert.is(await store.sessionByTokenHash(h(1), 10_000), null, 'expired at expiresAtMs');
    assert.is(await store.sessionByTokenHash(h(9), 10_000), null);
    // Purged (a later lookup is at least a purge interval on): gone even when asked with an earlier time.
    assert.is(await store.sessionByTokenHash(h(2), 10_000 + 120_000), null);
    assert.is(await store.sessionByTokenHash(h(1), 1), null, 'the expired session was purged');
    await store.createSession({ tokenHash: h(4), userId: u.carol!.id, expiresAtMs: 500_000 });
    await store.createSession({ tokenHash: h(5), userId: u.carol!.id, expiresAtMs: 500_000 });
    await store.createSession({ tokenHash: h(6), userId: u.dave!.id, expiresAtMs: 500_000 });
    await rejects(store.createSession({ tokenHash: h(4), userId: u.dave!.id, expiresAtMs: 600_000 }), 'BAL_STORE_CONFLICT');
    assert.is((await store.sessionByTokenHash(h(4), 200_000))!.userId, u.carol!.id, 'the first session keeps its hash');
    await rejects(store.createSession({ tokenHash: h(7), userId: 999_999, expiresAtMs: 500_000 }), 'BAL_ACCESS_USER_UNKNOWN');
    await store.deleteSession(h(4));
    assert.is(await store.sessionByTokenHash(h(4), 200_000), null);
    assert.ok(await store.sessionByTokenHash(h(5), 200_000));
    await store.deleteSessionsOf(u.carol!.id);
    assert.is(await store.sessionByTokenHash(h(5), 200_000), null);
    assert.ok(await store.sessionByTokenHash(h(6), 200_000), "another user's session stays");
    await store.deleteSession(h(99)); // unknown: no-op
    await rejects(store.createSession({ tokenHash: '', userId: u.dave!.id, expiresAtMs: 1 }), 'BAL_STORE_INVALID', 'tokenHash');
    await rejects(store.createSession({ tokenHash: h(8), userId: u.dave!.id, expiresAtMs: -1 }), 'BAL_STORE_INVALID', 'expiresAtMs');
    await rejects(store.sessionByTokenHash(h(6), Number.NaN), 'BAL_STORE_INVALID', 'nowMs');
  });

  t('login failures: recorded per key, read back after a time (latest `limit`, ascending), forgotten, cleared; a second connection sees them', async () => {
    await store.addLoginFailure('user:carol', 1_000, 0);
    await store.addLoginFailure('user:carol', 2_000, 0);
    await store.addLoginFailure('user:carol', 3_000, 0);
    await store.addLoginFailure('addr:192.0.2.1', 2_500, 0);
    assert.equal(await store.loginFailures('user:carol', 0, 10), [1_000, 2_000, 3_000]);
    assert.equal(await store.loginFailures('user:carol', 0, 2), [2_000, 3_000], 'the latest two');
    assert.equal(await store.loginFailures('user:carol', 1_000, 10), [2_000, 3_000], 'after sinceMs only');
    assert.equal(await store.loginFailures('addr:192.0.2.1', 0, 10), [2_500]);
    assert.equal(await store.loginFailures('user:nobody', 0, 10), []);
    // Another instance's connection to the same store counts the same failures.
    const other = await factory.open();
    try {
      await other.addLoginFailure('user:carol', 4_000, 0);
      assert.equal(await store.loginFailures('user:carol', 0, 10), [1_000, 2_000, 3_000, 4_000]);
      // forgetBeforeMs drops the key's old failures (and, at the first add of a purge interval, every key's).
      await other.addLoginFailure('user:carol', 200_000, 2_000);
      assert.equal(await store.loginFailures('user:carol', 0, 10), [3_000, 4_000, 200_000]);
      await other.clearLoginFailures('user:carol');
    } finally { await other.close(); }
    assert.equal(await store.loginFailures('user:carol', 0, 10), []);
    assert.equal(await store.loginFailures('addr:192.0.2.1', 0, 10), [2_500], 'other keys stay');
    await rejects(store.addLoginFailure('', 1, 0), 'BAL_STORE_INVALID', 'key');
    await rejects(store.loginFailures('user:x', 0, 0), 'BAL_STORE_INVALID', 'limit');
    await rejects(store.addLoginFailure('user:x', -1, 0), 'BAL_STORE_INVALID', 'atMs');
  });

  t('subscriptionEventsAfter: every decision in order with PoD and usernames; liveFeedStart names the last', async () => {
    const subs = await store.listSubscriptions();
    const histories = await Promise.all(subs.map(async (s) => ({ s, h: await store.historyOf(s.id) })));
    const total = histories.reduce((n, x) => n + x.h.length, 0);
    assert.ok(total >= 2, 'the suite made decisions');
    const all = await store.subscriptionEventsAfter(0, 1000);
    assert.is(all.length, total);
    assert.equal(all.map((e) => e.eventId), [...all.map((e) => e.eventId)].sort((a, b) => a - b), 'ascending');
    const users = new Map((await store.listUsers()).map((x) => [x.id, x.username]));
    const streams = new Map((await store.listStreams()).map((x) => [x.topic, x]));
    for (const e of all) {
      const sub = subs.find((s) => s.id === e.id)!;
      assert.is(e.topic, sub.topic);
      assert.is(e.consumer, users.get(sub.consumerId));
      assert.is(e.producer, users.get(streams.get(sub.topic)!.producerId));
      assert.is(e.pod, streams.get(sub.topic)!.pod);
    }
    const last = all[all.length - 1]!;
    assert.is(last.status, histories.find((x) => x.s.id === last.id)!.h.at(-1)!.to, 'the event says the status it moved to');
    assert.equal(await store.subscriptionEventsAfter(all[0]!.eventId, 1000), all.slice(1));
    assert.is((await store.subscriptionEventsAfter(0, 1)).length, 1);
    assert.is((await store.liveFeedStart()).maxSubscriptionEventId, last.eventId);
  });

  t('event tickets: taken once (expired or not), seen from another connection, counted while live', async () => {
    const h = (n: number) => `t${n}`.padEnd(64, '0');
    await store.createEventTicket({ ticketHash: h(1), principal: '{"c":"dso"}', expiresAtMs: 50_000 });
    await store.createEventTicket({ ticketHash: h(2), principal: '{"s":"abc"}', expiresAtMs: 10_000 });
    await rejects(store.createEventTicket({ ticketHash: h(1), principal: 'x', expiresAtMs: 60_000 }), 'BAL_STORE_CONFLICT');
    assert.is(await store.countEventTickets(9_000), 2);
    const other = await factory.open();
    try {
      assert.is(await other.takeEventTicket(h(1), 20_000), '{"c":"dso"}', 'another instance takes it');
    } finally { await other.close(); }
    assert.is(await store.takeEventTicket(h(1), 20_000), null, 'single use');
    assert.is(await store.takeEventTicket(h(2), 10_000), null, 'expired at expiresAtMs');
    assert.is(await store.takeEventTicket(h(2), 1), null, 'and gone');
    await store.createEventTicket({ ticketHash: h(3), principal: 'p', expiresAtMs: 30_000 });
    assert.is(await store.countEventTickets(20_000), 1);
    assert.is(await store.countEventTickets(30_000), 0, 'expired ones are not counted (and purged)');
    await rejects(store.createEventTicket({ ticketHash: '', principal: 'p', expiresAtMs: 1 }), 'BAL_STORE_INVALID', 'ticketHash');
  });

  t('the history is append-only: the database itself refuses UPDATE and DELETE', async () => {
    const sub = (await store.listSubscriptions())[0]!;
    const before = await store.historyOf(sub.id);
    for (const sql of [`UPDATE subscription_events SET to_status = 'accepted' WHERE subscription_id = ${sub.id}`, `DELETE FROM subscription_events WHERE subscription_id = ${sub.id}`]) {
      let refused = false;
      try { await factory.rawSql(sql); } catch (err) { refused = /append-only/.test(String((err as Error).message)); }
      assert.ok(refused, sql);
    }
    assert.equal(await store.historyOf(sub.id), before);
  });

  t('access data survives close and reopen', async () => {
    const users = await store.listUsers();
    const subs = await store.listSubscriptions();
    const history = await store.historyOf(subs[0]!.id);
    await store.close();
    store = await factory.open();
    assert.equal(await store.listUsers(), users);
    assert.equal(await store.listSubscriptions(), subs);
    assert.equal(await store.historyOf(subs[0]!.id), history);
    const eve = await store.createUser(newUser('eve', 'consumer', 0xe7e), 11_000);
    assert.ok(eve.id > users.at(-1)!.id, 'ids keep increasing after reopen');
  });

  t.run();
}
