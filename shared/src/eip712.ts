/**
 * EIP-712 typed-data hashing, signing and signer recovery for readings and setpoints
 * (DESIGN §3, docs/interfaces.md). Hand-written encoder over our short-input keccak
 * (keccak-short.ts) and @noble/secp256k1 so the edge needs no ethers; the committed vectors prove
 * it equals ethers' TypedDataEncoder and the Solidity digest. The reading hash path reuses
 * module-level scratch buffers and allocates only its 32-byte results (single-threaded).
 */
import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { LightNodeError, ValidationError } from './errors.js';
import { keccak256Into, keccak256Short } from './keccak-short.js';
import { bytesToHex, hexToBytes, normalizeAddress, type Hex } from './hex.js';
import type { Reading, SignedReading, Measurement } from './reading.js';
import type { Setpoint, SignedSetpoint } from './setpoint.js';

// noble-secp256k1 v3 ships without hashes; the synchronous sign() needs HMAC-SHA256 for RFC 6979.
// (Casts only bridge TS 5.9's Uint8Array<ArrayBuffer> generics; the functions are the ones its README wires.)
secp.hashes.hmacSha256 ??= ((key: Uint8Array, msg: Uint8Array) => hmac(sha256, key, msg)) as NonNullable<typeof secp.hashes.hmacSha256>;
secp.hashes.sha256 ??= sha256 as unknown as NonNullable<typeof secp.hashes.sha256>;

/** The EIP-712 domain; `verifyingContract` is the PodRegistry address. */
export interface Eip712Domain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Hex;
}

export const DOMAIN_NAME = 'LightNode';
export const DOMAIN_VERSION = '1';

/** Type strings (EIP-712 `encodeType`), exactly as docs/interfaces.md. */
export const MEASUREMENT_TYPE = 'Measurement(string quantity,int64 value,int8 scale,string unit)';
export const READING_TYPE = 'Reading(string pod,string meter,uint64 seq,uint64 timestamp,string source,Measurement[] values)';
export const SETPOINT_TYPE = 'Setpoint(string pod,string id,int64 activePowerW,string mode,uint64 validFrom,uint64 validUntil)';
const DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)';

/** The same types in the `{ name, type }[]` form of ethers / viem / eth_signTypedData_v4. */
export const READING_TYPES = {
  Reading: [
    { name: 'pod', type: 'string' },
    { name: 'meter', type: 'string' },
    { name: 'seq', type: 'uint64' },
    { name: 'timestamp', type: 'uint64' },
    { name: 'source', type: 'string' },
    { name: 'values', type: 'Measurement[]' },
  ],
  Measurement: [
    { name: 'quantity', type: 'string' },
    { name: 'value', type: 'int64' },
    { name: 'scale', type: 'int8' },
    { name: 'unit', type: 'string' },
  ],
} as const;
export const SETPOINT_TYPES = {
  Setpoint: [
    { name: 'pod', type: 'string' },
    { name: 'id', type: 'string' },
    { name: 'activePowerW', type: 'int64' },
    { name: 'mode', type: 'string' },
    { name: 'validFrom', type: 'uint64' },
    { name: 'validUntil', type: 'uint64' },
  ],
} as const;

const utf8 = new TextEncoder();
const hashTextRaw = (s: string): Uint8Array => keccak256Short(utf8.encode(s));
// keccak256 of the short strings of a reading (quantity, unit, pod, meter, source) repeats across
// every reading of a device: memoise them (bounded; results are never handed out for mutation).
const textHashCache = new Map<string, Uint8Array>();
function hashText(s: string): Uint8Array {
  let h = textHashCache.get(s);
  if (h === undefined) {
    h = hashTextRaw(s);
    if (s.length <= 128) {
      if (textHashCache.size >= 4096) textHashCache.clear();
      textHashCache.set(s, h);
    }
  }
  return h;
}
const MEASUREMENT_TYPEHASH = hashText(MEASUREMENT_TYPE);
const READING_TYPEHASH = hashText(READING_TYPE + MEASUREMENT_TYPE); // referenced types appended (EIP-712 encodeType)
const SETPOINT_TYPEHASH = hashText(SETPOINT_TYPE);
const DOMAIN_TYPEHASH = hashText(DOMAIN_TYPE);

