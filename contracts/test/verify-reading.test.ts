// ReadingAnchor.verifyReading end to end on a real anvil: readings signed by registered devices,
// anchored in a Merkle tree, verified on-chain; tampered, foreign, revoked, rotated, malleable and
// mis-proved readings are refused with their reason code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Signature, Wallet, concat, hexlify, randomBytes, toBeHex } from 'ethers';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { makeDomain, signReading } from '@lightnode/shared/eip712';
import { buildMerkleTree } from '@lightnode/shared/merkle';
import { increaseTime, chainPerSuite } from '@lightnode/test-kit/chain';
import { send } from './helpers/chain.js';
import { ethersDigest, ethersSign, sampleReading, toStruct } from './helpers/readings.js';
import type { Reading } from '@lightnode/shared/reading';
import type { Eip712Domain as Domain } from '@lightnode/shared/eip712';

// VerifyResult codes of ReadingAnchor.sol.
const OK = 0, SIG_INVALID = 1, SIG_MALLEABLE = 2, NO_DEVICE = 3, NOT_DEVICE = 4, ANCHOR_UNKNOWN = 5, NOT_INCLUDED = 6;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const fx = chainPerSuite(test);
let domain: Domain;
test.before(() => { domain = fx().domain; });

interface Signed { reading: Reading; signature: string; digest: string }
interface Anchored { index: number; tree: SimpleMerkleTree; items: Signed[] }

async function sign(w: Wallet, r: Reading): Promise<Signed> {
  return { reading: r, signature: await ethersSign(w, domain, r), digest: ethersDigest(domain, r) };
}

async function anchorAll(items: Signed[]): Promise<Anchored> {
  const tree = SimpleMerkleTree.of(items.map((s) => s.digest));
  const index = Number(await fx().anchor.getFunction('anchorCount')());
  const ts = items.map((s) => s.reading.timestamp);
  await send(fx().anchor, 'anchor', tree.root, items.length, Math.min(...ts), Math.max(...ts));
  return { index, tree, items };
}

async function verify(s: Signed, index: number, proof: string[], reading = s.reading, sig = s.signature): Promise<[boolean, number]> {
  const [ok, reason] = (await fx().anchor.getFunction('verifyReading')(toStruct(reading), sig, index, proof)) as [boolean, bigint];
  return [ok, Number(reason)];
}

/** A fresh device key (plain Wallet: no mnemonic derivation). */
const randomWallet = (): Wallet => new Wallet(hexlify(randomBytes(32)));
const proofOf = (a: Anchored, s: Signed): string[] => a.tree.getProof(a.items.indexOf(s));
const chainNowMs = async (): Promise<number> => (await fx().provider.getBlock('latest'))!.timestamp * 1000;

test('good readings of two devices verify on-chain (ok, reason 0) at every tree position', async () => {
  const dev1 = randomWallet();
  const dev2 = randomWallet();
  await send(fx().registry, 'registerBatch', ['IT001E00000011', 'IT001E00000012'], [dev1.address, dev2.address]);
  const t0 = await chainNowMs();
  const items: Signed[] = [];
  for (let i = 0; i < 6; i++) {
    items.push(await sign(dev1, sampleReading('IT001E00000011', i, t0 + i * 900, (i % 3) + 1)));
    items.push(await sign(dev2, sampleReading('IT001E00000012', i, t0 + i * 900 + 1, 2)));
  }
  const a = await anchorAll(items);
  for (const s of items) assert.equal(await verify(s, a.index, proofOf(a, s)), [true, OK], `${s.reading.pod}#${s.reading.seq}`);
  // The on-chain digest is the leaf: readingDigest equals the TypeScript digest used to build the tree.
  assert.is(await fx().anchor.getFunction('readingDigest')(toStruct(items[0]!.reading)), items[0]!.digest);
});

test('refused: tampered value, wrong signer, wrong proof, unknown anchor, malleable and malformed signatures', async () => {
  const dev = randomWallet();
  const intruder = randomWallet();
  await send(fx().registry, 'register', 'IT001E00000021', dev.address);
  const t0 = await chainNowMs();
  const good = await sign(dev, sampleReading('IT001E00000021', 1, t0 + 10));
  const other = await sign(dev, sampleReading('IT001E00000021', 2, t0 + 20));
  const foreign = await sign(intruder, sampleReading('IT001E00000021', 3, t0 + 30));
  const a = await anchorAll([good, other, foreign]);
  const proof = proofOf(a, good);
  assert.equal(await verify(good, a.index, proof), [true, OK]);

  const tampered = { ...good.reading, values: [{ ...good.reading.values[0]!, value: good.reading.values[0]!.value + 1 }, ...good.reading.values.slice(1)] };
  assert.equal(await verify(good, a.index, proof, tampered), [false, NOT_DEVICE], 'tampered value recovers another key');
  assert.equal(await verify(foreign, a.index, proofOf(a, foreign)), [false, NOT_DEVICE], 'signed by a key not registered for the PoD');
  assert.equal(await verify(good, a.index, proofOf(a, other)), [false, NOT_INCLUDED], "another leaf's proof");
  assert.equal(await verify(good, a.index, [hexlify(randomBytes(32)), ...proof.slice(1)]), [false, NOT_INCLUDED], 'tampered proof');
  assert.equal(await verify(good, a.index + 1, proof), [false, ANCHOR_UNKNOWN]);

  const sig = Signature.from(good.signature);
  // (r, n - s, v ^ 1) recovers the same key: the malleable twin only the low-s rule rejects.
  const highS = concat([sig.r, toBeHex(N - BigInt(sig.s), 32), sig.v === 27 ? '0x1c' : '0x1b']);
  assert.equal(await verify(good, a.index, proof, good.reading, highS), [false, SIG_MALLEABLE], 'high-s twin of a valid signature');
  assert.equal(await verify(good, a.index, proof, good.reading, good.signature.slice(0, -2)), [false, SIG_INVALID], 'truncated');
  assert.equal(await verify(good, a.index, proof, good.reading, `${good.signature.slice(0, -2)}1d`), [false, SIG_INVALID], 'v = 29');
  assert.equal(await verify(good, a.index, proof, good.reading, `0x${'00'.repeat(64)}1b`), [false, SIG_INVALID], 'r = s = 0');
});

