/**
 * Keccak-256 (the Ethereum pre-standard padding 0x01 … 0x80, not SHA3-256) for short inputs —
 * the EIP-712 struct hashes and digests of eip712.ts, 66 to ~2,000 bytes — written for low
 * per-call cost: noble's general `keccak_256` allocates a hasher, its state and its output per
 * call, which for a 160-byte Measurement struct costs several times the permutation itself
 * (see bench/bench.ts).
 *
 * Any length works; there is no size limit, but nothing here is tuned for long inputs. The sponge
 * state is one reusable module-level Int32Array (50 32-bit lane halves), the permutation is the
 * shared one of keccak-f1600.ts, input bytes are absorbed four at a time with shifts (independent
 * of host byte order), and `keccak256Into` writes the 32-byte result into a caller's buffer, so
 * it allocates nothing. Single-threaded: the state is reset at the start of each call and no call
 * is re-entered. Checked against noble's keccak_256 on random inputs of every length 0..600 in
 * test/keccak-short.test.ts.
 */
import { keccakF1600 } from './keccak-f1600.js';

/** Sponge rate of Keccak-256 in bytes (1600 − 2·256 bits). */
export const KECCAK256_RATE = 136;

const ST = new Int32Array(50);

/** Little-endian 32-bit word of `data` at byte `p` (all four bytes must exist). */
function word(data: Uint8Array, p: number): number {
  return data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16) | (data[p + 3]! << 24);
}

/**
 * keccak256(data[start..end)) written to out[outOff..outOff+32). No allocation. `out` may be
 * `data` itself (the input is fully absorbed before the output is written).
 */
export function keccak256Into(data: Uint8Array, start: number, end: number, out: Uint8Array, outOff: number): void {
  const st = ST;
  st.fill(0);
  let p = start;
  // Full 136-byte blocks: 17 lanes = 34 half-words each.
  while (end - p >= KECCAK256_RATE) {
    for (let w = 0; w < 34; w++, p += 4) st[w] ^= word(data, p);
    keccakF1600(st);
  }
  // Last, partial block (0..135 bytes) plus the multi-rate padding 0x01 … 0x80.
  const len = end - p;
  const words = len >>> 2;
  for (let w = 0; w < words; w++, p += 4) st[w] ^= word(data, p);
  let tail = 0;
  const rest = len & 3;
  for (let i = 0; i < rest; i++) tail |= data[p + i]! << (8 * i);
  st[words] ^= tail | (1 << (8 * rest));
  st[33] ^= 0x80000000 | 0;
  keccakF1600(st);
  for (let w = 0; w < 8; w++) {
    const v = st[w]!;
    const o = outOff + 4 * w;
    out[o] = v & 255; out[o + 1] = (v >>> 8) & 255; out[o + 2] = (v >>> 16) & 255; out[o + 3] = v >>> 24;
  }
}

/** keccak256 of `data` as a new 32-byte array. */
export function keccak256Short(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  keccak256Into(data, 0, data.length, out, 0);
  return out;
}
