/**
 * EIP-712 signing and signer recovery for readings and setpoints (DESIGN §3,
 * docs/interfaces.md), on the default EIP-712 engine (eip712-engine.ts over our short-input
 * keccak, keccak-short.ts) and @noble/secp256k1, so the edge needs no ethers; the committed
 * vectors prove it equals ethers' TypedDataEncoder and the Solidity digest. The type strings,
 * domain and encoder live in eip712-engine.ts (one implementation; the cloud binds its native
 * keccak into the same engine) and are re-exported here for the callers of this module.
 */
import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { LightNodeError } from './errors.js';
import { bytesToHex, hexToBytes, type Hex } from './hex.js';
import { createEip712Engine, type Eip712Domain } from './eip712-engine.js';
import { signatureShapeFault } from './signature.js';
import type { Reading, SignedReading } from './reading.js';
import type { Setpoint, SignedSetpoint } from './setpoint.js';

export {
  DOMAIN_NAME, DOMAIN_VERSION, MEASUREMENT_TYPE, READING_TYPE, SETPOINT_TYPE, READING_TYPES, SETPOINT_TYPES,
  TYPEHASHES, makeDomain, type Eip712Domain,
} from './eip712-engine.js';

// noble-secp256k1 v3 ships without hashes; the synchronous sign() needs HMAC-SHA256 for RFC 6979.
// (Casts only bridge TS 5.9's Uint8Array<ArrayBuffer> generics; the functions are the ones its README wires.)
secp.hashes.hmacSha256 ??= ((key: Uint8Array, msg: Uint8Array) => hmac(sha256, key, msg)) as NonNullable<typeof secp.hashes.hmacSha256>;
secp.hashes.sha256 ??= sha256 as unknown as NonNullable<typeof secp.hashes.sha256>;

/** The default engine: pure-JS keccak-short, the edge's and every non-hot-path caller's. */
const engine = createEip712Engine();

/** EIP-712 `hashStruct(domain)`, cached per domain. Throws `PROTO_DOMAIN_INVALID`. */
export function domainSeparator(domain: Eip712Domain): Uint8Array {
  return engine.domainSeparator(domain);
}

/** EIP-712 `hashStruct(reading)`. Expects a validated reading. */
export function readingStructHash(r: Reading): Uint8Array {
  return engine.readingStructHash(r);
}

/** EIP-712 `hashStruct(setpoint)`. Expects a validated setpoint. */
export function setpointStructHash(sp: Setpoint): Uint8Array {
  return engine.setpointStructHash(sp);
}

/** The 32-byte EIP-712 digest of a reading (also the reading's Merkle leaf). */
export function readingDigest(domain: Eip712Domain, reading: Reading): Uint8Array {
  return engine.readingDigest(domain, reading);
}

/** The 32-byte EIP-712 digest of a setpoint. */
export function setpointDigest(domain: Eip712Domain, sp: Setpoint): Uint8Array {
  return engine.setpointDigest(domain, sp);
}

function sigError(message: string, details: Record<string, unknown> = {}, cause?: unknown): LightNodeError {
  return new LightNodeError('PROTO_SIGNATURE_INVALID', message, details, cause === undefined ? undefined : { cause });
}

/** Sign a 32-byte digest: RFC 6979 deterministic, low-s, returned as r||s||v with v ∈ {27, 28}. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Hex {
  const rec = secp.sign(digest, privateKey, { prehash: false, lowS: true, format: 'recovered' }); // [recovery, r, s]
  const recovery = rec[0]!;
  // Recovery ids 2/3 (r ≥ n, probability ~2^-128) cannot be expressed as an Ethereum v.
  if (recovery > 1) throw sigError('signature recovery id out of range for Ethereum');
  const out = new Uint8Array(65);
  out.set(rec.subarray(1), 0);
  out[64] = 27 + recovery;
  return bytesToHex(out);
}

/**
 * Parse a 65-byte r||s||v signature. Refuses a wrong length, r or s outside [1, n), high s
 * (s > n/2, EIP-2 malleability) and v other than 27/28 with `PROTO_SIGNATURE_INVALID`.
 */
