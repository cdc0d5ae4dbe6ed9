/**
 * Keccak-f[1600], the permutation under Keccak-256 (FIPS 202 §3), in plain TypeScript — the one
 * copy shared by keccak64.ts (Merkle node hash) and keccak-short.ts (EIP-712 hashes).
 *
 * The state is 25 64-bit lanes held as 50 32-bit halves (lane i: low half at index 2i, high half
 * at 2i+1; lanes are little-endian words of the sponge input). `keccakF1600` loads them into
 * locals, runs the 24 rounds with the round body unrolled (straight-line code generated from the
 * FIPS 202 tables: ρ offsets R[x][y], π lane permutation, round constants) and stores them back:
 * no allocation. Checked against noble's keccak_256 through test/keccak64.test.ts and
 * test/keccak-short.test.ts.
 */

/** Round constants of Keccak-f[1600] as (lo, hi) 32-bit pairs (FIPS 202 §3.2.5). */
const RC = new Int32Array([
  0x00000001, 0x00000000, 0x00008082, 0x00000000, 0x0000808a, 0x80000000,
  0x80008000, 0x80000000, 0x0000808b, 0x00000000, 0x80000001, 0x00000000,
  0x80008081, 0x80000000, 0x00008009, 0x80000000, 0x0000008a, 0x00000000,
  0x00000088, 0x00000000, 0x80008009, 0x00000000, 0x8000000a, 0x00000000,
  0x8000808b, 0x00000000, 0x0000008b, 0x80000000, 0x00008089, 0x80000000,
  0x00008003, 0x80000000, 0x00008002, 0x80000000, 0x00000080, 0x80000000,
  0x0000800a, 0x00000000, 0x8000000a, 0x80000000, 0x80008081, 0x80000000,
  0x00008080, 0x80000000, 0x80000001, 0x00000000, 0x80008008, 0x80000000,
]);

