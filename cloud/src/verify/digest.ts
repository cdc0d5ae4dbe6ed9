/**
 * EIP-712 reading digest on the ingest hot path (DESIGN §3, docs/interfaces.md "EIP-712").
 * Same bytes as `readingDigest` of `@lightnode/shared/eip712` (tested on the shared vectors),
 * but written for throughput: fixed-size preallocated encode buffers, type hashes computed
 * once, string hashes (pod, meter, source, quantity, unit repeat across readings) memoised,
 * and the fast keccak of ./keccak.ts. Inputs must already be validated readings.
 */
import { keccak256 } from './keccak.js';

/** Structural reading (same shape as shared's `Reading`). */
export interface DigestReading {
  pod: string;
  meter: string;
  seq: number;
  timestamp: number;
  source: string;
  values: readonly { quantity: string; value: number; scale: number; unit: string }[];
}

/** EIP-712 domain (docs/interfaces.md). */
export interface DigestDomain { name: string; version: string; chainId: number; verifyingContract: string }

const utf8 = new TextEncoder();

const MEASUREMENT_TYPE = 'Measurement(string quantity,int64 value,int8 scale,string unit)';
const READING_TYPE = `Reading(string pod,string meter,uint64 seq,uint64 timestamp,string source,Measurement[] values)${MEASUREMENT_TYPE}`;
const DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)';

const MEASUREMENT_TYPEHASH = keccak256(utf8.encode(MEASUREMENT_TYPE));
const READING_TYPEHASH = keccak256(utf8.encode(READING_TYPE));
const DOMAIN_TYPEHASH = keccak256(utf8.encode(DOMAIN_TYPE));

const STRING_CACHE_MAX = 50_000;
const stringHashes = new Map<string, Uint8Array>();

/** keccak256(utf8(s)), memoised (bounded: cleared when it grows past STRING_CACHE_MAX). */
function hashString(s: string): Uint8Array {
  let h = stringHashes.get(s);
  if (h === undefined) {
    h = Uint8Array.from(keccak256(utf8.encode(s)));
    if (stringHashes.size >= STRING_CACHE_MAX) stringHashes.clear();
    stringHashes.set(s, h);
  }
  return h;
}

const TWO_32 = 4294967296;

/** Write a safe integer as a 32-byte big-endian two's-complement word at `off`. */
function writeInt256(buf: Uint8Array, off: number, n: number): void {
  // |n| < 2^53, so the high 32-bit half is in (-2^21, 2^21): `>>> 0` gives its two's complement.
  const hi = Math.floor(n / TWO_32);
  const lo = n - hi * TWO_32;
  buf.fill(n < 0 ? 0xff : 0, off, off + 24);
  writeU32(buf, off + 24, hi >>> 0);
  writeU32(buf, off + 28, lo);
}

function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

/** EIP-712 domain separator (hashStruct(EIP712Domain)). */
export function domainSeparator(domain: DigestDomain): Uint8Array {
  const buf = new Uint8Array(32 * 5);
  buf.set(DOMAIN_TYPEHASH, 0);
  buf.set(keccak256(utf8.encode(domain.name)), 32);
  buf.set(keccak256(utf8.encode(domain.version)), 64);
  writeInt256(buf, 96, domain.chainId);
  const addr = domain.verifyingContract.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(addr)) throw new Error(`verifyingContract: expected a 20-byte 0x address, found ${addr}`);
  for (let i = 0; i < 20; i++) buf[140 + i] = parseInt(addr.slice(2 + 2 * i, 4 + 2 * i), 16);
  return Uint8Array.from(keccak256(buf));
}

const measurementBuf = new Uint8Array(32 * 5);
measurementBuf.set(MEASUREMENT_TYPEHASH, 0);
const readingBuf = new Uint8Array(32 * 7);
readingBuf.set(READING_TYPEHASH, 0);
const finalBuf = new Uint8Array(2 + 32 + 32);
finalBuf[0] = 0x19;
finalBuf[1] = 0x01;
let valuesBuf = new Uint8Array(32 * 64);

/**
 * The reading's EIP-712 digest: keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(Reading)).
 * `separator` comes from `domainSeparator(domain)` (compute once per deployment).
 */
export function fastReadingDigest(separator: Uint8Array, r: DigestReading): Uint8Array {
  const n = r.values.length;
  if (valuesBuf.length < 32 * n) valuesBuf = new Uint8Array(32 * n);
  for (let i = 0; i < n; i++) {
    const m = r.values[i]!;
    measurementBuf.set(hashString(m.quantity), 32);
    writeInt256(measurementBuf, 64, m.value);
    writeInt256(measurementBuf, 96, m.scale);
    measurementBuf.set(hashString(m.unit), 128);
    valuesBuf.set(keccak256(measurementBuf), 32 * i);
  }
  const valuesHash = keccak256(valuesBuf.subarray(0, 32 * n));
  readingBuf.set(hashString(r.pod), 32);
  readingBuf.set(hashString(r.meter), 64);
  writeInt256(readingBuf, 96, r.seq);
  writeInt256(readingBuf, 128, r.timestamp);
  readingBuf.set(hashString(r.source), 160);
  readingBuf.set(valuesHash, 192);
  const structHash = keccak256(readingBuf);
  finalBuf.set(separator, 2);
  finalBuf.set(structHash, 34);
  return keccak256(finalBuf); // a fresh array from either implementation
}
