/**
 * The data-access service against a real SQLite store, the in-memory SubscriptionRegistry double
 * (memory-chain.ts: the contract's rules, EIP-712 recovery with ethers) and a recording broker
 * enforcer: users and wallets, the decision flow, bring-your-own signatures, the certification
 * relay, and the hostile table (each refusal: its code, a 4xx, a metric, nothing changed).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { isLightNodeError } from '@lightnode/shared/errors';
import { certifiedTopic } from '@lightnode/shared/topics';
import type { Hex } from '@lightnode/shared/hex';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { createDataAccessService, type AccessUser, type DataAccessService } from '../../src/access/service.js';
import { ACCESS_STATUS } from '../../src/api/access-routes.js';
import type { BalStore } from '../../src/store/types.js';
import { MemoryCertifier, RecordingEnforcer } from './memory-chain.js';

const P1 = 'IT001E00000001';
const P2 = 'IT001E00000002';
const T1 = certifiedTopic(P1);
const T2 = certifiedTopic(P2);
const PW = 'correct horse battery';
const BYO = new Wallet(`0x${'4b'.repeat(32)}`);

let nowMs = 1_765_000_000_000;
let store: BalStore;
let chain: MemoryCertifier;
let broker: RecordingEnforcer;
let metrics: MetricsRegistry;
let svc: DataAccessService;
const u: Record<'admin' | 'prodA' | 'prodB' | 'cons' | 'byo', AccessUser> = {} as never;

test.before(async () => {
  store = openSqliteStore({ path: ':memory:' });
  chain = new MemoryCertifier(() => Math.floor(nowMs / 1000));
  broker = new RecordingEnforcer();
  metrics = new MetricsRegistry();
  svc = createDataAccessService({ store, certifier: chain, enforcer: broker, masterKey: new Uint8Array(32).fill(3), clock: { now: () => nowMs }, metrics, deadlineSec: 600, sessionTtlMs: 12 * 3_600_000,
    loginLimits: { perUser: { maxFailures: 5, windowMs: 15 * 60_000 }, perAddress: { maxFailures: 5, windowMs: 15 * 60_000 } } });
  u.admin = await svc.createUser({ username: 'dso-admin', role: 'admin', password: PW });
  chain.admins.add(u.admin.wallet);
  u.prodA = await svc.createUser({ username: 'prod-a', role: 'producer', password: PW, pods: [P1] });
  u.prodB = await svc.createUser({ username: 'prod-b', role: 'producer', password: PW, pods: [P2] });
  u.cons = await svc.createUser({ username: 'cons', role: 'consumer', password: PW });
  u.byo = await svc.createUser({ username: 'byo', role: 'consumer', password: PW, wallet: BYO.address });
});
test.after(async () => { await store.close(); });

const refusals = (code: string): number => metrics.counter('bal_access_refusals_total', 'Data-access requests refused, by code', ['code']).get({ code });
const decisions = (action: string): number => metrics.counter('bal_access_decisions_total', 'Subscription decisions certified on chain, by action', ['action']).get({ action });

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  try { await p; } catch (err) {
    assert.ok(isLightNodeError(err), String(err));
    assert.is(err.code, code, err.message);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** Everything the store and the chain hold about subscriptions, users and sessions. */
async function state(): Promise<string> {
  const subs = await store.listSubscriptions();
  const history = await Promise.all(subs.map((s) => store.historyOf(s.id)));
  return JSON.stringify({ users: await store.listUsers(), streams: await store.listStreams(), subs, history, chain: chain.snapshot(), grants: [...broker.grants] });
}

