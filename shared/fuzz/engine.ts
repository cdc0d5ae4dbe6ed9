/**
 * The seeded hostile-input engine behind `pnpm soak` (issue 17 "Figures") and the CI fuzz test:
 * a deterministic PRNG, mutators for bytes, text and JSON values, and a runner that feeds N
 * inputs to one parser and sorts every outcome into accepted, rejected (by error code) or
 * crashed. "Crashed" is anything that is not a LightNodeError with a well-formed code: a
 * TypeError from deep inside, a RangeError, a plain Error, a hang is not caught here (the
 * runner is synchronous, so a hang shows as a soak that never ends).
 *
 * Pure: no I/O, no clock. The same seed gives the same inputs, so a crash found by the soak is
 * replayed with `inputAt(target, seed, index)`.
 */
import { isLightNodeError } from '../src/errors.js';

/** A parser under attack: valid samples to mutate, and the entry point that takes untrusted input. */
export interface FuzzTarget<I = unknown> {
  /** Short stable name, printed in the soak table ("edge modbus-tcp frame"). */
  name: string;
  /** Where the parser runs: `edge`, `bal`, `shared`. */
  side: string;
  /** Builds one hostile input from valid samples (see `bytesInput`, `textInput`, `jsonTextInput`). */
  input(rnd: Rng): I;
  /** Parses/validates one input as the production code does; throws a coded error to reject. */
  run(input: I): unknown;
}

export interface FuzzResult {
  target: string;
  side: string;
  inputs: number;
  accepted: number;
  /** Rejections by error code. */
  rejected: Record<string, number>;
  crashes: number;
  /** Up to five crashes: input index and message, to replay with `inputAt`. */
  examples: { index: number; error: string }[];
  ms: number;
}

/** Deterministic PRNG (mulberry32): `next()` in [0, 1). */
export class Rng {
  #s: number;
  constructor(seed: number) { this.#s = seed >>> 0; }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
}

const CODE = /^[A-Z][A-Z0-9_]+$/;

/** Seed of input `index` of a run: every input is reproducible on its own. */
export function inputSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
}

/** The input number `index` of a run with `seed` (to replay a crash). */
export function inputAt<I>(target: FuzzTarget<I>, seed: number, index: number): I {
  return target.input(new Rng(inputSeed(seed, index)));
}

/** Feed `n` seeded hostile inputs to `target`. */
export function runTarget<I>(target: FuzzTarget<I>, n: number, seed: number): FuzzResult {
  const started = performance.now();
  const res: FuzzResult = { target: target.name, side: target.side, inputs: 0, accepted: 0, rejected: {}, crashes: 0, examples: [], ms: 0 };
  for (let i = 0; i < n; i++) {
    const input = inputAt(target, seed, i);
    res.inputs += 1;
    try {
      target.run(input);
      res.accepted += 1;
    } catch (e) {
      if (isLightNodeError(e) && CODE.test(e.code)) {
        res.rejected[e.code] = (res.rejected[e.code] ?? 0) + 1;
      } else {
        res.crashes += 1;
        if (res.examples.length < 5) res.examples.push({ index: i, error: String((e as Error)?.stack ?? e).slice(0, 400) });
      }
    }
  }
  res.ms = performance.now() - started;
  return res;
}

// ---- mutators -----------------------------------------------------------------------------

/** Byte-level havoc on a valid frame: flips, inserts, deletes, truncation, length-field games, splices. */
export function mutateBytes(rnd: Rng, base: Uint8Array, others: readonly Uint8Array[] = []): Uint8Array {
  let b: Uint8Array = Uint8Array.from(base);
  const rounds = 1 + rnd.int(4);
  for (let k = 0; k < rounds; k++) {
    const r = rnd.int(9);
    const i = b.length ? rnd.int(b.length) : 0;
    if (r === 0 && b.length) b[i] = b[i]! ^ (1 << rnd.int(8));
    else if (r === 1 && b.length) b[i] = rnd.pick([0x00, 0xff, 0x7f, 0x80, 0x01, rnd.int(256)]);
    else if (r === 2) b = concat(b.subarray(0, i), Uint8Array.of(rnd.int(256)), b.subarray(i));
    else if (r === 3 && b.length) b = concat(b.subarray(0, i), b.subarray(i + 1));
    else if (r === 4) b = b.subarray(0, i);
    else if (r === 5) b = concat(b, randomBytes(rnd, rnd.int(16)));
    else if (r === 6 && b.length >= 2) { const j = rnd.int(b.length - 1); b[j] = 0xff; b[j + 1] = rnd.int(256); }
    else if (r === 7 && others.length) { const o = rnd.pick(others); b = concat(b.subarray(0, i), o.subarray(rnd.int(o.length + 1))); }
    else b = randomBytes(rnd, rnd.int(64));
  }
  return b;
}

