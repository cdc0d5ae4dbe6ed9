// Decisions for the SubscriptionRegistry tests, signed with ethers' signTypedData (the independent
// implementation the contract's digest and src/subscriptions/decision.ts are checked against).
import { Signature, Wallet, type Contract, type TypedDataField } from 'ethers';
import type { Hex } from '@lightnode/shared/hex';
import type { ChainFixture } from '@lightnode/test-kit/chain';
import { DECISION_TYPES as SRC_TYPES, subscriptionDomain, type Decision, type DecisionStatusCode } from '../../src/subscriptions/decision.js';

/** The Decision type as the mutable records ethers takes. */
export const DECISION_TYPES: Record<string, TypedDataField[]> = { Decision: SRC_TYPES.Decision.map((f) => ({ ...f })) };

/** secp256k1 group order (for malleating s). */
export const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export const STATUS = { requested: 1, accepted: 2, refused: 3, revoked: 4, cancelled: 5 } as const satisfies Record<string, DecisionStatusCode>;

let topicSeq = 0;
/** A topic not used before in this process. */
export const freshTopic = (tag = 't'): string => `certified/v1/IT001E${String(++topicSeq).padStart(8, '0')}/readings#${tag}`;

/** The chain time of the latest block. */
export async function chainNow(fx: ChainFixture): Promise<number> {
  return (await fx.provider.getBlock('latest'))!.timestamp;
}

/** The fixture's SubscriptionRegistry domain. */
export const domainOf = (fx: ChainFixture) => subscriptionDomain(fx.deployment.chainId, fx.deployment.subscriptionRegistry!);

/** A decision with the signer's current nonce and a deadline an hour ahead, unless given. */
export async function decision(fx: ChainFixture, signer: Wallet, d: Omit<Decision, 'nonce' | 'deadline'> & { nonce?: bigint; deadline?: number }): Promise<Decision> {
  const nonce = d.nonce ?? ((await fx.subscriptions.getFunction('nonces')(signer.address)) as bigint);
  return { ...d, nonce, deadline: d.deadline ?? (await chainNow(fx)) + 3600 };
}

/** ethers' EIP-712 signature of `d`. */
export async function sign(fx: ChainFixture, signer: Wallet, d: Decision): Promise<Hex> {
  return (await signer.signTypedData(domainOf(fx), DECISION_TYPES, d)) as Hex;
}

/** A signed decision: `decision` then `sign`. */
export async function signed(fx: ChainFixture, signer: Wallet, d: Omit<Decision, 'nonce' | 'deadline'> & { nonce?: bigint; deadline?: number }): Promise<{ d: Decision; sig: Hex }> {
  const full = await decision(fx, signer, d);
  return { d: full, sig: await sign(fx, signer, full) };
}

/** Sends `record(d, sig)` as the fixture's relay (wallets[0]) and waits for it. */
export async function record(fx: ChainFixture, d: Decision, sig: string, as: Contract = fx.subscriptions) {
  const rc = await (await as.getFunction('record')(d, sig)).wait();
  if (!rc || rc.status !== 1) throw new Error('record failed');
  return rc;
}

/** `signer` signs `status` on (provider, consumer, topic) and the relay records it. */
export async function step(fx: ChainFixture, signer: Wallet, provider: string, consumer: string, topic: string, status: DecisionStatusCode) {
  const { d, sig } = await signed(fx, signer, { provider: provider as Hex, consumer: consumer as Hex, topic, status });
  return record(fx, d, sig);
}

/** Sets the topic's provider as the fixture's topic admin. */
export async function setProvider(fx: ChainFixture, topic: string, provider: string): Promise<void> {
  await (await fx.subscriptions.getFunction('setTopicProvider')(topic, provider)).wait();
}

/** The same signature with s replaced by n - s and v flipped: the same signer, the malleable twin. */
export function malleate(sig: string): Hex {
  const s = Signature.from(sig);
  const high = CURVE_N - BigInt(s.s);
  return `0x${s.r.slice(2)}${high.toString(16).padStart(64, '0')}${(s.v === 27 ? 28 : 27).toString(16)}` as Hex;
}

/** A random funded-less wallet: decisions are relayed, so consumers need no ether. */
export const randomWallet = (fx: ChainFixture): Wallet => new Wallet(Wallet.createRandom().privateKey, fx.provider);
