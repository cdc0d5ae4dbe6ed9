/**
 * The one EIP-712 encoder of the workspace (DESIGN §3, docs/interfaces.md "EIP-712"): the type
 * strings, the domain separator, the Reading and Setpoint struct hashes and digests, and public
 * key → address, over an injected keccak256. The edge and shared use the pure-JS short-input
 * keccak (keccak-short.ts, the default); the cloud binds its native addon
 * (cloud/src/verify/keccak.ts) for ingest throughput. The committed vectors prove every binding
 * equals ethers' TypedDataEncoder and the Solidity digest.
 *
 * Hot path: each engine owns scratch encodings with the type hash preset, so a reading digest
 * allocates only what its keccak allocates and the 32-byte result (single-threaded: an engine is
 * never re-entered). Short strings (pod, meter, source, quantity, unit repeat across readings)
 * have their hashes memoised.
 */
import { ValidationError } from './errors.js';
import { keccak256Into as keccakShortInto } from './keccak-short.js';
import { bytesToHex, hexToBytes, normalizeAddress, type Hex } from './hex.js';
import type { Reading, Measurement } from './reading.js';
import type { Setpoint } from './setpoint.js';

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
export const DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)';

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

/** keccak256 of a type string, with the default keccak (type hashes do not depend on the binding). */
function typeHash(type: string): Hex {
  const out = new Uint8Array(32);
  const bytes = utf8.encode(type);
  keccakShortInto(bytes, 0, bytes.length, out, 0);
  return bytesToHex(out);
}

/** Type hashes, for Solidity and cross-checks (Reading's includes the referenced Measurement type). */
export const TYPEHASHES = {
  Measurement: typeHash(MEASUREMENT_TYPE),
  Reading: typeHash(READING_TYPE + MEASUREMENT_TYPE),
  Setpoint: typeHash(SETPOINT_TYPE),
  EIP712Domain: typeHash(DOMAIN_TYPE),
} as const;

/** Domain for a deployment: name 'LightNode', version '1'. */
export function makeDomain(chainId: number, podRegistry: Hex): Eip712Domain {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new ValidationError('PROTO_DOMAIN_INVALID', 'chainId', 'a positive safe integer', chainId);
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: normalizeAddress(podRegistry, 'verifyingContract', 'PROTO_DOMAIN_INVALID') };
}

/**
 * keccak256(data[start..end)) written to out[outOff..outOff+32). `out` may be `data` (the input
 * must be fully absorbed before the output is written). Synchronous.
 */
export type KeccakInto = (data: Uint8Array, start: number, end: number, out: Uint8Array, outOff: number) => void;

/** Options of `createEip712Engine`. */
export interface Eip712EngineOptions {
  /** keccak256 implementation; default the pure-JS short-input keccak of keccak-short.ts. */
  keccakInto?: KeccakInto;
  /**
   * Memoised string hashes (pod, meter, source, quantity, unit; ≤ 128 UTF-16 units each) before
   * the cache is cleared; default 4,096 (a device). A BAL sees every PoD: give it more.
   */
  textCacheMax?: number;
}

