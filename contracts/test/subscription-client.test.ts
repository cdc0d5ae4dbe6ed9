// The ethers SubscriptionRegistry client (src/subscriptions/client.ts) on a real anvil: each
// contract refusal becomes its CONTRACTS_SUBSCRIPTION_* code, setTopicProvider is idempotent,
// record reports where it landed, the views and the DecisionRecorded history read back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, ZeroAddress } from 'ethers';
import { isLightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { subscriptionRegistryClient, type SubscriptionRegistryClient } from '../src/subscriptions/client.js';
import { subscriptionDomain, subscriptionKey, type Decision } from '../src/subscriptions/decision.js';
import { SUBSCRIPTION_ERROR_CODES } from '../src/subscriptions/errors.js';
import { STATUS, chainNow, freshTopic, signed } from './helpers/decisions.js';

let fx: ChainFixture;
let relay: SubscriptionRegistryClient;
let provider: Wallet, consumer: Wallet;
let topic: string;
const seen = new Set<ErrorCode>();

test.before(async () => {
  fx = await startChain();
  relay = subscriptionRegistryClient(fx.deployment.subscriptionRegistry!, fx.wallets[0]!);
  [provider, consumer] = [fx.wallets[1]!, fx.wallets[2]!];
  topic = freshTopic('client');
});
test.after(async () => { await fx?.stop(); });

const P = (): Hex => provider.address.toLowerCase() as Hex;
const C = (): Hex => consumer.address.toLowerCase() as Hex;

/** Fails unless `p` rejects with a LightNodeError of `code`; returns its details. */
async function refused(p: Promise<unknown>, code: ErrorCode): Promise<Record<string, unknown>> {
  const err = await p.then(() => null, (e: unknown) => e);
  assert.ok(isLightNodeError(err, code), `expected ${code}, got ${err === null ? 'success' : String((err as Error).message ?? err)}`);
  seen.add(code);
  return (err as { details: Record<string, unknown> }).details;
}

test('setTopicProvider: sends once, then null (already so); views follow', async () => {
  assert.is(await relay.topicProviderOf(topic), null);
  const first = await relay.setTopicProvider(topic, provider.address);
  assert.ok(first);
  const rc = await fx.provider.getTransactionReceipt(first!.transaction);
  assert.is(rc!.blockNumber, first!.block);
  assert.is(first!.timestampSec, (await fx.provider.getBlock(first!.block))!.timestamp);
  assert.is(await relay.topicProviderOf(topic), P());
  const blockBefore = await fx.provider.getBlockNumber();
  assert.is(await relay.setTopicProvider(topic, provider.address.toUpperCase().replace('0X', '0x')), null);
  assert.is(await fx.provider.getBlockNumber(), blockBefore, 'nothing sent');
});

test('record: lands, returns transaction, block and the event time; views and nonces follow', async () => {
  assert.is(await relay.subscriptionOf(P(), C(), topic), null);
  assert.is(await relay.nonceOf(consumer.address), 0n);
  const { d, sig } = await signed(fx, consumer, { provider: P(), consumer: C(), topic, status: STATUS.requested });
  const out = await relay.record(d, sig);
  const rc = await fx.provider.getTransactionReceipt(out.transaction);
  assert.equal([rc!.blockNumber, rc!.status], [out.block, 1]);
  assert.is(out.timestampSec, (await fx.provider.getBlock(out.block))!.timestamp);
  assert.is(await relay.nonceOf(consumer.address), 1n);
  assert.equal(await relay.subscriptionOf(P(), C(), topic), { provider: P(), consumer: C(), topic, status: 'requested', createdAtSec: out.timestampSec, updatedAtSec: out.timestampSec });
  assert.equal((await relay.subscriptionsOfTopic(topic)).map((s) => [s.consumer, s.status]), [[C(), 'requested']]);
  assert.equal((await relay.domain()), subscriptionDomain(fx.deployment.chainId, fx.deployment.subscriptionRegistry!));
});

test('each contract refusal of record is its CONTRACTS_SUBSCRIPTION_* code, with the error and its args', async () => {
  const now = await chainNow(fx);
  const base: Decision = { provider: P(), consumer: C(), topic, status: 1, nonce: 0n, deadline: now + 600 };
  assert.equal(await refused(relay.record({ ...base, status: 0 as never }, '0x'), 'CONTRACTS_SUBSCRIPTION_INVALID_STATUS'), { error: 'InvalidStatus', args: ['0'] });
  await refused(relay.record({ ...base, topic: '' }, '0x'), 'CONTRACTS_SUBSCRIPTION_INVALID_TOPIC');
  await refused(relay.record({ ...base, consumer: ZeroAddress as Hex }, '0x'), 'CONTRACTS_SUBSCRIPTION_ZERO_ADDRESS');
  await refused(relay.record({ ...base, consumer: P() }, '0x'), 'CONTRACTS_SUBSCRIPTION_SELF_SUBSCRIPTION');
  await refused(relay.record({ ...base, deadline: now - 10 }, '0x'), 'CONTRACTS_SUBSCRIPTION_DECISION_EXPIRED');
  await refused(relay.record(base, '0x'), 'CONTRACTS_SUBSCRIPTION_INVALID_SIGNATURE');
  const replay = await signed(fx, consumer, { provider: P(), consumer: C(), topic, status: STATUS.cancelled, nonce: 0n });
  assert.equal(await refused(relay.record(replay.d, replay.sig), 'CONTRACTS_SUBSCRIPTION_NONCE_MISMATCH'), { error: 'NonceMismatch', args: ['1', '0'] });
  const unknown = freshTopic('nobody');
  const u = await signed(fx, consumer, { provider: P(), consumer: C(), topic: unknown, status: STATUS.requested });
  await refused(relay.record(u.d, u.sig), 'CONTRACTS_SUBSCRIPTION_TOPIC_UNKNOWN');
  const other = fx.wallets[5]!.address.toLowerCase() as Hex;
  const np = await signed(fx, consumer, { provider: other, consumer: C(), topic, status: STATUS.requested });
  await refused(relay.record(np.d, np.sig), 'CONTRACTS_SUBSCRIPTION_NOT_TOPIC_PROVIDER');
  const ws = await signed(fx, consumer, { provider: P(), consumer: C(), topic, status: STATUS.accepted });
  await refused(relay.record(ws.d, ws.sig), 'CONTRACTS_SUBSCRIPTION_WRONG_SIGNER');
  const it = await signed(fx, provider, { provider: P(), consumer: C(), topic, status: STATUS.revoked });
  assert.equal(await refused(relay.record(it.d, it.sig), 'CONTRACTS_SUBSCRIPTION_INVALID_TRANSITION'), { error: 'InvalidTransition', args: ['1', '4'] });
  await refused(relay.record(base, 'not hex'), 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID');
});

test('each refusal of setTopicProvider is its code; a runner without a provider is refused', async () => {
  const stranger = subscriptionRegistryClient(fx.deployment.subscriptionRegistry!, fx.wallets[5]!);
  assert.equal(await refused(stranger.setTopicProvider(freshTopic('x'), provider.address), 'CONTRACTS_SUBSCRIPTION_NOT_TOPIC_ADMIN'), { error: 'NotTopicAdmin', args: [fx.wallets[5]!.address] });
  await refused(relay.setTopicProvider('', provider.address), 'CONTRACTS_SUBSCRIPTION_INVALID_TOPIC');
  await refused(relay.setTopicProvider(freshTopic('z'), ZeroAddress), 'CONTRACTS_SUBSCRIPTION_ZERO_ADDRESS');
  await refused(relay.setTopicProvider(freshTopic('z'), '0x1234'), 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID');
  assert.throws(() => subscriptionRegistryClient(fx.deployment.subscriptionRegistry!, Wallet.createRandom()), (e: unknown) => isLightNodeError(e, 'CONTRACTS_REGISTRY_NO_PROVIDER'));
  assert.is(relay.decodeRevert(new Error('socket hang up')), null, 'not a revert');
});

test('every CONTRACTS_SUBSCRIPTION_* code was produced by the client above', () => {
  const all = [...Object.values(SUBSCRIPTION_ERROR_CODES), 'CONTRACTS_SUBSCRIPTION_DECISION_INVALID'];
  assert.equal(all.filter((c) => !seen.has(c as ErrorCode)), []);
});

test('decisionsOfTopic: the topic\'s DecisionRecorded logs in chain order, from a block on, other topics left out', async () => {
  const other = freshTopic('other');
  await relay.setTopicProvider(other, provider.address);
  const acc = await signed(fx, provider, { provider: P(), consumer: C(), topic, status: STATUS.accepted });
  const accepted = await relay.record(acc.d, acc.sig);
  const o = await signed(fx, consumer, { provider: P(), consumer: C(), topic: other, status: STATUS.requested });
  await relay.record(o.d, o.sig);
  const rev = await signed(fx, provider, { provider: P(), consumer: C(), topic, status: STATUS.revoked });
  const revoked = await relay.record(rev.d, rev.sig);

  const logs = await relay.decisionsOfTopic(topic, { fromBlock: fx.deployment.deployBlock });
  assert.equal(logs.map((l) => l.status), ['requested', 'accepted', 'revoked']);
  assert.equal(logs[2], {
    key: subscriptionKey(P(), C(), topic), provider: P(), consumer: C(), topic, status: 'revoked', timestampSec: revoked.timestampSec,
    signer: P(), transaction: revoked.transaction, block: revoked.block, logIndex: logs[2]!.logIndex,
  });
  assert.is(logs[1]!.transaction, accepted.transaction);
  assert.is(logs[0]!.signer, C());
  assert.equal((await relay.decisionsOfTopic(topic, { fromBlock: accepted.block })).map((l) => l.block), [accepted.block, revoked.block]);
  assert.equal((await relay.decisionsOfTopic(topic, { fromBlock: accepted.block, toBlock: accepted.block })).length, 1);
  assert.equal((await relay.decisionsOfTopic(other)).map((l) => l.topic), [other]);
  assert.equal(await relay.decisionsOfTopic(freshTopic('silent')), []);
});

test.run();
