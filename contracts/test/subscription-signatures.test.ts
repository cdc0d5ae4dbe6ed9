// SubscriptionRegistry signatures on a real anvil: forged, flipped, malleated, mis-sized and bad-v
// signatures are refused; the digest of the contract, ethers' TypedDataEncoder and
// src/subscriptions/decision.ts agree, and a decision signed by shared's noble signer records.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Signature, TypedDataEncoder, Wallet, getBytes, hexlify } from 'ethers';
import { signDigest } from '@lightnode/shared/eip712';
import { hexToBytes, type Hex } from '@lightnode/shared/hex';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { decisionDigest, decisionTypedData, type Decision } from '../src/subscriptions/decision.js';
import { expectRevert } from './helpers/chain.js';
import { CURVE_N, DECISION_TYPES, STATUS, domainOf, freshTopic, malleate, randomWallet, record, setProvider, sign, signed } from './helpers/decisions.js';

let fx: ChainFixture;
let provider: Wallet;
let topic: string;

test.before(async () => {
  fx = await startChain();
  provider = fx.wallets[1]!;
  topic = freshTopic('sig');
  await setProvider(fx, topic, provider.address);
});
test.after(async () => { await fx?.stop(); });

const rec = (d: Decision, sig: string) => fx.subscriptions.getFunction('record')(d, sig);
/** A request by a fresh consumer (nonce 0), and its ethers signature. */
async function request(): Promise<{ consumer: Wallet; d: Decision; sig: Hex }> {
  const consumer = randomWallet(fx);
  const { d, sig } = await signed(fx, consumer, { provider: provider.address as Hex, consumer: consumer.address as Hex, topic, status: STATUS.requested });
  return { consumer, d, sig };
}

test('the genuine signature records (the refusals below are not a broken setup)', async () => {
  const { d, sig } = await request();
  await record(fx, d, sig);
});

test('signed by a stranger: WrongSigner naming the stranger', async () => {
  const { d } = await request();
  const stranger = randomWallet(fx);
  const [signer] = await expectRevert(fx.subscriptions, rec(d, await sign(fx, stranger, d)), 'WrongSigner');
  assert.is(signer, stranger.address);
});

test('a flipped bit in s or in the message recovers someone else: WrongSigner, never the consumer', async () => {
  const { consumer, d, sig } = await request();
  const bytes = getBytes(sig);
  bytes[63] = bytes[63]! ^ 0x01; // last byte of s: stays low-s, recovers another key
  const [signer] = await expectRevert(fx.subscriptions, rec(d, hexlify(bytes)), 'WrongSigner');
  assert.is.not(signer, consumer.address);
  const [other] = await expectRevert(fx.subscriptions, rec({ ...d, deadline: d.deadline + 1 }, sig), 'WrongSigner');
  assert.is.not(other, consumer.address, 'a tampered field changes the digest');
});

test('the high-s twin of a good signature is InvalidSignature (ecrecover alone would accept it)', async () => {
  const { consumer, d, sig } = await request();
  const twin = malleate(sig);
  // (r, n - s, v ^ 1) recovers the same key as (r, s, v): only the low-s rule tells them apart.
  const twinS = BigInt(`0x${twin.slice(66, 130)}`);
  assert.is(twinS, CURVE_N - BigInt(Signature.from(sig).s));
  assert.ok(twinS > CURVE_N / 2n, 'high s');
  assert.is(twin.slice(0, 66), sig.slice(0, 66), 'same r');
  await expectRevert(fx.subscriptions, rec(d, twin), 'InvalidSignature');
  await record(fx, d, sig); // the original still works: the refusal used no nonce
  assert.is((await fx.subscriptions.getFunction('nonces')(consumer.address)) as bigint, 1n);
});

test('wrong length (0, 64 compact, 66 bytes) and v not 27/28 are InvalidSignature', async () => {
  const { d, sig } = await request();
  const s = Signature.from(sig);
  const bad: [string, string][] = [
    ['empty', '0x'],
    ['64 bytes (EIP-2098 compact)', s.compactSerialized],
    ['64 bytes (v dropped)', sig.slice(0, 130)],
    ['66 bytes', `${sig}00`],
    ['v = 0', `${sig.slice(0, 130)}00`],
    ['v = 1', `${sig.slice(0, 130)}01`],
    ['v = 29', `${sig.slice(0, 130)}1d`],
    ['r = 0', `0x${'00'.repeat(32)}${sig.slice(66)}`],
  ];
  for (const [name, sigBad] of bad) {
    try {
      await expectRevert(fx.subscriptions, rec(d, sigBad), 'InvalidSignature');
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
  }
  await record(fx, d, sig);
});

test('digest cross-check: contract decisionDigest = ethers TypedDataEncoder = decision.ts (digest and typed data)', async () => {
  const domain = domainOf(fx);
  assert.is(await fx.subscriptions.getFunction('domainSeparator')(), TypedDataEncoder.hashDomain(domain));
  const cases: Decision[] = [
    { provider: provider.address as Hex, consumer: fx.wallets[2]!.address as Hex, topic, status: 1, nonce: 0n, deadline: 0 },
    { provider: fx.wallets[3]!.address as Hex, consumer: fx.wallets[4]!.address as Hex, topic: 'certified/v1/IT001E12345678/readings', status: 4, nonce: 12_345n, deadline: 1_900_000_000 },
    { provider: provider.address as Hex, consumer: fx.wallets[2]!.address as Hex, topic: 'ünïcødé/€/', status: 5, nonce: (1n << 256n) - 1n, deadline: Number.MAX_SAFE_INTEGER },
  ];
  for (const d of cases) {
    const onChain = (await fx.subscriptions.getFunction('decisionDigest')(d)) as string;
    const ethersHash = TypedDataEncoder.hash(domain, DECISION_TYPES, d);
    assert.is(onChain, ethersHash, `contract = ethers (${d.topic})`);
    assert.is(decisionDigest(domain, d), ethersHash, 'decision.ts digest = ethers');
    const typed = decisionTypedData(domain, d);
    const { EIP712Domain, ...types } = typed.types;
    assert.equal(EIP712Domain.map((f) => f.name), ['name', 'version', 'chainId', 'verifyingContract']);
    assert.is(TypedDataEncoder.hash(typed.domain, types, typed.message), ethersHash, 'the typed data JSON hashes the same');
    assert.is(typed.message.nonce, d.nonce.toString(), 'uint256 as a decimal string');
  }
});

test('a decision signed over decision.ts\'s digest with shared\'s noble signer records', async () => {
  const key = Wallet.createRandom();
  const d: Decision = { provider: provider.address as Hex, consumer: key.address as Hex, topic, status: 1, nonce: 0n, deadline: 4_000_000_000 };
  const sig = signDigest(hexToBytes(decisionDigest(domainOf(fx), d)), hexToBytes(key.privateKey as Hex));
  const rc = await record(fx, d, sig);
  assert.is(rc.status, 1);
  assert.is((await fx.subscriptions.getFunction('nonces')(key.address)) as bigint, 1n);
});

test.run();