test('revocation: readings signed before the revoke verify; after it, no device', async () => {
  const dev = randomWallet();
  const rc = await send(fx().registry, 'register', 'IT001E00000031', dev.address);
  const tReg = (await fx().provider.getBlock(rc.blockNumber))!.timestamp * 1000;
  const early = await sign(dev, sampleReading('IT001E00000031', 1, tReg - 1)); // before registration
  const before = await sign(dev, sampleReading('IT001E00000031', 2, tReg + 5_000));
  await increaseTime(fx().provider, 60);
  const rv = await send(fx().registry, 'revoke', 'IT001E00000031');
  const tRev = (await fx().provider.getBlock(rv.blockNumber))!.timestamp * 1000;
  const after = await sign(dev, sampleReading('IT001E00000031', 3, tRev + 1));
  const atRevoke = await sign(dev, sampleReading('IT001E00000031', 4, tRev));
  const a = await anchorAll([early, before, after, atRevoke]);
  assert.equal(await verify(before, a.index, proofOf(a, before)), [true, OK], 'signed before the revoke: still valid');
  assert.equal(await verify(after, a.index, proofOf(a, after)), [false, NO_DEVICE], 'signed after the revoke');
  assert.equal(await verify(atRevoke, a.index, proofOf(a, atRevoke)), [false, NO_DEVICE], 'the revoke instant is excluded');
  assert.equal(await verify(early, a.index, proofOf(a, early)), [false, NO_DEVICE], 'before registration');
});

test('rotation: old device valid before the rotation only, new device from it', async () => {
  const oldDev = randomWallet();
  const newDev = randomWallet();
  await send(fx().registry, 'register', 'IT001E00000041', oldDev.address);
  await increaseTime(fx().provider, 30);
  const rc = await send(fx().registry, 'rotate', 'IT001E00000041', newDev.address);
  const tRot = (await fx().provider.getBlock(rc.blockNumber))!.timestamp * 1000;
  const oldBefore = await sign(oldDev, sampleReading('IT001E00000041', 1, tRot - 1));
  const oldAfter = await sign(oldDev, sampleReading('IT001E00000041', 2, tRot));
  const newBefore = await sign(newDev, sampleReading('IT001E00000041', 1, tRot - 1));
  const newAfter = await sign(newDev, sampleReading('IT001E00000041', 2, tRot + 1));
  const a = await anchorAll([oldBefore, oldAfter, newBefore, newAfter]);
  assert.equal(await verify(oldBefore, a.index, proofOf(a, oldBefore)), [true, OK]);
  assert.equal(await verify(oldAfter, a.index, proofOf(a, oldAfter)), [false, NOT_DEVICE]);
  assert.equal(await verify(newBefore, a.index, proofOf(a, newBefore)), [false, NOT_DEVICE]);
  assert.equal(await verify(newAfter, a.index, proofOf(a, newAfter)), [true, OK]);
});

test('noble-signed readings (@lightnode/shared) in a @lightnode/shared/merkle tree verify on-chain', async () => {
  const key = randomBytes(32);
  const dev = new Wallet(hexlify(key));
  await send(fx().registry, 'register', 'IT001E00000051', dev.address);
  const t0 = await chainNowMs();
  const d = makeDomain(fx().deployment.chainId, fx().deployment.podRegistry);
  const signed = Array.from({ length: 9 }, (_, i) => signReading(d, sampleReading('IT001E00000051', i, t0 + i, (i % 6) + 1), key));
  const digests = signed.map((s) => ethersDigest(domain, s));
  const tree = buildMerkleTree(digests.map((h) => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))));
  const index = Number(await fx().anchor.getFunction('anchorCount')());
  await send(fx().anchor, 'anchor', tree.root, signed.length, t0, t0 + 8);
  for (const [i, s] of signed.entries()) {
    const [ok, reason] = (await fx().anchor.getFunction('verifyReading')(toStruct(s), s.signature, index, tree.proof(i))) as [boolean, bigint];
    assert.equal([ok, Number(reason)], [true, OK], `reading ${i}`);
  }
});

test.run();
