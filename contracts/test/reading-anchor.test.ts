// ReadingAnchor on a real anvil: BAL role, validation, hash chain, events, and Merkle inclusion with
// proofs from @openzeppelin/merkle-tree (the reference implementation of the sorted-pair tree).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AbiCoder, ZeroHash, hexlify, keccak256, randomBytes, type Contract } from 'ethers';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { buildMerkleTree } from '@lightnode/shared/merkle';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { eventsOf, expectRevert, send } from './helpers/chain.js';

let fx: ChainFixture;
test.before(async () => {
  fx = await startChain();
});
test.after(async () => {
  await fx?.stop();
});

const as = (i: number): Contract => fx.anchor.connect(fx.wallets[i]!) as Contract;
const call = async <T>(fn: string, ...args: unknown[]): Promise<T> => (await fx.anchor.getFunction(fn)(...args)) as T;
const leaves = (n: number): string[] => Array.from({ length: n }, () => hexlify(randomBytes(32)));
const chainHash = (prev: string, root: string, n: number, from: number, to: number): string =>
  keccak256(AbiCoder.defaultAbiCoder().encode(['bytes32', 'bytes32', 'uint32', 'uint64', 'uint64'], [prev, root, n, from, to]));

test('anchor: only BAL accounts; admin grants the role', async () => {
  const root = hexlify(randomBytes(32));
  const [who] = await expectRevert(fx.anchor, as(3).getFunction('anchor')(root, 1, 0, 0), 'NotBal');
  assert.is(who, fx.wallets[3]!.address);
  await expectRevert(fx.anchor, as(3).getFunction('grantRole')(await call<string>('BAL_ROLE'), fx.wallets[3]!.address), 'AccessControlUnauthorizedAccount');
  assert.is(await call<bigint>('anchorCount'), 0n, 'nothing anchored by the refused calls');
});

test('anchor: validation errors', async () => {
  await expectRevert(fx.anchor, fx.anchor.getFunction('anchor')(hexlify(randomBytes(32)), 0, 0, 1), 'EmptyAnchor');
  await expectRevert(fx.anchor, fx.anchor.getFunction('anchor')(ZeroHash, 1, 0, 1), 'EmptyAnchor');
  const [from, to] = await expectRevert(fx.anchor, fx.anchor.getFunction('anchor')(hexlify(randomBytes(32)), 1, 10, 9), 'InvalidWindow');
  assert.equal([from, to], [10n, 9n]);
  await expectRevert(fx.anchor, call('getAnchor', 0), 'AnchorNotFound');
});

test('anchors are chained: prevHash = previous anchorHash; fields and events recorded', async () => {
  let prev = ZeroHash;
  const windows = [
    { root: hexlify(randomBytes(32)), n: 10, from: 1_763_781_300_000, to: 1_763_781_359_999 },
    { root: hexlify(randomBytes(32)), n: 1, from: 1_763_781_360_000, to: 1_763_781_360_000 },
    { root: hexlify(randomBytes(32)), n: 4_294_967_295, from: 1_763_781_360_001, to: 1_763_781_419_999 },
  ];
  // A second BAL account anchors too: the chain does not depend on who anchors.
  await send(fx.anchor, 'grantRole', await call<string>('BAL_ROLE'), fx.wallets[4]!.address);
  for (const [i, w] of windows.entries()) {
    const rc = await send(i === 1 ? as(4) : fx.anchor, 'anchor', w.root, w.n, w.from, w.to);
    const [ev] = eventsOf(fx.anchor, rc, 'Anchored');
    const expectedHash = chainHash(prev, w.root, w.n, w.from, w.to);
    assert.equal(
      [Number(ev!.index), ev!.root, Number(ev!.leafCount), Number(ev!.fromMs), Number(ev!.toMs), ev!.prevHash, ev!.anchorHash],
      [i, w.root, w.n, w.from, w.to, prev, expectedHash],
    );
    const a = await call<{ root: string; leafCount: bigint; fromMs: bigint; toMs: bigint; prevHash: string; anchorHash: string; blockNumber: bigint }>('getAnchor', i);
    assert.equal(
      [a.root, Number(a.leafCount), Number(a.fromMs), Number(a.toMs), a.prevHash, a.anchorHash, Number(a.blockNumber)],
      [w.root, w.n, w.from, w.to, prev, expectedHash, rc.blockNumber],
    );
    assert.is(await call<string>('lastAnchorHash'), expectedHash);
    prev = expectedHash;
  }
  assert.is(await call<bigint>('anchorCount'), 3n);
  // Walking the chain from the events detects a removed window: recomputing without anchor 1 breaks it.
  const a2 = await call<{ prevHash: string }>('getAnchor', 2);
  const a0 = await call<{ anchorHash: string }>('getAnchor', 0);
  assert.is.not(a2.prevHash, a0.anchorHash);
});

