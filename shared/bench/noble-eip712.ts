/**
 * Bench baseline only: the reading digest exactly as eip712.ts computed it before keccak-short.ts —
 * the same encoder (memoised string hashes, fresh buffers) over noble's general `keccak_256`.
 * bench.ts checks it gives the same digests as ours and times both in the same run.
 * DELIBERATE BASELINE COPY (issue 18): this naive second encoder is kept on purpose as the
 * same-run reference the shared engine (src/eip712-engine.ts) is measured against; it is not
 * production code and is not to be merged into the engine.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { domainSeparator, TYPEHASHES, type Eip712Domain } from '../src/eip712.js';
import { hexToBytes } from '../src/hex.js';
import type { Measurement, Reading } from '../src/reading.js';

const utf8 = new TextEncoder();
const memo = new Map<string, Uint8Array>();
function hashText(s: string): Uint8Array {
  let h = memo.get(s);
  if (h === undefined) { h = keccak_256(utf8.encode(s)); memo.set(s, h); }
  return h;
}
const MEASUREMENT_TYPEHASH = hexToBytes(TYPEHASHES.Measurement);
const READING_TYPEHASH = hexToBytes(TYPEHASHES.Reading);

function writeInt(buf: Uint8Array, off: number, n: number): void {
  const fill = n < 0 ? 0xff : 0;
  for (let i = 0; i < 24; i++) buf[off + i] = fill;
  const hi = Math.floor(n / 4294967296) >>> 0;
  const lo = n >>> 0;
  buf[off + 24] = hi >>> 24; buf[off + 25] = (hi >>> 16) & 255; buf[off + 26] = (hi >>> 8) & 255; buf[off + 27] = hi & 255;
  buf[off + 28] = lo >>> 24; buf[off + 29] = (lo >>> 16) & 255; buf[off + 30] = (lo >>> 8) & 255; buf[off + 31] = lo & 255;
}

function measurementHash(m: Measurement): Uint8Array {
  const buf = new Uint8Array(160);
  buf.set(MEASUREMENT_TYPEHASH, 0);
  buf.set(hashText(m.quantity), 32);
  writeInt(buf, 64, m.value);
  writeInt(buf, 96, m.scale);
  buf.set(hashText(m.unit), 128);
  return keccak_256(buf);
}

/** readingDigest on noble's keccak_256 (the pre-keccak-short implementation). */
export function nobleReadingDigest(domain: Eip712Domain, r: Reading): Uint8Array {
  const arr = new Uint8Array(32 * r.values.length);
  for (let i = 0; i < r.values.length; i++) arr.set(measurementHash(r.values[i]!), 32 * i);
  const buf = new Uint8Array(224);
  buf.set(READING_TYPEHASH, 0);
  buf.set(hashText(r.pod), 32);
  buf.set(hashText(r.meter), 64);
  writeInt(buf, 96, r.seq);
  writeInt(buf, 128, r.timestamp);
  buf.set(hashText(r.source), 160);
  buf.set(keccak_256(arr), 192);
  const d = new Uint8Array(66);
  d[0] = 0x19; d[1] = 0x01;
  d.set(domainSeparator(domain), 2);
  d.set(keccak_256(buf), 34);
  return keccak_256(d);
}
