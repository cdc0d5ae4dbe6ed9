// Our Merkle builder against OpenZeppelin's SimpleMerkleTree (the reference implementation the
// Solidity MerkleProof library pairs with): same root, same node array, same proofs, and
// proofs that OZ's verify accepts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { readFileSync } from 'node:fs';
import { buildMerkleTree, buildMerkleTreeFlat, verifyMerkleProof, hashPair } from '../src/merkle.js';
import { bytesToHex, type Hex } from '../src/hex.js';
import { isLightNodeError } from '../src/errors.js';
import { prng } from './prng.js';

const rnd = prng(42);
const randomLeaf = (): Uint8Array => Uint8Array.from({ length: 32 }, () => Math.floor(rnd() * 256));
const digestLeaf = (i: number): Uint8Array => keccak_256(Uint8Array.of(i & 255, (i >> 8) & 255, (i >> 16) & 255));

function crossCheck(leaves: Uint8Array[], label: string, allProofs = true): void {
  // Both engines (WebAssembly and pure JS) must give OpenZeppelin's node array.
  const ours = buildMerkleTree(leaves, { engine: 'wasm' });
  const js = buildMerkleTree(leaves, { engine: 'js' });
  assert.equal(js.nodes, ours.nodes, `${label}: js engine = wasm engine`);
  const hex = leaves.map((l) => bytesToHex(l));
  const oz = SimpleMerkleTree.of(hex);
  assert.is(ours.root, oz.root, `${label}: root`);
  assert.is(ours.leafCount, leaves.length);
  const dump = oz.dump();
  assert.is(ours.nodes.length, dump.tree.length * 32, `${label}: node count`);
  for (let i = 0; i < dump.tree.length; i++) assert.is(ours.node(i), dump.tree[i], `${label}: node ${i}`);
  const step = allProofs ? 1 : Math.max(1, Math.floor(leaves.length / 17));
  for (let i = 0; i < leaves.length; i += step) {
    assert.is(ours.treeIndex(i), dump.values[i]!.treeIndex, `${label}: treeIndex ${i}`);
    const proof = ours.proof(i);
    assert.equal(proof, oz.getProof(i), `${label}: proof ${i}`);
    assert.ok(SimpleMerkleTree.verify(ours.root, hex[i]!, proof), `${label}: OZ verifies proof ${i}`);
    assert.ok(verifyMerkleProof(ours.root, hex[i]!, proof));
    assert.equal(ours.proof(hex[i]!).length, proof.length);
    assert.ok(verifyMerkleProof(ours.root, hex[i]!, ours.proof(hex[i]!)), `${label}: proof by value ${i}`);
  }
}

test('every size 1..300 with digest leaves: root, node array and all proofs equal OpenZeppelin', () => {
  for (let n = 1; n <= 300; n++) crossCheck(Array.from({ length: n }, (_, i) => digestLeaf(n * 1000 + i)), `n=${n}`, n <= 64 || n % 37 === 0);
});

test('random sizes up to 5000 with random leaves', () => {
  for (const n of [511, 512, 513, 1023, 1024, 1025, 2047, 3001, 5000]) crossCheck(Array.from({ length: n }, randomLeaf), `n=${n}`, false);
});

test('leaves sharing their first 4, 8 or 31 bytes, duplicates, all-zero and all-0xff leaves', () => {
  const base = randomLeaf();
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    const l = randomLeaf();
    const shared = [4, 8, 31, 0][i % 4]!;
    l.set(base.subarray(0, shared));
    leaves.push(l);
  }
  leaves.push(new Uint8Array(32), new Uint8Array(32).fill(255), base, base, leaves[3]!);
  crossCheck(leaves, 'shared prefixes + duplicates');
});

test('auto engine is WebAssembly on Node and equals the JS engine on 20,000 leaves', () => {
  const flat = new Uint8Array(20_000 * 32);
  for (let i = 0; i < flat.length; i++) flat[i] = Math.floor(rnd() * 256);
  const auto = buildMerkleTreeFlat(flat), js = buildMerkleTreeFlat(flat, { engine: 'js' });
  assert.is(auto.root, js.root);
  assert.equal(auto.nodes, js.nodes);
  assert.is(auto.nodes.buffer instanceof ArrayBuffer, true);
  assert.is(auto.nodes.byteOffset > 0, true, 'auto used the WebAssembly memory (reserved prefix)');
  assert.is(buildMerkleTreeFlat(flat.subarray(0, 32 * 100)).nodes.byteOffset, 0, 'small trees stay in JS');
});

