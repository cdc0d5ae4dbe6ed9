/**
 * Signer recovery for 65-byte Ethereum signatures (r ‖ s ‖ v, v ∈ {27, 28}, low-s; DESIGN §3).
 * libsecp256k1 through the maintained `secp256k1` native binding (v5, prebuilt for linux-x64)
 * when it loads — ≈ 16 k recoveries/s per core here — and `@noble/secp256k1` otherwise
 * (pure JS, several times slower). Both paths share the same strict pre-checks so their
 * verdicts are identical (tested on shared/vectors): wrong length, v ∉ {27, 28}, r or s zero
 * or ≥ n, high s, or no curve point → null (the caller rejects with BAL_SIGNATURE_INVALID).
 */
import { createRequire } from 'node:module';
import * as noble from '@noble/secp256k1';
import { keccak256 } from './keccak.js';

/** Which secp256k1 implementation is in use. */
export type SecpImpl = 'native' | 'noble';

interface NativeSecp {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean, output?: Uint8Array): Uint8Array;
}

function loadNative(): NativeSecp | null {
  if (process.env.BAL_SECP256K1 === 'noble') return null;
  try {
    // `secp256k1/bindings` throws when the addon is missing, instead of silently falling
    // back to the package's own (elliptic) JS implementation as its main entry does.
    const mod = createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp;
    return typeof mod.ecdsaRecover === 'function' ? mod : null;
  } catch {
    return null;
  }
}

const native = loadNative();

// secp256k1 group order n and n/2, as 32-byte big-endian.
const N = hexBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const HALF_N = hexBytes('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

function hexBytes(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

/** Compare 32-byte big-endian numbers at a[off..off+32] and b[0..32]: -1, 0, 1. */
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

/** Strict shape checks shared by both implementations; returns the recovery id or -1. */
export function checkSignatureShape(sig: Uint8Array): number {
  if (sig.length !== 65) return -1;
  const v = sig[64]!;
  if (v !== 27 && v !== 28) return -1;
  if (isZero32(sig, 0) || cmp32(sig, 0, N) >= 0) return -1; // r in [1, n)
  if (isZero32(sig, 32) || cmp32(sig, 32, HALF_N) > 0) return -1; // s in [1, n/2] (low-s)
  return v - 27;
}

function addressFromPublicKey(pub65: Uint8Array): string {
  const h = keccak256(pub65.subarray(1, 65));
  return '0x' + Buffer.from(h.buffer, h.byteOffset + 12, 20).toString('hex');
}

const nobleSig = new Uint8Array(65);

function recoverNoble(digest: Uint8Array, sig: Uint8Array, recid: number): Uint8Array | null {
  nobleSig[0] = recid;
  nobleSig.set(sig.subarray(0, 64), 1);
  try {
    return noble.recoverPublicKey(nobleSig, digest, { prehash: false, isCompressed: false });
  } catch {
    return null;
  }
}

const pubOut = new Uint8Array(65);

function recoverNative(digest: Uint8Array, sig: Uint8Array, recid: number): Uint8Array | null {
  try {
    return native!.ecdsaRecover(sig.subarray(0, 64), recid, digest, false, pubOut);
  } catch {
    return null;
  }
}

/** A recoverer bound to one implementation. */
export interface Recoverer {
  readonly impl: SecpImpl;
  /** Lower-case signer address of a 32-byte digest's 65-byte signature, or null if invalid. */
  recoverAddress(digest: Uint8Array, sig: Uint8Array): string | null;
}

/** Create a recoverer: `auto` = native when the binding loaded, else noble. */
export function createRecoverer(prefer: 'auto' | SecpImpl = 'auto'): Recoverer {
  const impl: SecpImpl = prefer === 'noble' || !native ? 'noble' : 'native';
  if (prefer === 'native' && !native) throw new Error('secp256k1 native binding is not available');
  const rec = impl === 'native' ? recoverNative : recoverNoble;
  return {
    impl,
    recoverAddress(digest, sig) {
      if (digest.length !== 32) return null;
      const recid = checkSignatureShape(sig);
      if (recid < 0) return null;
      const pub = rec(digest, sig, recid);
      return pub ? addressFromPublicKey(pub) : null;
    },
  };
}

/** True when the libsecp256k1 binding loaded in this thread. */
export const nativeSecpAvailable = native !== null;