/** Type hashes, for Solidity and cross-checks. */
export const TYPEHASHES = {
  Measurement: bytesToHex(MEASUREMENT_TYPEHASH),
  Reading: bytesToHex(READING_TYPEHASH),
  Setpoint: bytesToHex(SETPOINT_TYPEHASH),
  EIP712Domain: bytesToHex(DOMAIN_TYPEHASH),
} as const;

/** Domain for a deployment: name 'LightNode', version '1'. */
export function makeDomain(chainId: number, podRegistry: Hex): Eip712Domain {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new ValidationError('PROTO_DOMAIN_INVALID', 'chainId', 'a positive safe integer', chainId);
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: normalizeAddress(podRegistry, 'verifyingContract', 'PROTO_DOMAIN_INVALID') };
}

/**
 * Write a safe integer as a 32-byte big-endian two's-complement word (int64/uint64/int8/uint256
 * all sign- or zero-extend to 256 bits in EIP-712 `encodeData`).
 */
function writeInt(buf: Uint8Array, off: number, n: number): void {
  const fill = n < 0 ? 0xff : 0;
  for (let i = 0; i < 24; i++) buf[off + i] = fill;
  const hi = Math.floor(n / 4294967296) >>> 0;
  const lo = n >>> 0;
  buf[off + 24] = hi >>> 24; buf[off + 25] = (hi >>> 16) & 255; buf[off + 26] = (hi >>> 8) & 255; buf[off + 27] = hi & 255;
  buf[off + 28] = lo >>> 24; buf[off + 29] = (lo >>> 16) & 255; buf[off + 30] = (lo >>> 8) & 255; buf[off + 31] = lo & 255;
}

const domainCache = new Map<string, Uint8Array>();

/** EIP-712 `hashStruct(domain)`, cached per domain. */
export function domainSeparator(domain: Eip712Domain): Uint8Array {
  const key = `${domain.name}\u0000${domain.version}\u0000${domain.chainId}\u0000${domain.verifyingContract.toLowerCase()}`;
  let sep = domainCache.get(key);
  if (!sep) {
    if (!Number.isSafeInteger(domain.chainId) || domain.chainId < 0) throw new ValidationError('PROTO_DOMAIN_INVALID', 'chainId', 'a safe integer >= 0', domain.chainId);
    const buf = new Uint8Array(160);
    buf.set(DOMAIN_TYPEHASH, 0);
    buf.set(hashText(domain.name), 32);
    buf.set(hashText(domain.version), 64);
    writeInt(buf, 96, domain.chainId);
    buf.set(hexToBytes(domain.verifyingContract, 20, 'verifyingContract', 'PROTO_DOMAIN_INVALID'), 140);
    sep = keccak256Short(buf);
    if (domainCache.size > 64) domainCache.clear();
    domainCache.set(key, sep);
  }
  return sep;
}

// Scratch encodings with the type hash preset in bytes 0..31; every other byte is rewritten per use.
const MEASUREMENT_BUF = new Uint8Array(160);
MEASUREMENT_BUF.set(MEASUREMENT_TYPEHASH, 0);
const READING_BUF = new Uint8Array(224);
READING_BUF.set(READING_TYPEHASH, 0);
/** Concatenated Measurement struct hashes of one reading (grows to the largest reading seen). */
let valuesBuf = new Uint8Array(32 * 64);

/** EIP-712 `hashStruct(m)` written to out[off..off+32). */
function measurementHashInto(m: Measurement, out: Uint8Array, off: number): void {
  const buf = MEASUREMENT_BUF;
  buf.set(hashText(m.quantity), 32);
  writeInt(buf, 64, m.value);
  writeInt(buf, 96, m.scale);
  buf.set(hashText(m.unit), 128);
  keccak256Into(buf, 0, 160, out, off);
}