test('the flat builder equals the array builder', () => {
  const leaves = Array.from({ length: 777 }, randomLeaf);
  const flat = new Uint8Array(777 * 32);
  leaves.forEach((l, i) => flat.set(l, 32 * i));
  const a = buildMerkleTree(leaves), b = buildMerkleTreeFlat(flat);
  assert.is(a.root, b.root);
  assert.equal(a.nodes, b.nodes);
  // and an unaligned view of the same bytes
  const shifted = new Uint8Array(flat.length + 1);
  shifted.set(flat, 1);
  assert.is(buildMerkleTreeFlat(shifted.subarray(1)).root, a.root);
});

test('proof and treeIndex work detached from the tree object', () => {
  const leaves = Array.from({ length: 9 }, randomLeaf);
  const t = buildMerkleTree(leaves);
  const { proof, treeIndex } = t;
  assert.equal(proof(3), t.proof(3));
  assert.is(treeIndex(3), t.treeIndex(3));
});

test('one leaf: root = leaf, empty proof (OpenZeppelin behaviour)', () => {
  const leaf = randomLeaf();
  const t = buildMerkleTree([leaf]);
  assert.is(t.root, bytesToHex(leaf));
  assert.equal(t.proof(0), []);
  assert.ok(verifyMerkleProof(t.root, bytesToHex(leaf), []));
});

test('hashPair is order-independent keccak256 of the sorted pair', () => {
  const a = randomLeaf(), b = randomLeaf();
  const [lo, hi] = Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? [a, b] : [b, a];
  const expected = bytesToHex(keccak_256(new Uint8Array([...lo, ...hi])));
  assert.is(bytesToHex(hashPair(a, b)), expected);
  assert.is(bytesToHex(hashPair(b, a)), expected);
});

test('verifyMerkleProof refuses tampered proofs, other leaves, other roots and malformed input', () => {
  const leaves = Array.from({ length: 100 }, randomLeaf);
  const t = buildMerkleTree(leaves);
  const leaf = bytesToHex(leaves[10]!);
  const proof = t.proof(10);
  assert.ok(verifyMerkleProof(t.root, leaf, proof));
  const flipped = (h: Hex): Hex => (h.slice(0, -1) + (h.endsWith('0') ? '1' : '0')) as Hex;
  assert.not.ok(verifyMerkleProof(t.root, flipped(leaf), proof));
  assert.not.ok(verifyMerkleProof(flipped(t.root), leaf, proof));
  assert.not.ok(verifyMerkleProof(t.root, leaf, [flipped(proof[0]!), ...proof.slice(1)]));
  assert.not.ok(verifyMerkleProof(t.root, leaf, proof.slice(1)));
  assert.not.ok(verifyMerkleProof(t.root, leaf, [...proof].reverse()));
  assert.not.ok(verifyMerkleProof(t.root, bytesToHex(leaves[11]!), proof));
  assert.not.ok(verifyMerkleProof(t.root, leaf.slice(0, 10) as Hex, proof));
  assert.not.ok(verifyMerkleProof(t.root, leaf, ['0x12' as Hex]));
  assert.not.ok(verifyMerkleProof(t.root, leaf, 'nope' as unknown as Hex[]));
});

test('builder refuses empty input, wrong leaf sizes, unknown leaves and bad indexes with codes', () => {
  assert.throws(() => buildMerkleTree([]), (e: unknown) => isLightNodeError(e, 'PROTO_MERKLE_INVALID'));
  assert.throws(() => buildMerkleTree([new Uint8Array(31)]), (e: unknown) => isLightNodeError(e, 'PROTO_MERKLE_INVALID'));
  assert.throws(() => buildMerkleTreeFlat(new Uint8Array(33)), (e: unknown) => isLightNodeError(e, 'PROTO_MERKLE_INVALID'));
  const t = buildMerkleTree([randomLeaf(), randomLeaf()]);
  assert.throws(() => t.proof(bytesToHex(randomLeaf())), (e: unknown) => isLightNodeError(e, 'PROTO_MERKLE_LEAF_UNKNOWN'));
  assert.throws(() => t.proof(2), (e: unknown) => isLightNodeError(e, 'PROTO_MERKLE_INVALID'));
  assert.throws(() => t.proof(-1), (e: unknown) => isLightNodeError(e, 'PROTO_MERKLE_INVALID'));
});

test('committed merkle.json: roots and every proof equal OpenZeppelin and verify', () => {
  const vec = JSON.parse(readFileSync(new URL('../vectors/merkle.json', import.meta.url), 'utf8'));
  assert.ok(vec.trees.length >= 8);
  for (const t of vec.trees) {
    const oz = SimpleMerkleTree.of(t.leaves);
    assert.is(oz.root, t.root, `n=${t.leafCount}`);
    t.leaves.forEach((leaf: Hex, i: number) => {
      assert.equal(oz.getProof(i), t.proofs[i], `n=${t.leafCount} proof ${i}`);
      assert.ok(SimpleMerkleTree.verify(t.root, leaf, t.proofs[i]));
      assert.ok(verifyMerkleProof(t.root, leaf, t.proofs[i]));
    });
  }
});

test.run();
