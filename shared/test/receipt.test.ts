import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { validateReceipt, verifyReceiptOffline, type Receipt } from '../src/receipt.js';
import { buildMerkleTree } from '../src/merkle.js';
import { bytesToHex, hexToBytes, type Hex } from '../src/hex.js';
import { isLightNodeError } from '../src/errors.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/readings.json', import.meta.url), 'utf8'));
const v = vectors.vectors[1]; // anvil domain
const others = Array.from({ length: 9 }, (_, i) => keccak_256(Uint8Array.of(i)));
const tree = buildMerkleTree([...others.slice(0, 4), hexToBytes(v.digest), ...others.slice(4)]);

const good: Receipt = {
  v: 1, reading: v.reading, digest: v.digest, signer: v.address, chainId: v.domain.chainId,
  contracts: { podRegistry: v.domain.verifyingContract, readingAnchor: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' },
  anchor: { index: 3, root: tree.root, leafCount: 10, fromMs: v.reading.timestamp - 60_000, toMs: v.reading.timestamp + 1, prevHash: bytesToHex(keccak_256(Uint8Array.of(3))), transaction: bytesToHex(keccak_256(Uint8Array.of(4))), blockNumber: 17 },
  proof: tree.proof(4),
};
const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

test('a good receipt validates to an equal object and verifies offline', () => {
  const r = validateReceipt(json(good));
  assert.equal(r, good);
  verifyReceiptOffline(r);
  const upper = json({ ...good, signer: good.signer.toUpperCase().replace('0X', '0x') });
  assert.is(validateReceipt(upper).signer, good.signer, 'hex lower-cased');
});

function code(fn: () => unknown): string {
  try { fn(); } catch (e) { if (isLightNodeError(e)) return e.code; throw e; }
  return 'accepted';
}
const flip = (h: Hex): Hex => (h.slice(0, -1) + (h.endsWith('0') ? '1' : '0')) as Hex;

test('offline verification catches tampering with the reading, digest, signer, chain and proof', () => {
  const check = (r: unknown) => code(() => verifyReceiptOffline(validateReceipt(json(r))));
  assert.is(check({ ...good, reading: { ...good.reading, seq: 2 } }), 'PROTO_RECEIPT_DIGEST_MISMATCH');
  assert.is(check({ ...good, digest: flip(good.digest) }), 'PROTO_RECEIPT_DIGEST_MISMATCH');
  assert.is(check({ ...good, chainId: 1 }), 'PROTO_RECEIPT_DIGEST_MISMATCH');
  assert.is(check({ ...good, contracts: { ...good.contracts, podRegistry: good.contracts.readingAnchor } }), 'PROTO_RECEIPT_DIGEST_MISMATCH');
  assert.is(check({ ...good, signer: '0x0000000000000000000000000000000000000001' }), 'PROTO_RECEIPT_SIGNER_MISMATCH');
  assert.is(check({ ...good, proof: good.proof.slice(1) }), 'PROTO_RECEIPT_PROOF_INVALID');
  assert.is(check({ ...good, proof: [flip(good.proof[0]!), ...good.proof.slice(1)] }), 'PROTO_RECEIPT_PROOF_INVALID');
  assert.is(check({ ...good, anchor: { ...good.anchor, root: flip(good.anchor.root) } }), 'PROTO_RECEIPT_PROOF_INVALID');
  const highS = '0x' + good.reading.signature.slice(2, 66) + (0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n - BigInt('0x' + good.reading.signature.slice(66, 130))).toString(16).padStart(64, '0') + '1c';
  assert.is(check({ ...good, reading: { ...good.reading, signature: highS } }), 'PROTO_SIGNATURE_INVALID');
});

test('validateReceipt names the broken field', () => {
  const fieldOf = (r: unknown): string => {
    try { validateReceipt(r); } catch (e) { if (isLightNodeError(e, 'PROTO_RECEIPT_INVALID')) return String(e.details['field']); throw e; }
    return 'accepted';
  };
  assert.is(fieldOf(null), 'receipt');
  assert.is(fieldOf({ ...good, v: 2 }), 'v');
  assert.is(fieldOf({ ...good, extra: 1 }), 'extra');
  const { proof: _p, ...noProof } = good;
  assert.is(fieldOf(noProof), 'proof');
  assert.is(fieldOf({ ...good, digest: '0x12' }), 'digest');
  assert.is(fieldOf({ ...good, signer: 'nobody' }), 'signer');
  assert.is(fieldOf({ ...good, chainId: 0 }), 'chainId');
  assert.is(fieldOf({ ...good, reading: { ...good.reading, values: [] } }), 'reading.values');
  assert.is(fieldOf({ ...good, contracts: { podRegistry: good.contracts.podRegistry } }), 'contracts.readingAnchor');
  assert.is(fieldOf({ ...good, anchor: { ...good.anchor, leafCount: 0 } }), 'anchor.leafCount');
  assert.is(fieldOf({ ...good, anchor: { ...good.anchor, toMs: good.anchor.fromMs - 1 } }), 'anchor.toMs');
  assert.is(fieldOf({ ...good, anchor: { ...good.anchor, transaction: '0x' } }), 'anchor.transaction');
  assert.is(fieldOf({ ...good, proof: ['0x00'] }), 'proof[0]');
  assert.is(fieldOf({ ...good, proof: Array(65).fill(good.proof[0]) }), 'proof');
});

test.run();
