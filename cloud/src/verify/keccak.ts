/**
 * keccak256 for the ingest hot path. A reading digest costs ~7 keccak calls on short inputs
 * (measured on this machine: native `keccak` addon state ≈ 570–700 k hashes/s on 32–66 bytes,
 * `@noble/hashes` ≈ 75 k/s), so we drive the native addon's KeccakState directly — the
 * package's stream wrapper costs 3× more per call — and fall back to noble when the addon
 * does not load (no prebuild, no compiler). Both give identical output (tested).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { KeccakInto } from '@lightnode/shared/eip712-engine';

/** Which implementation `keccak256` uses. */
export type KeccakImpl = 'native' | 'noble';

interface NativeKeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

type NativeStateCtor = new () => NativeKeccakState;

function loadNative(): NativeStateCtor | null {
  if (process.env.BAL_KECCAK === 'noble') return null;
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('keccak/bindings');
    // node-gyp-build is keccak's own dependency: resolve it from there.
    const gypBuild = createRequire(entry)('node-gyp-build') as (dir: string) => unknown;
    const ctor = gypBuild(dirname(entry));
    if (typeof ctor !== 'function') return null;
    return ctor as NativeStateCtor;
  } catch {
    return null;
  }
}

const NativeState = loadNative();
const state = NativeState ? new NativeState() : null;

/** keccak256 with the native addon: rate 1088, capacity 512, Keccak padding (0x01). */
function keccakNative(data: Uint8Array): Uint8Array {
  const s = state!;
  s.initialize(1088, 512);
  s.absorb(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  s.absorbLastFewBits(0x01);
  return s.squeeze(32);
}

function keccakNoble(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/**
 * The native addon in the shared engine's `KeccakInto` form. The addon reads any Uint8Array
 * (N-API buffer info accepts every ArrayBufferView), so a whole array — the engine's scratch
 * blocks — is passed as is; only a slice costs a view object (no copy).
 */
function keccakNativeInto(data: Uint8Array, start: number, end: number, out: Uint8Array, outOff: number): void {
  const s = state!;
  s.initialize(1088, 512);
  s.absorb((start === 0 && end === data.length ? data : Buffer.from(data.buffer, data.byteOffset + start, end - start)) as Buffer);
  s.absorbLastFewBits(0x01);
  out.set(s.squeeze(32), outOff);
}

function keccakNobleInto(data: Uint8Array, start: number, end: number, out: Uint8Array, outOff: number): void {
  out.set(keccak_256(data.subarray(start, end)), outOff);
}

/** The implementation in use in this thread. */
export const keccakImpl: KeccakImpl = state ? 'native' : 'noble';

/** keccak256 of `data` (32 bytes). Synchronous, not re-entrant-sensitive (no awaits inside). */
export const keccak256: (data: Uint8Array) => Uint8Array = state ? keccakNative : keccakNoble;

/** `keccak256` in the `KeccakInto` form the shared EIP-712 engine takes (./digest.ts binds it). */
export const keccak256Into: KeccakInto = state ? keccakNativeInto : keccakNobleInto;

/** The noble implementation, always available (cross-checks and baselines). */
export const keccak256Noble = keccakNoble;

/** The native implementation if loaded, else null. */
export const keccak256Native: ((data: Uint8Array) => Uint8Array) | null = state ? keccakNative : null;
