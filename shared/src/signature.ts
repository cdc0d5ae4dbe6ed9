/**
 * The one shape check of a 65-byte Ethereum signature r ‖ s ‖ v (DESIGN §3): the rules every
 * verifier (shared `parseSignature`, the cloud's native recovery) applies before recovery, so
 * their verdicts cannot drift. Allocation-free and non-throwing for the ingest hot path.
 */

/** Why a signature's shape is refused (null in `signatureShapeFault` = acceptable). */
export type SignatureShapeFault = 'length' | 'v' | 'r' | 's' | 'high-s';

// secp256k1 group order n and n/2, big-endian.
const N = fromHex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const HALF_N = fromHex('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Compare the 32-byte big-endian numbers a[off..off+32) and b: -1, 0, 1. */
function cmp32(a: Uint8Array, off: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[off + i]!, y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function isZero32(a: Uint8Array, off: number): boolean {
  for (let i = 0; i < 32; i++) if (a[off + i] !== 0) return false;
  return true;
}

/**
 * The first rule a 65-byte r ‖ s ‖ v signature breaks, or null: length 65, v ∈ {27, 28},
 * r ∈ [1, n), s ∈ [1, n), s ≤ n/2 (low s, EIP-2 malleability).
 */
export function signatureShapeFault(sig: Uint8Array): SignatureShapeFault | null {
  if (sig.length !== 65) return 'length';
  const v = sig[64]!;
  if (v !== 27 && v !== 28) return 'v';
  if (isZero32(sig, 0) || cmp32(sig, 0, N) >= 0) return 'r';
  if (isZero32(sig, 32) || cmp32(sig, 32, N) >= 0) return 's';
  if (cmp32(sig, 32, HALF_N) > 0) return 'high-s';
  return null;
}

/** The secp256k1 recovery id (0 or 1) of a signature, or -1 when its shape is refused. */
export function signatureRecoveryId(sig: Uint8Array): number {
  return signatureShapeFault(sig) === null ? sig[64]! - 27 : -1;
}