test('users: custodial or own wallet, producer streams registered on chain, never a hash or key in the view', async () => {
  assert.is(u.admin.custody, 'custodial');
  assert.match(u.admin.wallet, /^0x[0-9a-f]{40}$/);
  assert.is(u.byo.custody, 'external');
  assert.is(u.byo.wallet, BYO.address.toLowerCase());
  assert.equal(u.prodA.pods, [P1]);
  assert.is(chain.providers.get(T1), u.prodA.wallet);
  assert.is(chain.providers.get(T2), u.prodB.wallet);
  for (const x of Object.values(u)) assert.not.ok(/passwordHash|encryptedKey/.test(JSON.stringify(x)));
  assert.ok(broker.users.get('cons')?.enabled);
  const listed = await svc.listUsers();
  assert.equal(listed.map((x) => x.username), ['dso-admin', 'prod-a', 'prod-b', 'cons', 'byo']);
  assert.not.ok(JSON.stringify(listed).includes('scrypt'));
  assert.ok(await svc.verifyPassword('cons', PW));
  assert.not.ok(await svc.verifyPassword('cons', 'wrong password'));
  assert.not.ok(await svc.verifyPassword('nobody', PW));
  // Bad fields are named; nothing is written.
  const before = await state();
  await refused(svc.createUser({ username: 'x', role: 'consumer', password: PW }), 'BAL_ACCESS_USER_INVALID');
  await refused(svc.createUser({ username: 'IT001E00000009', role: 'consumer', password: PW }), 'BAL_ACCESS_USER_INVALID');
  await refused(svc.createUser({ username: 'short-pw', role: 'consumer', password: 'short' }), 'BAL_ACCESS_USER_INVALID');
  await refused(svc.createUser({ username: 'role-x', role: 'root', password: PW }), 'BAL_ACCESS_USER_INVALID');
  await refused(svc.createUser({ username: 'cons-pods', role: 'consumer', password: PW, pods: [P1] }), 'BAL_ACCESS_USER_INVALID');
  await refused(svc.createUser({ username: 'cons', role: 'consumer', password: PW }), 'BAL_ACCESS_USER_EXISTS');
  await refused(svc.createUser({ username: 'byo-2', role: 'consumer', password: PW, wallet: BYO.address }), 'BAL_ACCESS_USER_EXISTS');
  await refused(svc.createUser({ username: 'prod-c', role: 'producer', password: PW, pods: [P1] }), 'BAL_ACCESS_TOPIC_EXISTS');
  assert.is(await state(), before);
});