export function randomBytes(rnd: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd.int(256);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array, c?: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + (c?.length ?? 0));
  out.set(a, 0); out.set(b, a.length); if (c) out.set(c, a.length + b.length);
  return out;
}

/** Odd values for JSON leaves: wrong types, edges of number ranges, prototype keys. */
export const WEIRD_VALUES: readonly unknown[] = [
  null, true, false, 0, -1, 1.5, -0, 1e308, -1e308, 2 ** 53, 2 ** 64, '', 'x', '0x', '0x' + 'f'.repeat(130), '1', '-1', ' ', '\u0000',
  '\ud800', 'IT001E00000001', [], {}, [null], { v: 1 }, '__proto__', 'constructor', 'a'.repeat(5000),
];

/** Replace a random node of a JSON value, delete or add a key, grow or shrink an array. */
export function mutateJson(rnd: Rng, x: unknown, depth = 0): unknown {
  if (depth > 0 && rnd.chance(0.2)) return rnd.pick(WEIRD_VALUES);
  if (Array.isArray(x)) {
    if (x.length === 0 || rnd.chance(0.15)) return rnd.chance(0.5) ? [] : [...x, rnd.pick(x.length ? x : WEIRD_VALUES)];
    const i = rnd.int(x.length);
    return x.map((e, j) => (j === i ? mutateJson(rnd, e, depth + 1) : e));
  }
  if (x && typeof x === 'object') {
    const keys = Object.keys(x);
    const o: Record<string, unknown> = { ...(x as Record<string, unknown>) };
    const r = rnd.next();
    if (r < 0.12 && keys.length) delete o[rnd.pick(keys)];
    else if (r < 0.2) o[rnd.pick(['extra', 'v', '__proto__', 'constructor', 'prototype'])] = rnd.pick(WEIRD_VALUES);
    else if (keys.length) { const k = rnd.pick(keys); o[k] = mutateJson(rnd, o[k], depth + 1); }
    return o;
  }
  if (typeof x === 'number' && rnd.chance(0.5)) return rnd.pick([x + 1, x - 1, -x, x * 1e6, NaN, Infinity]);
  if (typeof x === 'string' && rnd.chance(0.5)) return mutateText(rnd, x);
  return rnd.pick(WEIRD_VALUES);
}

/** Character-level havoc: truncation, insertion of structural characters, deletion, duplication. */
export function mutateText(rnd: Rng, text: string): string {
  let t = text;
  const rounds = 1 + rnd.int(3);
  for (let k = 0; k < rounds; k++) {
    const i = rnd.int(t.length + 1);
    const r = rnd.int(6);
    if (r === 0) t = t.slice(0, i);
    else if (r === 1) t = t.slice(0, i) + rnd.pick(['{', '}', '[', ']', '"', '\\', ',', ':', '<', '>', '&', '\u0000', '\ud800', '1e999', '-', '0x', ' ']) + t.slice(i);
    else if (r === 2) t = t.slice(0, i) + t.slice(i + 1);
    else if (r === 3) { const j = rnd.int(t.length + 1); t = t.slice(0, i) + t.slice(Math.min(i, j), Math.max(i, j)) + t.slice(i); }
    else if (r === 4) t = t.slice(0, i) + String.fromCharCode(rnd.int(0x3000)) + t.slice(i + 1);
    else t = t.replace(/\d/, () => String(rnd.int(10)));
  }
  return t;
}

/** A JSON text: half the time a structurally mutated value, half the time garbled text of a valid one. */
export function jsonTextInput(rnd: Rng, samples: readonly unknown[]): string {
  const good = rnd.pick(samples);
  if (rnd.chance(0.05)) return JSON.stringify(good); // the valid path stays exercised
  return rnd.chance(0.5) ? JSON.stringify(mutateJson(rnd, good)) ?? 'null' : mutateText(rnd, JSON.stringify(good));
}