/** EIP-712 `hashStruct(reading)`. Expects a validated reading. */
export function readingStructHash(r: Reading): Uint8Array {
  const n = r.values.length;
  if (valuesBuf.length < 32 * n) valuesBuf = new Uint8Array(32 * n);
  const arr = valuesBuf;
  for (let i = 0; i < n; i++) measurementHashInto(r.values[i]!, arr, 32 * i);
  const buf = READING_BUF;
  buf.set(hashText(r.pod), 32);
  buf.set(hashText(r.meter), 64);
  writeInt(buf, 96, r.seq);
  writeInt(buf, 128, r.timestamp);
  buf.set(hashText(r.source), 160);
  keccak256Into(arr, 0, 32 * n, buf, 192); // encodeData of an array: keccak of the concatenated element hashes
  const out = new Uint8Array(32);
  keccak256Into(buf, 0, 224, out, 0);
  return out;
}

/** EIP-712 `hashStruct(setpoint)`. Expects a validated setpoint. */
export function setpointStructHash(sp: Setpoint): Uint8Array {
  const buf = new Uint8Array(224);
  buf.set(SETPOINT_TYPEHASH, 0);
  buf.set(hashText(sp.pod), 32);
  buf.set(hashText(sp.id), 64);
  writeInt(buf, 96, sp.activePowerW);
  buf.set(hashText(sp.mode), 128);
  writeInt(buf, 160, sp.validFrom);
  writeInt(buf, 192, sp.validUntil);
  return keccak256Short(buf);
}

const DIGEST_BUF = new Uint8Array(66);
DIGEST_BUF[0] = 0x19;
DIGEST_BUF[1] = 0x01;

function typedDigest(domain: Eip712Domain, structHash: Uint8Array): Uint8Array {
  const buf = DIGEST_BUF;
  buf.set(domainSeparator(domain), 2);
  buf.set(structHash, 34);
  const out = new Uint8Array(32);
  keccak256Into(buf, 0, 66, out, 0);
  return out;
}

/** The 32-byte EIP-712 digest of a reading (also the reading's Merkle leaf). */
export function readingDigest(domain: Eip712Domain, reading: Reading): Uint8Array {
  return typedDigest(domain, readingStructHash(reading));
}

/** The 32-byte EIP-712 digest of a setpoint. */
export function setpointDigest(domain: Eip712Domain, sp: Setpoint): Uint8Array {
  return typedDigest(domain, setpointStructHash(sp));
}

const N = secp.Point.CURVE().n;
const HALF_N = N >> 1n;

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
  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(sig, 65, 'signature');
  } catch (e) {
    throw sigError('signature must be 65 bytes of 0x hex (r||s||v)', { length: typeof sig === 'string' ? sig.length : undefined }, e);
  }
  const r = BigInt(bytesToHex(bytes.subarray(0, 32)));
  const s = BigInt(bytesToHex(bytes.subarray(32, 64)));
  const v = bytes[64]!;
  if (v !== 27 && v !== 28) throw sigError(`signature v must be 27 or 28, found ${v}`, { v });
  if (r === 0n || r >= N) throw sigError('signature r out of range');
  if (s === 0n || s >= N) throw sigError('signature s out of range');
  if (s > HALF_N) throw sigError('signature s is high (malleable, EIP-2)');
  return { r, s, v };
}

/** Recover the lower-case signer address of a digest. Throws `PROTO_SIGNATURE_INVALID`. */
export function recoverDigestSigner(digest: Uint8Array, sig: Hex): Hex {
  const { v } = parseSignature(sig);
  const bytes = hexToBytes(sig, 65);
  const rec = new Uint8Array(65);
  rec[0] = v - 27;
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
  return bytesToHex(keccak256Short(pub.subarray(1)).subarray(12));
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