export function parseSignature(sig: Hex): { r: bigint; s: bigint; v: 27 | 28 } {
  const bytes = checkedSignatureBytes(sig);
  const r = BigInt(bytesToHex(bytes.subarray(0, 32)));
  const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
  return { r, s, v: bytes[64] as 27 | 28 };
}

/** The 65 bytes of a signature that passed the shape checks of `parseSignature`. */
function checkedSignatureBytes(sig: Hex): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(sig, 65, 'signature');
  } catch (e) {
    throw sigError('signature must be 65 bytes of 0x hex (r||s||v)', { length: typeof sig === 'string' ? sig.length : undefined }, e);
  }
  const v = bytes[64]!;
  switch (signatureShapeFault(bytes)) {
    case 'v': throw sigError(`signature v must be 27 or 28, found ${v}`, { v });
    case 'r': throw sigError('signature r out of range');
    case 's': throw sigError('signature s out of range');
    case 'high-s': throw sigError('signature s is high (malleable, EIP-2)');
    default: return bytes; // null; 'length' cannot occur after hexToBytes(sig, 65)
  }
}

/** Recover the lower-case signer address of a digest. Throws `PROTO_SIGNATURE_INVALID`. */
export function recoverDigestSigner(digest: Uint8Array, sig: Hex): Hex {
  const bytes = checkedSignatureBytes(sig);
  const rec = new Uint8Array(65);
  rec[0] = bytes[64]! - 27;
  rec.set(bytes.subarray(0, 64), 1);
  let pub: Uint8Array;
  try {
    pub = secp.recoverPublicKey(rec, digest, { prehash: false, isCompressed: false });
  } catch (e) {
    throw sigError('no public key recovers from this signature', {}, e);
  }
  return publicKeyToAddress(pub);
}

/** Ethereum address (lower case) of a 65-byte uncompressed public key. */
export function publicKeyToAddress(pub: Uint8Array): Hex {
  return engine.publicKeyToAddress(pub);
}

/** Lower-case Ethereum address of a 32-byte private key. */
export function addressOf(privateKey: Uint8Array): Hex {
  return publicKeyToAddress(secp.getPublicKey(privateKey, false));
}

/** Sign a (validated) reading. */
export function signReading(domain: Eip712Domain, reading: Reading, privateKey: Uint8Array): SignedReading {
  return { ...reading, signature: signDigest(readingDigest(domain, reading), privateKey) };
}

/** Recover the lower-case address that signed a reading. Throws `PROTO_SIGNATURE_INVALID`. */
export function recoverReadingSigner(domain: Eip712Domain, signed: SignedReading): Hex {
  return recoverDigestSigner(readingDigest(domain, signed), signed.signature);
}

/**
 * Check that `expected` signed the reading; throws `PROTO_SIGNATURE_INVALID` for a malformed
 * signature and `PROTO_SIGNER_MISMATCH` when another key (or another domain/content) recovers.
 */
export function verifyReadingSignature(domain: Eip712Domain, signed: SignedReading, expected: Hex): void {
  const signer = recoverReadingSigner(domain, signed);
  if (signer !== expected.toLowerCase()) {
    throw new LightNodeError('PROTO_SIGNER_MISMATCH', `reading was not signed by ${expected.toLowerCase()}`, { signer, expected: expected.toLowerCase() });
  }
}

/** Sign a (validated) setpoint. */
export function signSetpoint(domain: Eip712Domain, sp: Setpoint, privateKey: Uint8Array): SignedSetpoint {
  return { ...sp, signature: signDigest(setpointDigest(domain, sp), privateKey) };
}

/** Recover the lower-case address that signed a setpoint. Throws `PROTO_SIGNATURE_INVALID`. */
export function recoverSetpointSigner(domain: Eip712Domain, sp: SignedSetpoint): Hex {
  return recoverDigestSigner(setpointDigest(domain, sp), sp.signature);
}
