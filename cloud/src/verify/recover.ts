/**
 * Signer recovery for 65-byte Ethereum signatures (r ‖ s ‖ v, v ∈ {27, 28}, low-s; DESIGN §3).
 * libsecp256k1 through the maintained `secp256k1` native binding (v5, prebuilt for linux-x64)
 * when it loads — ≈ 16 k recoveries/s per core here — and `@noble/secp256k1` otherwise
 * (pure JS, several times slower). Both paths apply shared's one signature shape check
 * (`@lightnode/shared/signature`, also behind `parseSignature`) so their verdicts are identical
 * (tested on shared/vectors): wrong length, v ∉ {27, 28}, r or s zero or ≥ n, high s, or no
 * curve point → null (the caller rejects with BAL_SIGNATURE_INVALID). The address comes from
 * the shared EIP-712 engine bound to the native keccak (./digest.ts).
 */
import { LightNodeError } from '@lightnode/shared/errors';
import { createRequire } from 'node:module';
import * as noble from '@noble/secp256k1';
import { signatureRecoveryId } from '@lightnode/shared/signature';
import { ingestEip712 } from './digest.js';

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
  if (prefer === 'native' && !native) throw new LightNodeError('BAL_NATIVE_UNAVAILABLE', 'secp256k1 native binding is not available');
  const rec = impl === 'native' ? recoverNative : recoverNoble;
  return {
    impl,
    recoverAddress(digest, sig) {
      if (digest.length !== 32) return null;
      const recid = signatureRecoveryId(sig);
      if (recid < 0) return null;
      const pub = rec(digest, sig, recid);
      return pub ? ingestEip712.publicKeyToAddress(pub) : null;
    },
  };
}

/** True when the libsecp256k1 binding loaded in this thread. */
export const nativeSecpAvailable = native !== null;
