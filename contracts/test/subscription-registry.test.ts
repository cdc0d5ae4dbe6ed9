// SubscriptionRegistry on a real anvil (docs/data-access.md "On chain"): every from/to pair of the
// transition table, who may sign each status, replayed nonces, the argument checks, topic
// providers, events and the views. Signatures and digests: subscription-signatures.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ZeroAddress, id, type Wallet } from 'ethers';
import { grantDsoAdmin, increaseTime, startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { subscriptionKey, type DecisionStatusCode } from '../src/subscriptions/decision.js';
import { eventsOf, expectRevert } from './helpers/chain.js';
import { STATUS, chainNow, freshTopic, record, setProvider, signed, step } from './helpers/decisions.js';

let fx: ChainFixture;
let relay: Wallet, provider: Wallet, consumer: Wallet, dsoAdmin: Wallet, stranger: Wallet, otherProvider: Wallet;

test.before(async () => {
  fx = await startChain();
  [relay, provider, consumer, dsoAdmin, stranger, otherProvider] = fx.wallets as [Wallet, Wallet, Wallet, Wallet, Wallet, Wallet];
  await grantDsoAdmin(fx, dsoAdmin.address);
});
test.after(async () => { await fx?.stop(); });

const sub = (name: string, ...args: unknown[]) => fx.subscriptions.getFunction(name)(...args);
const statusOf = async (topic: string, c = consumer.address, p = provider.address): Promise<number> =>
  Number(((await sub('subscriptionOf', p, c, topic)) as { status: bigint }).status);

// The table of docs/data-access.md, written out independently of the contract.
const ALLOWED: Record<number, number[]> = { 0: [1], 1: [2, 3, 5], 2: [4, 5], 3: [1], 4: [1], 5: [1] };
// How to reach each "from" state from none.
const PATH: Record<number, DecisionStatusCode[]> = { 0: [], 1: [1], 2: [1, 2], 3: [1, 3], 4: [1, 2, 4], 5: [1, 5] };
const signerFor = (status: number): Wallet => (status === STATUS.requested || status === STATUS.cancelled ? consumer : provider);

test('roles: the deployer is topic admin, not DSO admin; DSO admins are granted', async () => {
  const topicAdmin = (await sub('TOPIC_ADMIN_ROLE')) as string;
  const dsoRole = (await sub('DSO_ADMIN_ROLE')) as string;
  assert.is(topicAdmin, id('TOPIC_ADMIN_ROLE'));
  assert.is(dsoRole, id('DSO_ADMIN_ROLE'));
  assert.ok(await sub('hasRole', topicAdmin, relay.address));
  assert.not.ok(await sub('hasRole', dsoRole, relay.address), 'dsoAdmins default: none');
  assert.ok(await sub('hasRole', dsoRole, dsoAdmin.address));
  assert.not.ok(await sub('hasRole', topicAdmin, provider.address));
});

test('transition table: all 6 x 5 from/to pairs, allowed ones recorded, the others InvalidTransition', async () => {
  let allowed = 0;
  for (let from = 0; from <= 5; from++) {
    for (let to = 1; to <= 5; to++) {
      const topic = freshTopic(`${from}-${to}`);
      await setProvider(fx, topic, provider.address);
      for (const s of PATH[from]!) await step(fx, signerFor(s), provider.address, consumer.address, topic, s);
      assert.is(await statusOf(topic), from, `reached ${from}`);
      const { d, sig } = await signed(fx, signerFor(to), { provider: provider.address as never, consumer: consumer.address as never, topic, status: to as DecisionStatusCode });
      const nonceBefore = (await sub('nonces', signerFor(to).address)) as bigint;
      if (ALLOWED[from]!.includes(to)) {
        allowed++;
        await record(fx, d, sig);
        assert.is(await statusOf(topic), to, `${from} -> ${to} recorded`);
        assert.is((await sub('nonces', signerFor(to).address)) as bigint, nonceBefore + 1n, 'nonce used up');
      } else {
        const [f, t] = await expectRevert(fx.subscriptions, sub('record', d, sig), 'InvalidTransition');
        assert.equal([Number(f), Number(t)], [from, to], `${from} -> ${to} refused`);
        assert.is(await statusOf(topic), from, 'status unchanged');
        assert.is((await sub('nonces', signerFor(to).address)) as bigint, nonceBefore, 'a refused decision uses no nonce');
      }
    }
  }
  assert.is(allowed, 9, 'nine allowed transitions');
});

test('who may sign: requested/cancelled the consumer only; accepted/refused/revoked the provider or a DSO admin', async () => {
  const signers = { consumer: () => consumer, provider: () => provider, dsoAdmin: () => dsoAdmin, stranger: () => stranger, topicAdmin: () => relay };
  const may: Record<number, string[]> = { 1: ['consumer'], 5: ['consumer'], 2: ['provider', 'dsoAdmin'], 3: ['provider', 'dsoAdmin'], 4: ['provider', 'dsoAdmin'] };
  const before: Record<number, DecisionStatusCode[]> = { 1: [], 2: [1], 3: [1], 4: [1, 2], 5: [1] };
  for (const status of [1, 2, 3, 4, 5] as DecisionStatusCode[]) {
    for (const [name, who] of Object.entries(signers)) {
      const topic = freshTopic(`sign-${status}-${name}`);
      await setProvider(fx, topic, provider.address);
      for (const s of before[status]!) await step(fx, signerFor(s), provider.address, consumer.address, topic, s);
      const { d, sig } = await signed(fx, who(), { provider: provider.address as never, consumer: consumer.address as never, topic, status });
      if (may[status]!.includes(name)) {
        const rc = await record(fx, d, sig);
        assert.is(eventsOf(fx.subscriptions, rc, 'DecisionRecorded')[0]!.signer, who().address, `${name} signs ${status}`);
      } else {
        const [signer, st] = await expectRevert(fx.subscriptions, sub('record', d, sig), 'WrongSigner');
        assert.equal([signer, Number(st)], [who().address, status], `${name} may not sign ${status}`);
      }
    }
  }
});

test('a consumer that is a DSO admin still may not decide on its own subscription', async () => {
  const topic = freshTopic('admin-consumer');
  await setProvider(fx, topic, provider.address);
  await step(fx, dsoAdmin, provider.address, dsoAdmin.address, topic, STATUS.requested);
  const { d, sig } = await signed(fx, dsoAdmin, { provider: provider.address as never, consumer: dsoAdmin.address as never, topic, status: STATUS.accepted });
  await expectRevert(fx.subscriptions, sub('record', d, sig), 'WrongSigner');
  await step(fx, dsoAdmin, provider.address, dsoAdmin.address, topic, STATUS.cancelled); // but it may cancel
  assert.is(await statusOf(topic, dsoAdmin.address), STATUS.cancelled);
});

test('nonces: a replayed or out-of-order decision is NonceMismatch(expected, got)', async () => {
  const topic = freshTopic('nonce');
  await setProvider(fx, topic, provider.address);
  const { d, sig } = await signed(fx, consumer, { provider: provider.address as never, consumer: consumer.address as never, topic, status: STATUS.requested });
  await record(fx, d, sig);
  const [expected, got] = await expectRevert(fx.subscriptions, sub('record', d, sig), 'NonceMismatch');
  assert.equal([expected, got], [d.nonce + 1n, d.nonce], 'replay');
  const ahead = await signed(fx, consumer, { provider: provider.address as never, consumer: consumer.address as never, topic, status: STATUS.cancelled, nonce: d.nonce + 5n });
  const [e2, g2] = await expectRevert(fx.subscriptions, sub('record', ahead.d, ahead.sig), 'NonceMismatch');
  assert.equal([e2, g2], [d.nonce + 1n, d.nonce + 5n], 'ahead of the nonce');
});

test('argument checks: status, topic length, zero addresses, self subscription, expired deadline', async () => {
  const topic = freshTopic('args');
  await setProvider(fx, topic, provider.address);
  const base = { provider: provider.address, consumer: consumer.address, topic, status: 1, nonce: 0n, deadline: (await chainNow(fx)) + 100 };
  for (const status of [0, 6, 255]) assert.equal((await expectRevert(fx.subscriptions, sub('record', { ...base, status }, '0x'), 'InvalidStatus')).map(Number), [status]);
  for (const t of ['', 'x'.repeat(257)]) assert.equal((await expectRevert(fx.subscriptions, sub('record', { ...base, topic: t }, '0x'), 'InvalidTopic')).map(Number), [t.length]);
  await expectRevert(fx.subscriptions, sub('record', { ...base, consumer: ZeroAddress }, '0x'), 'ZeroAddress');
  await expectRevert(fx.subscriptions, sub('record', { ...base, provider: ZeroAddress }, '0x'), 'ZeroAddress');
  assert.equal(await expectRevert(fx.subscriptions, sub('record', { ...base, consumer: provider.address }, '0x'), 'SelfSubscription'), [provider.address]);
  const now = await chainNow(fx);
  const [deadline, nowSec] = await expectRevert(fx.subscriptions, sub('record', { ...base, deadline: now - 1 }, '0x'), 'DecisionExpired');
  assert.is(Number(deadline), now - 1);
  assert.ok(Number(nowSec) > now - 1);
});

test('the deadline second itself is still valid', async () => {
  const topic = freshTopic('deadline');
  await setProvider(fx, topic, provider.address);
  const at = (await chainNow(fx)) + 50;
  const { d, sig } = await signed(fx, consumer, { provider: provider.address as never, consumer: consumer.address as never, topic, status: STATUS.requested, deadline: at });
  await fx.provider.send('evm_setNextBlockTimestamp', [at]);
  // A fixed gas limit skips estimateGas (which would run at the previous block's time).
  const rc = await (await sub('record', d, sig, { gasLimit: 500_000 })).wait();
  assert.is((await fx.provider.getBlock(rc.blockNumber))!.timestamp, at);
  assert.is(await statusOf(topic), STATUS.requested);
});

test('topics: unknown topic, a provider that is not the topic\'s, setTopicProvider only by a topic admin', async () => {
  const unknown = freshTopic('unknown');
  const a = await signed(fx, consumer, { provider: provider.address as never, consumer: consumer.address as never, topic: unknown, status: STATUS.requested });
  assert.equal(await expectRevert(fx.subscriptions, sub('record', a.d, a.sig), 'TopicUnknown'), [unknown]);
  assert.is(await sub('topicProviderOf', unknown), ZeroAddress);

  const topic = freshTopic('owned');
  await expectRevert(fx.subscriptions, fx.subscriptions.connect(provider).getFunction('setTopicProvider')(topic, provider.address), 'NotTopicAdmin');
  await expectRevert(fx.subscriptions, sub('setTopicProvider', topic, ZeroAddress), 'ZeroAddress');
  assert.equal((await expectRevert(fx.subscriptions, sub('setTopicProvider', '', provider.address), 'InvalidTopic')).map(Number), [0]);
  await setProvider(fx, 'y'.repeat(256), provider.address); // the longest topic
  const rc = await (await sub('setTopicProvider', topic, provider.address)).wait();
  assert.equal(eventsOf(fx.subscriptions, rc, 'TopicProviderSet'), [{ topicHash: id(topic), topic, provider: provider.address }]);
  assert.is(await sub('topicProviderOf', topic), provider.address);

  const b = await signed(fx, consumer, { provider: otherProvider.address as never, consumer: consumer.address as never, topic, status: STATUS.requested });
  assert.equal(await expectRevert(fx.subscriptions, sub('record', b.d, b.sig), 'NotTopicProvider'), [topic, provider.address, otherProvider.address]);

  // Moving the topic: decisions must name the new provider; the old subscription stays as it was.
  await step(fx, consumer, provider.address, consumer.address, topic, STATUS.requested);
  await setProvider(fx, topic, otherProvider.address);
  const c = await signed(fx, provider, { provider: provider.address as never, consumer: consumer.address as never, topic, status: STATUS.accepted });
  await expectRevert(fx.subscriptions, sub('record', c.d, c.sig), 'NotTopicProvider');
  await step(fx, consumer, otherProvider.address, consumer.address, topic, STATUS.requested);
  const list = (await sub('subscriptionsOfTopic', topic)) as { provider: string; status: bigint }[];
  assert.equal(list.map((s) => [s.provider, Number(s.status)]), [[provider.address, 1], [otherProvider.address, 1]]);
});

test('DecisionRecorded carries key, topic hash, parties, status, block time and signer', async () => {
  const topic = freshTopic('event');
  await setProvider(fx, topic, provider.address);
  const rc = await step(fx, consumer, provider.address, consumer.address, topic, STATUS.requested);
  const [e] = eventsOf(fx.subscriptions, rc, 'DecisionRecorded');
  const key = subscriptionKey(provider.address, consumer.address, topic);
  assert.equal(e, {
    key, topicHash: id(topic), provider: provider.address, consumer: consumer.address, topic,
    status: 1n, timestamp: BigInt((await fx.provider.getBlock(rc.blockNumber))!.timestamp), signer: consumer.address,
  });
  assert.is(await sub('subscriptionKey', provider.address, consumer.address, topic), key, 'TS key = contract key');
  const byDso = await step(fx, dsoAdmin, provider.address, consumer.address, topic, STATUS.refused);
  assert.is(eventsOf(fx.subscriptions, byDso, 'DecisionRecorded')[0]!.signer, dsoAdmin.address);
});

test('views: subscriptionOf and subscriptionsOfTopic; a re-request keeps createdAt and the one entry', async () => {
  const topic = freshTopic('views');
  const c2 = fx.wallets[6]!;
  await setProvider(fx, topic, provider.address);
  assert.is(((await sub('subscriptionsOfTopic', topic)) as unknown[]).length, 0);
  const empty = (await sub('subscriptionOf', provider.address, consumer.address, topic)) as { status: bigint; createdAt: bigint };
  assert.equal([Number(empty.status), Number(empty.createdAt)], [0, 0]);

  const r1 = await step(fx, consumer, provider.address, consumer.address, topic, STATUS.requested);
  const t1 = (await fx.provider.getBlock(r1.blockNumber))!.timestamp;
  await step(fx, c2, provider.address, c2.address, topic, STATUS.requested);
  await increaseTime(fx.provider, 30);
  await step(fx, provider, provider.address, consumer.address, topic, STATUS.accepted);
  await step(fx, provider, provider.address, consumer.address, topic, STATUS.revoked);
  await increaseTime(fx.provider, 30);
  const r2 = await step(fx, consumer, provider.address, consumer.address, topic, STATUS.requested);
  const t2 = (await fx.provider.getBlock(r2.blockNumber))!.timestamp;
  await step(fx, c2, provider.address, c2.address, topic, STATUS.cancelled);

  const one = (await sub('subscriptionOf', provider.address, consumer.address, topic)) as { provider: string; consumer: string; topic: string; status: bigint; createdAt: bigint; updatedAt: bigint };
  assert.equal([one.provider, one.consumer, one.topic, Number(one.status), Number(one.createdAt), Number(one.updatedAt)], [provider.address, consumer.address, topic, 1, t1, t2]);
  assert.ok(t2 >= t1 + 60);
  const all = (await sub('subscriptionsOfTopic', topic)) as { consumer: string; topic: string; status: bigint }[];
  assert.equal(all.map((s) => [s.consumer, s.topic, Number(s.status)]), [[consumer.address, topic, 1], [c2.address, topic, 5]], 'one entry per consumer, first-request order');
});

test.run();
