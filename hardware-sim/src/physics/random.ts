/** Small deterministic PRNG helpers (mulberry32 and an integer hash) so simulations are reproducible from a seed. */

/** Returns a float in [0, 1) determined only by the integers given. */
export function hash01(...ints: number[]): number {
  let h = 0x9e3779b9;
  for (const i of ints) {
    h = Math.imul(h ^ (i | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 4294967296;
}

/** Approximately normal noise N(0, 1) from two hashed uniforms (Box–Muller). */
export function gauss(...ints: number[]): number {
  const u = Math.max(hash01(...ints, 1), 1e-12);
  const v = hash01(...ints, 2);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