test('anchorNext lands only on the chain head it names: a stale head reverts ChainHeadMoved, nothing anchored', async () => {
  const n = Number(await call<bigint>('anchorCount'));
  const head = await call<string>('lastAnchorHash');
  const root = hexlify(randomBytes(32));
  // A stale anchorer: the index or the prevHash it read is no longer the head.
  const [count1, last1] = await expectRevert(fx.anchor, fx.anchor.getFunction('anchorNext')(n - 1, head, root, 2, 1, 2), 'ChainHeadMoved');
  assert.equal([Number(count1), last1], [n, head]);
  await expectRevert(fx.anchor, fx.anchor.getFunction('anchorNext')(n, hexlify(randomBytes(32)), root, 2, 1, 2), 'ChainHeadMoved');
  await expectRevert(fx.anchor, as(3).getFunction('anchorNext')(n, head, root, 2, 1, 2), 'NotBal');
  assert.is(Number(await call<bigint>('anchorCount')), n, 'nothing anchored by the refused calls');
  // On the head: anchored like `anchor`, chained onto it.
  const rc = await send(fx.anchor, 'anchorNext', n, head, root, 2, 1, 2);
  const [ev] = eventsOf(fx.anchor, rc, 'Anchored');
  assert.equal([Number(ev!.index), ev!.prevHash, ev!.anchorHash], [n, head, chainHash(head, root, 2, 1, 2)]);
  // The same call again (a second leader with the same window state) now reverts.
  await expectRevert(fx.anchor, fx.anchor.getFunction('anchorNext')(n, head, root, 2, 1, 2), 'ChainHeadMoved');
});

test('verifyInclusion accepts @openzeppelin/merkle-tree proofs and refuses wrong ones', async () => {
  const sizes = [1, 2, 3, 7, 64, 257];
  const base = Number(await call<bigint>('anchorCount'));
  const trees = sizes.map((n) => SimpleMerkleTree.of(leaves(n)));
  for (const [i, t] of trees.entries()) await send(fx.anchor, 'anchor', t.root, sizes[i]!, 0, 0);
  let proofs = 0;
  for (const [i, t] of trees.entries()) {
    const index = base + i;
    const values = [...t.entries()].map(([, v]) => v);
    // Every leaf of small trees, a sample of the larger ones.
    const picks = values.length <= 8 ? values.map((_, k) => k) : [0, 1, values.length >> 1, values.length - 1];
    for (const k of picks) {
      const leaf = values[k]!;
      const proof = t.getProof(k);
      assert.ok(await call<boolean>('verifyInclusion', index, leaf, proof), `tree ${sizes[i]} leaf ${k}`);
      proofs++;
      assert.not.ok(await call<boolean>('verifyInclusion', index, hexlify(randomBytes(32)), proof), 'foreign leaf');
      if (proof.length > 0) {
        const bad = [...proof];
        bad[0] = hexlify(randomBytes(32));
        assert.not.ok(await call<boolean>('verifyInclusion', index, leaf, bad), 'tampered proof');
        assert.not.ok(await call<boolean>('verifyInclusion', index, leaf, proof.slice(1)), 'truncated proof');
      }
      const other = index === base ? base + 1 : base;
      if (sizes[other - base]! > 1 || proof.length > 0) {
        assert.not.ok(await call<boolean>('verifyInclusion', other, leaf, proof), 'other anchor');
      }
    }
  }
  assert.not.ok(await call<boolean>('verifyInclusion', 10_000, trees[0]!.root, []), 'unknown anchor index');
  // A single-leaf tree's root is the leaf itself with an empty proof.
  assert.ok(await call<boolean>('verifyInclusion', base, trees[0]!.root, []));
  console.log(`  ${proofs} OpenZeppelin proofs accepted on-chain`);
});

test('verifyInclusion accepts @lightnode/shared/merkle proofs (same root as OpenZeppelin)', async () => {
  let proofs = 0;
  for (const n of [1, 2, 5, 33, 1000]) {
    const ls = leaves(n);
    const ours = buildMerkleTree(ls.map((l) => Uint8Array.from(Buffer.from(l.slice(2), 'hex'))));
    assert.is(ours.root, SimpleMerkleTree.of(ls).root, `root of ${n} leaves`);
    const index = Number(await call<bigint>('anchorCount'));
    await send(fx.anchor, 'anchor', ours.root, n, 0, 0);
    for (const k of n <= 5 ? ls.map((_, k) => k) : [0, n >> 1, n - 1]) {
      assert.ok(await call<boolean>('verifyInclusion', index, ls[k], ours.proof(k)), `${n} leaves, leaf ${k}`);
      assert.not.ok(await call<boolean>('verifyInclusion', index, ls[(k + 1) % n], n > 1 ? ours.proof(k) : ['0x' + '11'.repeat(32)]));
      proofs++;
    }
  }
  console.log(`  ${proofs} @lightnode/shared/merkle proofs accepted on-chain`);
});

test.run();