test('request → accept → revoke → request → cancel: certified, stored, enforced, visible per role', async () => {
  const before = decisions('accept');
  const r = await svc.request(u.cons, T1);
  assert.is(r.status, 'requested');
  assert.is(r.producer, 'prod-a');
  assert.is(r.providerWallet, u.prodA.wallet);
  assert.match(r.transaction!, /^0x[0-9a-f]{64}$/);
  assert.equal(await svc.visiblePods(u.cons), []);
  const rows = await svc.listProducers(u.cons);
  assert.equal(rows.map((x) => [x.producer, x.topic, x.wallet, x.status]), [['prod-a', T1, u.prodA.wallet, 'requested'], ['prod-b', T2, u.prodB.wallet, null]]);

  const a = await svc.decide(u.prodA, r.id, 'accept');
  assert.is(a.status, 'accepted');
  assert.is(decisions('accept'), before + 1);
  assert.ok(broker.grants.has(`cons ${T1}`));
  assert.equal(await svc.visiblePods(u.cons), [P1]);
  assert.equal(await svc.visiblePods(u.prodA), [P1]);
  assert.is(await svc.visiblePods(u.admin), null);
  assert.equal((await svc.listSubscriptions(u.prodA)).map((s) => s.id), [r.id]);
  assert.equal(await svc.listSubscriptions(u.prodB), []);
  assert.equal((await svc.listSubscriptions(u.admin, { status: 'accepted' })).map((s) => s.id), [r.id]);
  assert.equal(await svc.listSubscriptions(u.admin, { status: 'refused' }), []);
  const onChain = await svc.certifiedOfTopic(T1);
  assert.equal(onChain.map((c) => [c.consumer, c.status, c.transaction]), [[u.cons.wallet, 'accepted', a.transaction]]);

  await svc.decide(u.admin, r.id, 'revoke');
  assert.not.ok(broker.grants.has(`cons ${T1}`));
  assert.equal(await svc.visiblePods(u.cons), []);
  assert.is((await svc.request(u.cons, T1)).status, 'requested');
  assert.is((await svc.decide(u.cons, r.id, 'cancel')).status, 'cancelled');
  const h = await svc.history(u.cons, r.id);
  assert.equal(h.map((e) => [e.action, e.from, e.to, e.actor]), [
    ['request', null, 'requested', 'cons'], ['accept', 'requested', 'accepted', 'prod-a'], ['revoke', 'accepted', 'revoked', 'dso-admin'],
    ['request', 'revoked', 'requested', 'cons'], ['cancel', 'requested', 'cancelled', 'cons'],
  ]);
  assert.equal(chain.log.map((d) => d.status), ['requested', 'accepted', 'revoked', 'requested', 'cancelled']);
  await refused(svc.history(u.byo, r.id), 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN');
  await refused(svc.subscription(u.prodB, r.id), 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN');
});

test('bring-your-own wallet: typed data with nonce and deadline, the signature checked before relaying', async () => {
  const td = await svc.typedData(u.byo, { topic: T2 }, 'request');
  assert.is(td.signer, u.byo.wallet);
  assert.is(td.nonce, '0');
  assert.is(td.deadline, Math.floor(nowMs / 1000) + 600);
  JSON.stringify(td); // JSON-safe (no bigint)
  const { EIP712Domain: _d, ...types } = td.typedData.types;
  const signature = await BYO.signTypedData(td.typedData.domain, types, td.typedData.message) as Hex;
  const before = await state();
  await refused(svc.request(u.byo, T2), 'BAL_ACCESS_SIGNATURE_INVALID');
  await refused(svc.request(u.byo, T2, { signature, deadline: td.deadline + 1 }), 'BAL_ACCESS_SIGNATURE_INVALID');
  assert.is(await state(), before);
  const r = await svc.request(u.byo, T2, { signature, deadline: td.deadline });
  assert.is(r.status, 'requested');
  assert.is(chain.log.at(-1)!.consumer, u.byo.wallet);
  // The producer (custodial) accepts; the BYO consumer cancels with its own signature.
  await svc.decide(u.prodB, r.id, 'accept');
  const c = await svc.typedData(u.byo, { subscriptionId: r.id }, 'cancel');
  assert.is(c.nonce, '1');
  const sig2 = await BYO.signTypedData(c.typedData.domain, types, c.typedData.message) as Hex;
  assert.is((await svc.decide(u.byo, r.id, 'cancel', { signature: sig2, deadline: c.deadline })).status, 'cancelled');
  assert.not.ok(broker.grants.has(`byo ${T2}`));
  await refused(svc.decide(u.cons, r.id, 'cancel', { signature: sig2, deadline: c.deadline }), 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN');
});

test('hostile table: each refusal has its code, a 4xx, a metric, and changes neither store nor chain', async () => {
  // Fixtures of the table: one requested subscription of `cons` on prod-a's topic, one signed request of byo.
  const sub = await svc.request(u.cons, T1);
  const td = await svc.typedData(u.byo, { topic: T1 }, 'request');
  const { EIP712Domain: _d, ...types } = td.typedData.types;
  const good = await BYO.signTypedData(td.typedData.domain, types, td.typedData.message) as Hex;
  const forged = await Wallet.createRandom().signTypedData(td.typedData.domain, types, td.typedData.message) as Hex;
  const old = chain.log.find((d) => d.consumer === u.byo.wallet)!; // byo's earlier, already used nonce 0
  const replayed = await BYO.signTypedData(chain.domain, types, chain.typedData({ ...old, deadline: td.deadline }).message) as Hex;
  const cases: [string, () => Promise<unknown>, string][] = [
    ['consumer accepting its own request', () => svc.decide(u.cons, sub.id, 'accept'), 'BAL_ACCESS_SELF_DECISION'],
    ['producer deciding on another producer\'s topic', () => svc.decide(u.prodB, sub.id, 'accept'), 'BAL_ACCESS_NOT_TOPIC_OWNER'],
    ['producer requesting', () => svc.request(u.prodA, T2), 'BAL_ACCESS_FORBIDDEN'],
    ['admin cancelling a consumer\'s request', () => svc.decide(u.admin, sub.id, 'cancel'), 'BAL_ACCESS_FORBIDDEN'],
    ['revoking a request (not accepted)', () => svc.decide(u.prodA, sub.id, 'revoke'), 'BAL_ACCESS_TRANSITION_INVALID'],
    ['replayed decision signature (used nonce)', () => svc.request(u.byo, T1, { signature: replayed, deadline: td.deadline }), 'BAL_ACCESS_SIGNATURE_INVALID'],
    ['forged decision signature', () => svc.request(u.byo, T1, { signature: forged, deadline: td.deadline }), 'BAL_ACCESS_SIGNATURE_INVALID'],
    ['signature malformed', () => svc.request(u.byo, T1, { signature: '0x1234', deadline: td.deadline }), 'BAL_ACCESS_SIGNATURE_INVALID'],
    ['expired deadline', () => svc.request(u.byo, T1, { signature: good, deadline: Math.floor(nowMs / 1000) - 1 }), 'BAL_ACCESS_SIGNATURE_INVALID'],
    ['custodial user sending a signature', () => svc.request(u.cons, T2, { signature: good, deadline: td.deadline }), 'BAL_ACCESS_SIGNATURE_INVALID'],
    ['unknown topic', () => svc.request(u.cons, certifiedTopic('IT001E99999999')), 'BAL_ACCESS_TOPIC_UNKNOWN'],
    ['not a certified topic', () => svc.request(u.cons, 'ln/v1/IT001E00000001/readings'), 'BAL_ACCESS_TOPIC_UNKNOWN'],
    ['unknown user', () => svc.setPassword('nobody', PW), 'BAL_ACCESS_USER_UNKNOWN'],
    ['unknown consumer wallet', () => svc.certification(u.prodA.wallet, `0x${'99'.repeat(20)}`, T1), 'BAL_ACCESS_USER_UNKNOWN'],
    ['unknown subscription', () => svc.decide(u.prodA, 999_999, 'accept'), 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN'],
    ['duplicate request', () => svc.request(u.cons, T1), 'BAL_ACCESS_DUPLICATE_REQUEST'],
  ];
  for (let i = 0; i < 5; i++) cases.push([`login brute force per user #${i + 1}`, () => svc.login('cons', `wrong-${i}`, `10.0.0.${i}`), 'BAL_ACCESS_LOGIN_FAILED']);
  cases.push(['login brute force per user: limited', () => svc.login('cons', PW, '10.0.1.1'), 'BAL_ACCESS_LOGIN_RATE_LIMITED']);
  for (let i = 0; i < 5; i++) cases.push([`login brute force per address #${i + 1}`, () => svc.login(`guess-${i}`, 'whatever-pw', '10.9.9.9'), 'BAL_ACCESS_LOGIN_FAILED']);
  cases.push(['login brute force per address: limited', () => svc.login('prod-a', PW, '10.9.9.9'), 'BAL_ACCESS_LOGIN_RATE_LIMITED']);

  for (const [name, run, code] of cases) {
    const before = await state();
    const counted = refusals(code);
    await refused(run(), code).catch((err) => { throw new Error(`${name}: ${(err as Error).message}`); });
    const status = ACCESS_STATUS[code as keyof typeof ACCESS_STATUS]!;
    assert.ok(status >= 400 && status < 500, `${name}: ${code} → ${status}`);
    assert.is(refusals(code), counted + 1, `${name}: counted`);
    assert.is(await state(), before, `${name}: nothing changed`);
  }
  // The limits hold for the right password too, and lift after the window.
  nowMs += 16 * 60_000;
  assert.ok((await svc.login('cons', PW, '10.0.1.1')).token);
  assert.ok((await svc.login('prod-a', PW, '10.9.9.9')).token);
  // The genuine signature still goes through after all that.
  const td2 = await svc.typedData(u.byo, { topic: T1 }, 'request');
  const sig = await BYO.signTypedData(td2.typedData.domain, types, td2.typedData.message) as Hex;
  assert.is((await svc.request(u.byo, T1, { signature: sig, deadline: td2.deadline })).status, 'requested');
});

test('concurrent decisions on one subscription: one wins, the other is refused, the chain holds one', async () => {
  const sub = (await svc.listSubscriptions(u.cons, { topic: T1 }))[0]!;
  assert.is(sub.status, 'requested');
  const n = chain.log.length;
  const results = await Promise.allSettled([svc.decide(u.prodA, sub.id, 'accept'), svc.decide(u.admin, sub.id, 'refuse'), svc.decide(u.prodA, sub.id, 'accept')]);
  assert.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') assert.is((r.reason as { code: string }).code, 'BAL_ACCESS_TRANSITION_INVALID');
  assert.is(chain.log.length, n + 1);
});

test('chain down before the commit: BAL_ACCESS_CHAIN_UNAVAILABLE, nothing changed', async () => {
  const sub = (await svc.listSubscriptions(u.byo, { topic: T1 }))[0]!;
  const before = await state();
  chain.down = true;
  try { await refused(svc.decide(u.prodA, sub.id, 'accept'), 'BAL_ACCESS_CHAIN_UNAVAILABLE'); } finally { chain.down = false; }
  assert.is(ACCESS_STATUS.BAL_ACCESS_CHAIN_UNAVAILABLE, 503);
  assert.is(await state(), before);
});

test('certification: the chain record, or the stored decisions relayed again when the chain lacks them', async () => {
  const sub = (await svc.listSubscriptions(u.cons, { topic: T1 }))[0]!;
  const c = await svc.certification(u.prodA.wallet.toUpperCase().replace('0X', '0x'), u.cons.wallet, T1);
  assert.equal({ ...c, timestamp: 0 }, { provider: u.prodA.wallet, consumer: u.cons.wallet, topic: T1, status: sub.status, timestamp: 0, transaction: sub.transaction, block: sub.block });
  await refused(svc.certification(u.prodB.wallet, u.cons.wallet, T1), 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN');
  await refused(svc.certification('0x12', u.cons.wallet, T1), 'BAL_ACCESS_USER_INVALID');
  // A redeployed registry knows nothing: the service relays request (+ the decision) again.
  for (const [k, s] of chain.subs) if (s.consumer === u.cons.wallet) chain.subs.delete(k);
  const n = chain.log.length;
  const again = await svc.certification(u.prodA.wallet, u.cons.wallet, T1);
  assert.is(again.status, sub.status);
  assert.ok(chain.log.length > n);
  assert.is(chain.log.at(-1)!.status, sub.status);
  assert.is((await svc.certifiedOfTopic(T1)).find((x) => x.consumer === u.cons.wallet)!.status, sub.status);
});

test('sessions: login, resolve, logout; disable ends sessions and the broker account; password change', async () => {
  const l = await svc.login('cons', PW, '127.0.0.1');
  assert.match(l.token, /^[A-Za-z0-9_-]{43}$/);
  assert.is(l.expiresAtMs, nowMs + 12 * 3_600_000);
  assert.is((await svc.resolveToken(l.token))?.username, 'cons');
  await svc.logout(l.token);
  assert.is(await svc.resolveToken(l.token), null);
  const l2 = await svc.login('cons', PW, '127.0.0.1');
  const disabled = await svc.setEnabled('cons', false);
  assert.is(disabled.enabled, false);
  assert.is(await svc.resolveToken(l2.token), null);
  assert.is(broker.users.get('cons')?.enabled, false);
  await refused(svc.login('cons', PW, '127.0.0.2'), 'BAL_ACCESS_LOGIN_FAILED');
  await svc.setEnabled('cons', true);
  await svc.setPassword('cons', 'another long password');
  assert.is(broker.users.get('cons')?.password, 'another long password');
  assert.ok(await svc.verifyPassword('cons', 'another long password'));
  await refused(svc.setPassword('cons', 'short'), 'BAL_ACCESS_USER_INVALID');
  // Streams added later are registered too.
  const s = await svc.addStream('prod-b', 'IT001E00000003');
  assert.is(chain.providers.get(s.topic), u.prodB.wallet);
  await refused(svc.addStream('cons', 'IT001E00000004'), 'BAL_ACCESS_USER_INVALID');
  await refused(svc.addStream('prod-a', 'IT001E00000003'), 'BAL_ACCESS_TOPIC_EXISTS');
});

test.run();
