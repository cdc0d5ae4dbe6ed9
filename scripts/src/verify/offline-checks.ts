/**
 * The receipt checks that need no chain: digest, signature and Merkle inclusion.
 * Independent of @lightnode/shared on purpose — the verifier recomputes everything with
 * ethers (TypedDataEncoder, ecrecover, keccak256), so a bug in our own signing code cannot
 * make a bad receipt pass.
 */
import { Signature, TypedDataEncoder, concat, getAddress, keccak256, recoverAddress } from 'ethers';
import { DOMAIN_NAME, DOMAIN_VERSION, readingTypes } from './receipt-abi.js';
import type { ReceiptCheck, ReceiptLike } from './receipt-types.js';

const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** EIP-712 digest of the receipt's reading under the receipt's chain id and PodRegistry. */
export function receiptReadingDigest(r: ReceiptLike): string {
  const { signature: _sig, ...reading } = r.reading as unknown as Record<string, unknown>;
  const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: r.chainId, verifyingContract: r.contracts.podRegistry };
  return TypedDataEncoder.hash(domain, readingTypes, reading);
}

/** Recomputed digest equals the receipt's `digest`. */
export function checkDigest(r: ReceiptLike): ReceiptCheck {
  try {
    const digest = receiptReadingDigest(r);
    const ok = digest.toLowerCase() === String(r.digest).toLowerCase();
    return { name: 'digest', ok, detail: ok ? `EIP-712 digest ${digest}` : `recomputed ${digest}, receipt says ${r.digest}` };
  } catch (err) {
    return { name: 'digest', ok: false, detail: `cannot encode reading: ${(err as Error).message}` };
  }
}

/** The 65-byte low-s signature over the recomputed digest recovers to `signer`. */
export function checkSignature(r: ReceiptLike): ReceiptCheck {
  try {
    const sig = String(r.reading.signature);
    if (!/^0x[0-9a-fA-F]{130}$/.test(sig)) return { name: 'signature', ok: false, detail: 'signature is not 65 bytes of hex' };
    const parsed = Signature.from(sig);
    if (BigInt(parsed.s) > SECP256K1_HALF_N) return { name: 'signature', ok: false, detail: 'high-s signature (malleable) refused' };
    const recovered = recoverAddress(receiptReadingDigest(r), sig).toLowerCase();
    const ok = recovered === String(r.signer).toLowerCase();
    return { name: 'signature', ok, detail: ok ? `recovers to ${recovered}` : `recovers to ${recovered}, receipt names ${r.signer}` };
  } catch (err) {
    return { name: 'signature', ok: false, detail: `cannot recover signer: ${(err as Error).message}` };
  }
}

/** OpenZeppelin MerkleProof.verify: sorted pairs, keccak256, leaf used as-is. */
export function processProof(leaf: string, proof: readonly string[]): string {
  let node = leaf.toLowerCase();
  for (const sibling of proof) {
    const s = sibling.toLowerCase();
    node = keccak256(node < s ? concat([node, s]) : concat([s, node])).toLowerCase();
  }
  return node;
}

/** The recomputed digest is a leaf of the tree whose root the receipt names. */
export function checkInclusion(r: ReceiptLike): ReceiptCheck {
  try {
    if (!Array.isArray(r.proof) || !r.proof.every((p) => /^0x[0-9a-fA-F]{64}$/.test(p))) {
      return { name: 'merkle-inclusion', ok: false, detail: 'proof must be an array of bytes32 hex' };
    }
    const computed = processProof(receiptReadingDigest(r), r.proof);
    const ok = computed === String(r.anchor.root).toLowerCase();
    return { name: 'merkle-inclusion', ok, detail: ok ? `proof of ${r.proof.length} step(s) reaches root` : `proof reaches ${computed}, not root ${r.anchor.root}` };
  } catch (err) {
    return { name: 'merkle-inclusion', ok: false, detail: `cannot check proof: ${(err as Error).message}` };
  }
}

/** The reading's timestamp lies in the anchor's window (the contract records earliest..latest reading time). */
export function checkWindow(r: ReceiptLike): ReceiptCheck {
  const t = r.reading.timestamp;
  const ok = Number.isSafeInteger(t) && t >= r.anchor.fromMs && t <= r.anchor.toMs;
  return { name: 'anchor-window', ok, detail: ok ? `timestamp ${t} within ${r.anchor.fromMs}..${r.anchor.toMs}` : `timestamp ${t} outside the anchor window ${r.anchor.fromMs}..${r.anchor.toMs}` };
}

/** Structural check of a parsed JSON receipt; returns the reason it is unusable, or null. */
export function receiptShapeProblem(x: unknown): string | null {
  const r = x as Partial<ReceiptLike> | null;
  if (!r || typeof r !== 'object') return 'receipt is not a JSON object';
  if (r.v !== 1) return `receipt.v: expected 1, found ${String(r.v)}`;
  if (!r.reading || typeof r.reading !== 'object') return 'receipt.reading missing';
  if (!Number.isSafeInteger(r.chainId)) return 'receipt.chainId must be an integer';
  if (!r.contracts || typeof r.contracts !== 'object') return 'receipt.contracts missing';
  for (const k of ['podRegistry', 'readingAnchor'] as const) {
    try { getAddress(String(r.contracts[k])); } catch { return `receipt.contracts.${k} is not an address`; }
  }
  try { getAddress(String(r.signer)); } catch { return 'receipt.signer is not an address'; }
  if (!r.anchor || typeof r.anchor !== 'object') return 'receipt.anchor missing';
  if (!Number.isSafeInteger(r.anchor.index) || r.anchor.index < 0) return 'receipt.anchor.index must be an integer >= 0';
  if (!/^0x[0-9a-fA-F]{64}$/.test(String(r.anchor.root))) return 'receipt.anchor.root must be bytes32 hex';
  if (!/^0x[0-9a-fA-F]{64}$/.test(String(r.anchor.transaction))) return 'receipt.anchor.transaction must be a tx hash';
  if (!Array.isArray(r.proof)) return 'receipt.proof must be an array';
  return null;
}
