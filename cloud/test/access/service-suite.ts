/**
 * The data-access service suite, run against each store (service-sqlite.test.ts,
 * service-postgres.test.ts) with the real chain and broker (real-parts.ts): a fresh anvil with
 * the SubscriptionRegistry per file, the embedded aedes broker with the embedded enforcer. Users
 * and wallets, the decision flow (with the consumer's own MQTT client), bring-your-own
 * signatures, the certification relay against a redeployed registry, and the hostile table (each
 * refusal: its code, a 4xx, a metric, nothing changed in store, chain and broker).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { isLightNodeError } from '@lightnode/shared/errors';
import { certifiedTopic } from '@lightnode/shared/topics';
import type { Hex } from '@lightnode/shared/hex';
import { chainPerSuite, grantDsoAdmin, increaseTime } from '@lightnode/test-kit/chain';
import { subscriptionRegistryClient } from '@lightnode/contracts/subscriptions/client';
import { MetricsRegistry } from '../../src/metrics.js';
import { createDataAccessService, type AccessUser, type DataAccessService, type DataAccessServiceOptions } from '../../src/access/service.js';
import { ACCESS_STATUS } from '../../src/api/access-routes.js';
import type { BalStore } from '../../src/store/types.js';
import {
  TEST_SCRYPT, canLogin, certifierAt, closedWithin, deployRegistry, nextMessage, startAccessParts, trySubscribe, type AccessParts,
} from './real-parts.js';

/** How a suite gets its store: a fresh one, and its removal at the end. */
export interface SuiteStore { open(): Promise<BalStore>; destroy(): Promise<void> }