/** An EIP-712 encoder bound to one keccak256. Inputs must be validated readings/setpoints. */
export interface Eip712Engine {
  /** The keccak256 it was built on. */
  readonly keccakInto: KeccakInto;
  /** EIP-712 `hashStruct(domain)`, cached per domain. Throws `PROTO_DOMAIN_INVALID`. */
  domainSeparator(domain: Eip712Domain): Uint8Array;
  /** EIP-712 `hashStruct(reading)`. */
  readingStructHash(r: Reading): Uint8Array;
  /** The reading's digest keccak256(0x1901 ‖ separator ‖ hashStruct(r)), for a separator computed once. */
  readingDigestFor(separator: Uint8Array, r: Reading): Uint8Array;
  /** The 32-byte EIP-712 digest of a reading (also its Merkle leaf). */
  readingDigest(domain: Eip712Domain, r: Reading): Uint8Array;
  /** EIP-712 `hashStruct(setpoint)`. */
  setpointStructHash(sp: Setpoint): Uint8Array;
  /** The 32-byte EIP-712 digest of a setpoint. */
  setpointDigest(domain: Eip712Domain, sp: Setpoint): Uint8Array;
  /** Ethereum address (lower case) of a 65-byte uncompressed public key (0x04 ‖ X ‖ Y). */
  publicKeyToAddress(pub: Uint8Array): Hex;
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

/** Build an EIP-712 engine on `keccakInto` (default: keccak-short). */
export function createEip712Engine(opts: Eip712EngineOptions = {}): Eip712Engine {
  const keccakInto = opts.keccakInto ?? keccakShortInto;
  const textCacheMax = opts.textCacheMax ?? 4096;

  function keccak(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(32);
    keccakInto(data, 0, data.length, out, 0);
    return out;
  }

  // keccak256 of the short strings of a reading repeats across every reading of a device:
  // memoise them (bounded; results are never handed out for mutation).
  const textHashCache = new Map<string, Uint8Array>();
  function hashText(s: string): Uint8Array {
    let h = textHashCache.get(s);
    if (h === undefined) {
      h = keccak(utf8.encode(s));
      if (s.length <= 128) {
        if (textHashCache.size >= textCacheMax) textHashCache.clear();
        textHashCache.set(s, h);
      }
    }
    return h;
  }

  const MEASUREMENT_TYPEHASH = hexToBytes(TYPEHASHES.Measurement);
  const READING_TYPEHASH = hexToBytes(TYPEHASHES.Reading);
  const SETPOINT_TYPEHASH = hexToBytes(TYPEHASHES.Setpoint);
  const DOMAIN_TYPEHASH = hexToBytes(TYPEHASHES.EIP712Domain);

  const domainCache = new Map<string, Uint8Array>();
  function domainSeparator(domain: Eip712Domain): Uint8Array {
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
      sep = keccak(buf);
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
  const DIGEST_BUF = new Uint8Array(66);
  DIGEST_BUF[0] = 0x19;
  DIGEST_BUF[1] = 0x01;
  /** Concatenated Measurement struct hashes of one reading (grows to the largest reading seen). */
  let valuesBuf = new Uint8Array(32 * 64);

  /** EIP-712 `hashStruct(m)` written to out[off..off+32). */
  function measurementHashInto(m: Measurement, out: Uint8Array, off: number): void {
    const buf = MEASUREMENT_BUF;
    buf.set(hashText(m.quantity), 32);
    writeInt(buf, 64, m.value);
    writeInt(buf, 96, m.scale);
    buf.set(hashText(m.unit), 128);
    keccakInto(buf, 0, 160, out, off);
  }

  /** EIP-712 `hashStruct(reading)` written to out[off..off+32). */
  function readingStructHashInto(r: Reading, out: Uint8Array, off: number): void {
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
    keccakInto(arr, 0, 32 * n, buf, 192); // encodeData of an array: keccak of the concatenated element hashes
    keccakInto(buf, 0, 224, out, off);
  }

  function readingStructHash(r: Reading): Uint8Array {
    const out = new Uint8Array(32);
    readingStructHashInto(r, out, 0);
    return out;
  }

  function readingDigestFor(separator: Uint8Array, r: Reading): Uint8Array {
    const buf = DIGEST_BUF;
    readingStructHashInto(r, buf, 34); // written straight into the digest block
    buf.set(separator, 2);
    const out = new Uint8Array(32);
    keccakInto(buf, 0, 66, out, 0);
    return out;
  }

  function setpointStructHash(sp: Setpoint): Uint8Array {
    const buf = new Uint8Array(224);
    buf.set(SETPOINT_TYPEHASH, 0);
    buf.set(hashText(sp.pod), 32);
    buf.set(hashText(sp.id), 64);
    writeInt(buf, 96, sp.activePowerW);
    buf.set(hashText(sp.mode), 128);
    writeInt(buf, 160, sp.validFrom);
    writeInt(buf, 192, sp.validUntil);
    return keccak(buf);
  }

  function setpointDigest(domain: Eip712Domain, sp: Setpoint): Uint8Array {
    const buf = new Uint8Array(66);
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf.set(domainSeparator(domain), 2);
    buf.set(setpointStructHash(sp), 34);
    return keccak(buf);
  }

  const ADDRESS_BUF = new Uint8Array(32);
  function publicKeyToAddress(pub: Uint8Array): Hex {
    keccakInto(pub, 1, 65, ADDRESS_BUF, 0);
    return bytesToHex(ADDRESS_BUF.subarray(12));
  }

  return {
    keccakInto,
    domainSeparator,
    readingStructHash,
    readingDigestFor,
    readingDigest: (domain, r) => readingDigestFor(domainSeparator(domain), r),
    setpointStructHash,
    setpointDigest,
    publicKeyToAddress,
  };
}