/** Apply Keccak-f[1600] in place to a 50-element state of 32-bit lane halves (lo, hi per lane). */
export function keccakF1600(st: Int32Array): void {
  let s0l = st[0]! | 0, s0h = st[1]! | 0;
  let s1l = st[2]! | 0, s1h = st[3]! | 0;
  let s2l = st[4]! | 0, s2h = st[5]! | 0;
  let s3l = st[6]! | 0, s3h = st[7]! | 0;
  let s4l = st[8]! | 0, s4h = st[9]! | 0;
  let s5l = st[10]! | 0, s5h = st[11]! | 0;
  let s6l = st[12]! | 0, s6h = st[13]! | 0;
  let s7l = st[14]! | 0, s7h = st[15]! | 0;
  let s8l = st[16]! | 0, s8h = st[17]! | 0;
  let s9l = st[18]! | 0, s9h = st[19]! | 0;
  let s10l = st[20]! | 0, s10h = st[21]! | 0;
  let s11l = st[22]! | 0, s11h = st[23]! | 0;
  let s12l = st[24]! | 0, s12h = st[25]! | 0;
  let s13l = st[26]! | 0, s13h = st[27]! | 0;
  let s14l = st[28]! | 0, s14h = st[29]! | 0;
  let s15l = st[30]! | 0, s15h = st[31]! | 0;
  let s16l = st[32]! | 0, s16h = st[33]! | 0;
  let s17l = st[34]! | 0, s17h = st[35]! | 0;
  let s18l = st[36]! | 0, s18h = st[37]! | 0;
  let s19l = st[38]! | 0, s19h = st[39]! | 0;
  let s20l = st[40]! | 0, s20h = st[41]! | 0;
  let s21l = st[42]! | 0, s21h = st[43]! | 0;
  let s22l = st[44]! | 0, s22h = st[45]! | 0;
  let s23l = st[46]! | 0, s23h = st[47]! | 0;
  let s24l = st[48]! | 0, s24h = st[49]! | 0;
  for (let round = 0; round < 48; round += 2) {
    // θ
    const c0l = s0l ^ s5l ^ s10l ^ s15l ^ s20l, c0h = s0h ^ s5h ^ s10h ^ s15h ^ s20h;
    const c1l = s1l ^ s6l ^ s11l ^ s16l ^ s21l, c1h = s1h ^ s6h ^ s11h ^ s16h ^ s21h;
    const c2l = s2l ^ s7l ^ s12l ^ s17l ^ s22l, c2h = s2h ^ s7h ^ s12h ^ s17h ^ s22h;
    const c3l = s3l ^ s8l ^ s13l ^ s18l ^ s23l, c3h = s3h ^ s8h ^ s13h ^ s18h ^ s23h;
    const c4l = s4l ^ s9l ^ s14l ^ s19l ^ s24l, c4h = s4h ^ s9h ^ s14h ^ s19h ^ s24h;
    const d0l = c4l ^ ((c1l << 1) | (c1h >>> 31)), d0h = c4h ^ ((c1h << 1) | (c1l >>> 31));
    const d1l = c0l ^ ((c2l << 1) | (c2h >>> 31)), d1h = c0h ^ ((c2h << 1) | (c2l >>> 31));
    const d2l = c1l ^ ((c3l << 1) | (c3h >>> 31)), d2h = c1h ^ ((c3h << 1) | (c3l >>> 31));
    const d3l = c2l ^ ((c4l << 1) | (c4h >>> 31)), d3h = c2h ^ ((c4h << 1) | (c4l >>> 31));
    const d4l = c3l ^ ((c0l << 1) | (c0h >>> 31)), d4h = c3h ^ ((c0h << 1) | (c0l >>> 31));
    s0l ^= d0l; s0h ^= d0h; s1l ^= d1l; s1h ^= d1h; s2l ^= d2l; s2h ^= d2h; s3l ^= d3l; s3h ^= d3h; s4l ^= d4l; s4h ^= d4h;
    s5l ^= d0l; s5h ^= d0h; s6l ^= d1l; s6h ^= d1h; s7l ^= d2l; s7h ^= d2h; s8l ^= d3l; s8h ^= d3h; s9l ^= d4l; s9h ^= d4h;
    s10l ^= d0l; s10h ^= d0h; s11l ^= d1l; s11h ^= d1h; s12l ^= d2l; s12h ^= d2h; s13l ^= d3l; s13h ^= d3h; s14l ^= d4l; s14h ^= d4h;
    s15l ^= d0l; s15h ^= d0h; s16l ^= d1l; s16h ^= d1h; s17l ^= d2l; s17h ^= d2h; s18l ^= d3l; s18h ^= d3h; s19l ^= d4l; s19h ^= d4h;
    s20l ^= d0l; s20h ^= d0h; s21l ^= d1l; s21h ^= d1h; s22l ^= d2l; s22h ^= d2h; s23l ^= d3l; s23h ^= d3h; s24l ^= d4l; s24h ^= d4h;
    // ρ and π: B[y][2x+3y] = rot(A[x][y], R[x][y])
    const b0l = s0l, b0h = s0h;
    const b16l = (s5h << 4) | (s5l >>> 28), b16h = (s5l << 4) | (s5h >>> 28);
    const b7l = (s10l << 3) | (s10h >>> 29), b7h = (s10h << 3) | (s10l >>> 29);
    const b23l = (s15h << 9) | (s15l >>> 23), b23h = (s15l << 9) | (s15h >>> 23);
    const b14l = (s20l << 18) | (s20h >>> 14), b14h = (s20h << 18) | (s20l >>> 14);
    const b10l = (s1l << 1) | (s1h >>> 31), b10h = (s1h << 1) | (s1l >>> 31);
    const b1l = (s6h << 12) | (s6l >>> 20), b1h = (s6l << 12) | (s6h >>> 20);
    const b17l = (s11l << 10) | (s11h >>> 22), b17h = (s11h << 10) | (s11l >>> 22);
    const b8l = (s16h << 13) | (s16l >>> 19), b8h = (s16l << 13) | (s16h >>> 19);
    const b24l = (s21l << 2) | (s21h >>> 30), b24h = (s21h << 2) | (s21l >>> 30);
    const b20l = (s2h << 30) | (s2l >>> 2), b20h = (s2l << 30) | (s2h >>> 2);
    const b11l = (s7l << 6) | (s7h >>> 26), b11h = (s7h << 6) | (s7l >>> 26);
    const b2l = (s12h << 11) | (s12l >>> 21), b2h = (s12l << 11) | (s12h >>> 21);
    const b18l = (s17l << 15) | (s17h >>> 17), b18h = (s17h << 15) | (s17l >>> 17);
    const b9l = (s22h << 29) | (s22l >>> 3), b9h = (s22l << 29) | (s22h >>> 3);
    const b5l = (s3l << 28) | (s3h >>> 4), b5h = (s3h << 28) | (s3l >>> 4);
    const b21l = (s8h << 23) | (s8l >>> 9), b21h = (s8l << 23) | (s8h >>> 9);
    const b12l = (s13l << 25) | (s13h >>> 7), b12h = (s13h << 25) | (s13l >>> 7);
    const b3l = (s18l << 21) | (s18h >>> 11), b3h = (s18h << 21) | (s18l >>> 11);
    const b19l = (s23h << 24) | (s23l >>> 8), b19h = (s23l << 24) | (s23h >>> 8);
    const b15l = (s4l << 27) | (s4h >>> 5), b15h = (s4h << 27) | (s4l >>> 5);
    const b6l = (s9l << 20) | (s9h >>> 12), b6h = (s9h << 20) | (s9l >>> 12);
    const b22l = (s14h << 7) | (s14l >>> 25), b22h = (s14l << 7) | (s14h >>> 25);
    const b13l = (s19l << 8) | (s19h >>> 24), b13h = (s19h << 8) | (s19l >>> 24);
    const b4l = (s24l << 14) | (s24h >>> 18), b4h = (s24h << 14) | (s24l >>> 18);
    // χ
    s0l = b0l ^ (~b1l & b2l); s0h = b0h ^ (~b1h & b2h);
    s1l = b1l ^ (~b2l & b3l); s1h = b1h ^ (~b2h & b3h);
    s2l = b2l ^ (~b3l & b4l); s2h = b2h ^ (~b3h & b4h);
    s3l = b3l ^ (~b4l & b0l); s3h = b3h ^ (~b4h & b0h);
    s4l = b4l ^ (~b0l & b1l); s4h = b4h ^ (~b0h & b1h);
    s5l = b5l ^ (~b6l & b7l); s5h = b5h ^ (~b6h & b7h);
    s6l = b6l ^ (~b7l & b8l); s6h = b6h ^ (~b7h & b8h);
    s7l = b7l ^ (~b8l & b9l); s7h = b7h ^ (~b8h & b9h);
    s8l = b8l ^ (~b9l & b5l); s8h = b8h ^ (~b9h & b5h);
    s9l = b9l ^ (~b5l & b6l); s9h = b9h ^ (~b5h & b6h);
    s10l = b10l ^ (~b11l & b12l); s10h = b10h ^ (~b11h & b12h);
    s11l = b11l ^ (~b12l & b13l); s11h = b11h ^ (~b12h & b13h);
    s12l = b12l ^ (~b13l & b14l); s12h = b12h ^ (~b13h & b14h);
    s13l = b13l ^ (~b14l & b10l); s13h = b13h ^ (~b14h & b10h);
    s14l = b14l ^ (~b10l & b11l); s14h = b14h ^ (~b10h & b11h);
    s15l = b15l ^ (~b16l & b17l); s15h = b15h ^ (~b16h & b17h);
    s16l = b16l ^ (~b17l & b18l); s16h = b16h ^ (~b17h & b18h);
    s17l = b17l ^ (~b18l & b19l); s17h = b17h ^ (~b18h & b19h);
    s18l = b18l ^ (~b19l & b15l); s18h = b18h ^ (~b19h & b15h);
    s19l = b19l ^ (~b15l & b16l); s19h = b19h ^ (~b15h & b16h);
    s20l = b20l ^ (~b21l & b22l); s20h = b20h ^ (~b21h & b22h);
    s21l = b21l ^ (~b22l & b23l); s21h = b21h ^ (~b22h & b23h);
    s22l = b22l ^ (~b23l & b24l); s22h = b22h ^ (~b23h & b24h);
    s23l = b23l ^ (~b24l & b20l); s23h = b23h ^ (~b24h & b20h);
    s24l = b24l ^ (~b20l & b21l); s24h = b24h ^ (~b20h & b21h);
    // ι
    s0l ^= RC[round]!;
    s0h ^= RC[round + 1]!;
  }
  st[0] = s0l; st[1] = s0h; st[2] = s1l; st[3] = s1h; st[4] = s2l; st[5] = s2h; st[6] = s3l; st[7] = s3h; st[8] = s4l; st[9] = s4h;
  st[10] = s5l; st[11] = s5h; st[12] = s6l; st[13] = s6h; st[14] = s7l; st[15] = s7h; st[16] = s8l; st[17] = s8h; st[18] = s9l; st[19] = s9h;
  st[20] = s10l; st[21] = s10h; st[22] = s11l; st[23] = s11h; st[24] = s12l; st[25] = s12h; st[26] = s13l; st[27] = s13h; st[28] = s14l; st[29] = s14h;
  st[30] = s15l; st[31] = s15h; st[32] = s16l; st[33] = s16h; st[34] = s17l; st[35] = s17h; st[36] = s18l; st[37] = s18h; st[38] = s19l; st[39] = s19h;
  st[40] = s20l; st[41] = s20h; st[42] = s21l; st[43] = s21h; st[44] = s22l; st[45] = s22h; st[46] = s23l; st[47] = s23h; st[48] = s24l; st[49] = s24h;
}
