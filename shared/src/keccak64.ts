/**
 * A specialised Keccak-256 for exactly 64 bytes of input — the Merkle node hash
 * keccak256(left || right) — written for throughput: building a 1,000,000-leaf tree needs
 * 999,999 of them, and the general-purpose noble `keccak_256` spends most of its time on
 * allocation and absorb bookkeeping for such short inputs (see bench/bench.ts).
 *
 * Pure TypeScript, no dependencies. The permutation is the shared one of keccak-f1600.ts (also
 * under keccak-short.ts); checked against noble's keccak_256 on random inputs in
 * test/keccak64.test.ts.
 */
import { keccakF1600 } from './keccak-f1600.js';

/** True on little-endian hosts, where a Uint32Array view of bytes holds Keccak's lane order. */
export const IS_LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Reusable sponge state (50 32-bit lane halves); single-threaded use only. */
const ST = new Int32Array(50);

/**
 * keccak256(a || b) for two 32-byte words a and b: one Keccak-f[1600] permutation on a reusable
 * state, no allocation. Words are read from and written
 * to Uint32Arrays whose elements hold little-endian bytes (Keccak lanes are little-endian), so a
 * Uint32Array view over a byte buffer works as is on a little-endian host (see IS_LITTLE_ENDIAN).
 * `a`, `b`, `d` are indexes in 32-bit words (byte offset / 4).
 */
export function keccak64(src: Uint32Array, a: number, b: number, dst: Uint32Array, d: number): void {
  const st = ST;
  st.fill(0, 18);
  st[0] = src[a]!; st[1] = src[a + 1]!; st[2] = src[a + 2]!; st[3] = src[a + 3]!;
  st[4] = src[a + 4]!; st[5] = src[a + 5]!; st[6] = src[a + 6]!; st[7] = src[a + 7]!;
  st[8] = src[b]!; st[9] = src[b + 1]!; st[10] = src[b + 2]!; st[11] = src[b + 3]!;
  st[12] = src[b + 4]!; st[13] = src[b + 5]!; st[14] = src[b + 6]!; st[15] = src[b + 7]!;
  st[16] = 1; st[17] = 0; // pad10*1: 0x01 after the 64 bytes …
  st[33] = 0x80000000 | 0; // … and 0x80 in the last byte of the 136-byte rate
  keccakF1600(st);
  dst[d] = st[0]!; dst[d + 1] = st[1]!; dst[d + 2] = st[2]!; dst[d + 3] = st[3]!;
  dst[d + 4] = st[4]!; dst[d + 5] = st[5]!; dst[d + 6] = st[6]!; dst[d + 7] = st[7]!;
}

/**
 * keccak256 of a 64-byte array, returned as a new 32-byte array (convenience and tests; on a
 * big-endian host it byte-swaps words so the result is still right).
 */
export function keccak256Of64(input: Uint8Array): Uint8Array {
  if (input.length !== 64) throw new RangeError(`keccak256Of64 expects 64 bytes, got ${input.length}`);
  const src = new Uint32Array(16);
  const view = new DataView(input.buffer, input.byteOffset, 64);
  for (let i = 0; i < 16; i++) src[i] = view.getUint32(4 * i, true);
  const dst = new Uint32Array(8);
  keccak64(src, 0, 8, dst, 0);
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(4 * i, dst[i]!, true);
  return out;
}