export function serviceSuite(name: string, storeOf: SuiteStore): void {
  const test = suite(`data-access service (${name}, anvil, aedes)`);
  const chain = chainPerSuite(test);

  const P1 = 'IT001E00000001';
  const P2 = 'IT001E00000002';
  const T1 = certifiedTopic(P1);
  const T2 = certifiedTopic(P2);
  const PW = 'correct horse battery';
  const BYO = new Wallet(`0x${'4b'.repeat(32)}`);

  // The service's clock stands still (tests move it); it starts at the chain's time, and the chain
  // is moved forward with it, so deadlines (now + 600 s) are valid for the contract.
  let nowMs = 0;
  let store: BalStore;
  let parts: AccessParts;
  let metrics: MetricsRegistry;
  let svc: DataAccessService;
  let options: DataAccessServiceOptions;
  const u: Record<'admin' | 'prodA' | 'prodB' | 'cons' | 'byo', AccessUser> = {} as never;

  test.before(async () => {
    const c = chain();
    nowMs = (await c.provider.getBlock('latest'))!.timestamp * 1000;
    store = await storeOf.open();
    parts = await startAccessParts(c);
    metrics = new MetricsRegistry();
    options = { store, certifier: parts.certifier, enforcer: parts.enforcer, masterKey: new Uint8Array(32).fill(3), clock: { now: () => nowMs }, metrics, deadlineSec: 600, sessionTtlMs: 12 * 3_600_000,
      loginLimits: { perUser: { maxFailures: 5, windowMs: 15 * 60_000 }, perAddress: { maxFailures: 5, windowMs: 15 * 60_000 } }, passwordParams: TEST_SCRYPT };
    svc = createDataAccessService(options);
    parts.bind(svc);
    u.admin = await svc.createUser({ username: 'dso-admin', role: 'admin', password: PW });
    await grantDsoAdmin(c, u.admin.wallet);
    u.prodA = await svc.createUser({ username: 'prod-a', role: 'producer', password: PW, pods: [P1] });
    u.prodB = await svc.createUser({ username: 'prod-b', role: 'producer', password: PW, pods: [P2] });
    u.cons = await svc.createUser({ username: 'cons', role: 'consumer', password: PW });
    u.byo = await svc.createUser({ username: 'byo', role: 'consumer', password: PW, wallet: BYO.address });
  });
  test.after(async () => { await parts?.close(); await store?.close(); await storeOf.destroy(); });

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

  /** The decisions the registry recorded on `topic` (its DecisionRecorded logs), optionally of one consumer. */
  async function logged(topic: string, consumer?: string) {
    return (await parts.reader.decisionsOfTopic(topic)).filter((l) => consumer === undefined || l.consumer === consumer);
  }

  /** Everything the store, the chain (read from the contract) and the broker (its grant table) hold. */
  async function state(): Promise<string> {
    const subs = await store.listSubscriptions();
    const history = await Promise.all(subs.map((s) => store.historyOf(s.id)));
    const wallets = [...Object.values(u).map((x) => x.wallet), parts.relay.address];
    const grants = parts.broker.grants.list().map((g) => `${g.username} ${g.topic}`).sort();
    return JSON.stringify({ users: await store.listUsers(), streams: await store.listStreams(), subs, history, chain: await parts.chainState([T1, T2], wallets), grants });
  }

  test('users: custodial or own wallet, producer streams registered on chain, never a hash or key in the view', async () => {
    assert.is(u.admin.custody, 'custodial');
    assert.match(u.admin.wallet, /^0x[0-9a-f]{40}$/);
    assert.is(u.byo.custody, 'external');
    assert.is(u.byo.wallet, BYO.address.toLowerCase());
    assert.equal(u.prodA.pods, [P1]);
    assert.is(await parts.reader.topicProviderOf(T1), u.prodA.wallet);
    assert.is(await parts.reader.topicProviderOf(T2), u.prodB.wallet);
    for (const x of Object.values(u)) assert.not.ok(/passwordHash|encryptedKey/.test(JSON.stringify(x)));
    assert.ok(await canLogin(parts, 'cons', PW), 'the consumer logs in to the broker');
    assert.not.ok(await canLogin(parts, 'cons', 'wrong password'));
    // Producers read their own streams.
    assert.ok(parts.broker.grants.has('prod-a', T1) && parts.broker.grants.has('prod-b', T2));
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
    // The consumer's own MQTT client: the stream is refused while only requested.
    const early = await parts.mqttClient('cons', PW);
    assert.is(await trySubscribe(early, T1), 128, 'refused before accept');

    const a = await svc.decide(u.prodA, r.id, 'accept');
    assert.is(a.status, 'accepted');
    assert.is(decisions('accept'), before + 1);
    assert.ok(parts.broker.grants.has('cons', T1));
    const m = await parts.mqttClient('cons', PW);
    assert.is(await trySubscribe(m, T1), 1, 'allowed after accept');
    const bal = await parts.balClient();
    const got = nextMessage(m, T1);
    await bal.publishAsync(T1, 'reading-1', { qos: 1 });
    assert.is(await got, 'reading-1');
    assert.is(await trySubscribe(m, T2), 128, 'only the accepted stream');
    assert.equal(await svc.visiblePods(u.cons), [P1]);
    assert.equal(await svc.visiblePods(u.prodA), [P1]);
    assert.is(await svc.visiblePods(u.admin), null);
    assert.equal((await svc.listSubscriptions(u.prodA)).map((s) => s.id), [r.id]);
    assert.equal(await svc.listSubscriptions(u.prodB), []);
    assert.equal((await svc.listSubscriptions(u.admin, { status: 'accepted' })).map((s) => s.id), [r.id]);
    assert.equal(await svc.listSubscriptions(u.admin, { status: 'refused' }), []);
    const onChain = await svc.certifiedOfTopic(T1);
    assert.equal(onChain.map((c) => [c.consumer, c.status, c.transaction]), [[u.cons.wallet, 'accepted', a.transaction]]);

    const closed = closedWithin(m);
    await svc.decide(u.admin, r.id, 'revoke');
    assert.not.ok(parts.broker.grants.has('cons', T1));
    await closed; // the enforcer closes the revoked consumer's connections
    const after = await parts.mqttClient('cons', PW);
    assert.is(await trySubscribe(after, T1), 128, 'refused again after revoke');
    await Promise.all([early, after, bal].map((x) => x.endAsync(true)));
    assert.equal(await svc.visiblePods(u.cons), []);
    assert.is((await svc.request(u.cons, T1)).status, 'requested');
    assert.is((await svc.decide(u.cons, r.id, 'cancel')).status, 'cancelled');
    const h = await svc.history(u.cons, r.id);
    assert.equal(h.map((e) => [e.action, e.from, e.to, e.actor]), [
      ['request', null, 'requested', 'cons'], ['accept', 'requested', 'accepted', 'prod-a'], ['revoke', 'accepted', 'revoked', 'dso-admin'],
      ['request', 'revoked', 'requested', 'cons'], ['cancel', 'requested', 'cancelled', 'cons'],
    ]);
    assert.equal((await logged(T1, u.cons.wallet)).map((d) => d.status), ['requested', 'accepted', 'revoked', 'requested', 'cancelled']);
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
    assert.is((await logged(T2)).at(-1)!.consumer, u.byo.wallet);
    assert.is(await parts.reader.nonceOf(u.byo.wallet), 1n);
    // The producer (custodial) accepts; the BYO consumer cancels with its own signature.
    await svc.decide(u.prodB, r.id, 'accept');
    const c = await svc.typedData(u.byo, { subscriptionId: r.id }, 'cancel');
    assert.is(c.nonce, '1');
    const sig2 = await BYO.signTypedData(c.typedData.domain, types, c.typedData.message) as Hex;
    assert.is((await svc.decide(u.byo, r.id, 'cancel', { signature: sig2, deadline: c.deadline })).status, 'cancelled');
    assert.not.ok(parts.broker.grants.has('byo', T2));
    await refused(svc.decide(u.cons, r.id, 'cancel', { signature: sig2, deadline: c.deadline }), 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN');
  });

  test('hostile table: each refusal has its code, a 4xx, a metric, and changes neither store nor chain', async () => {
    // Fixtures of the table: one requested subscription of `cons` on prod-a's topic, one signed request of byo.
    const sub = await svc.request(u.cons, T1);
    const td = await svc.typedData(u.byo, { topic: T1 }, 'request');
    const { EIP712Domain: _d, ...types } = td.typedData.types;
    const good = await BYO.signTypedData(td.typedData.domain, types, td.typedData.message) as Hex;
    const forged = await Wallet.createRandom().signTypedData(td.typedData.domain, types, td.typedData.message) as Hex;
    // byo's earlier request (on T2, read back from the chain's log), signed again with its already used nonce 0.
    const old = (await logged(T2, u.byo.wallet))[0]!;
    assert.is(old.status, 'requested');
    const replayTd = parts.certifier.typedData({ provider: old.provider, consumer: old.consumer, topic: old.topic, status: 'requested', nonce: 0n, deadline: td.deadline });
    const replayed = await BYO.signTypedData(replayTd.domain, types, replayTd.message) as Hex;
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
    // The limits hold for the right password too, and lift after the window (the chain's time moves along).
    nowMs += 16 * 60_000;
    await increaseTime(chain().provider, 16 * 60);
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
    const n = (await logged(T1)).length;
    const block = await chain().provider.getBlockNumber();
    const results = await Promise.allSettled([svc.decide(u.prodA, sub.id, 'accept'), svc.decide(u.admin, sub.id, 'refuse'), svc.decide(u.prodA, sub.id, 'accept')]);
    assert.is(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.is((r.reason as { code: string }).code, 'BAL_ACCESS_TRANSITION_INVALID');
    assert.is((await logged(T1)).length, n + 1);
    assert.is(await chain().provider.getBlockNumber(), block + 1, 'one transaction');
  });

  test('chain down before the commit: BAL_ACCESS_CHAIN_UNAVAILABLE, nothing changed', async () => {
    const sub = (await svc.listSubscriptions(u.byo, { topic: T1 }))[0]!;
    const before = await state();
    const counted = refusals('BAL_ACCESS_CHAIN_UNAVAILABLE');
    await parts.proxy.down(); // the relay's RPC endpoint refuses connections; anvil keeps its state
    try { await refused(svc.decide(u.prodA, sub.id, 'accept'), 'BAL_ACCESS_CHAIN_UNAVAILABLE'); } finally { await parts.proxy.up(); }
    assert.is(ACCESS_STATUS.BAL_ACCESS_CHAIN_UNAVAILABLE, 503);
    assert.is(refusals('BAL_ACCESS_CHAIN_UNAVAILABLE'), counted + 1);
    assert.is(await state(), before);
    // Back up: the same decision goes through.
    assert.is((await svc.decide(u.prodA, sub.id, 'refuse')).status, 'refused');
  });

  test('certification: the chain record, or the stored decisions relayed again when the chain lacks them', async () => {
    const sub = (await svc.listSubscriptions(u.cons, { topic: T1 }))[0]!;
    const c = await svc.certification(u.prodA.wallet.toUpperCase().replace('0X', '0x'), u.cons.wallet, T1);
    assert.equal({ ...c, timestamp: 0 }, { provider: u.prodA.wallet, consumer: u.cons.wallet, topic: T1, status: sub.status, timestamp: 0, transaction: sub.transaction, block: sub.block });
    await refused(svc.certification(u.prodB.wallet, u.cons.wallet, T1), 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN');
    await refused(svc.certification('0x12', u.cons.wallet, T1), 'BAL_ACCESS_USER_INVALID');
    // A redeployed registry knows nothing: the BAL, restarted against it (same store, same keys) with
    // its streams registered again, relays the request (+ the decision) again.
    const fresh = await deployRegistry(chain(), parts.relay.address, [u.admin.wallet]);
    const certifier = await certifierAt(fresh, parts.relay);
    await certifier.setTopicProvider(T1, u.prodA.wallet);
    const restarted = createDataAccessService({ ...options, certifier, metrics: new MetricsRegistry() });
    assert.equal(await restarted.certifiedOfTopic(T1), []);
    const again = await restarted.certification(u.prodA.wallet, u.cons.wallet, T1);
    assert.is(again.status, sub.status);
    const relayed = await subscriptionRegistryClient(fresh, chain().provider).decisionsOfTopic(T1);
    assert.equal(relayed.map((d) => [d.consumer, d.status]), [[u.cons.wallet, 'requested'], [u.cons.wallet, sub.status]]);
    assert.equal([again.transaction, again.block], [relayed.at(-1)!.transaction, relayed.at(-1)!.block]);
    assert.is((await restarted.certifiedOfTopic(T1)).find((x) => x.consumer === u.cons.wallet)!.status, sub.status);
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
    assert.not.ok(await canLogin(parts, 'cons', PW), 'the broker refuses the disabled user');
    await refused(svc.login('cons', PW, '127.0.0.2'), 'BAL_ACCESS_LOGIN_FAILED');
    await svc.setEnabled('cons', true);
    assert.ok(await canLogin(parts, 'cons', PW));
    await svc.setPassword('cons', 'another long password');
    assert.ok(await canLogin(parts, 'cons', 'another long password'), 'the broker takes the new password');
    assert.not.ok(await canLogin(parts, 'cons', PW));
    assert.ok(await svc.verifyPassword('cons', 'another long password'));
    await refused(svc.setPassword('cons', 'short'), 'BAL_ACCESS_USER_INVALID');
    // Streams added later are registered too.
    const s = await svc.addStream('prod-b', 'IT001E00000003');
    assert.is(await parts.reader.topicProviderOf(s.topic), u.prodB.wallet);
    assert.ok(parts.broker.grants.has('prod-b', s.topic));
    await refused(svc.addStream('cons', 'IT001E00000004'), 'BAL_ACCESS_USER_INVALID');
    await refused(svc.addStream('prod-a', 'IT001E00000003'), 'BAL_ACCESS_TOPIC_EXISTS');
  });

  test.run();
}
