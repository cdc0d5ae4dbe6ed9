// The one signature shape check (src/signature.ts) behind parseSignature and the cloud's
// recoverer: every rule at its boundary (n, n/2, zero, v), and agreement with parseSignature.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signatureShapeFault, signatureRecoveryId } from '../src/signature.js';
import { parseSignature } from '../src/eip712.js';
import { bytesToHex, hexToBytes } from '../src/hex.js';
import { isLightNodeError } from '../src/errors.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const word = (x: bigint): string => x.toString(16).padStart(64, '0');
const sig = (r: bigint, s: bigint, v: number): Uint8Array => hexToBytes(`0x${word(r)}${word(s)}${v.toString(16).padStart(2, '0')}`);

const CASES: [string, Uint8Array, ReturnType<typeof signatureShapeFault>][] = [
  ['valid, v 27', sig(1n, 1n, 27), null],
  ['valid, v 28, s = n/2 (largest low s)', sig(N - 1n, N >> 1n, 28), null],
  ['64 bytes', sig(1n, 1n, 27).subarray(0, 64), 'length'],
  ['66 bytes', Uint8Array.of(...sig(1n, 1n, 27), 0), 'length'],
  ['v 0', sig(1n, 1n, 0), 'v'],
  ['v 29', sig(1n, 1n, 29), 'v'],
  ['r 0', sig(0n, 1n, 27), 'r'],
  ['r = n', sig(N, 1n, 27), 'r'],
  ['s 0', sig(1n, 0n, 27), 's'],
  ['s = n', sig(1n, N, 27), 's'],
  ['s = n/2 + 1 (high s, EIP-2)', sig(1n, (N >> 1n) + 1n, 27), 'high-s'],
];

test('signatureShapeFault: each rule at its boundary', () => {
  for (const [name, bytes, fault] of CASES) assert.is(signatureShapeFault(bytes), fault, name);
});

test('signatureRecoveryId: v − 27 for an acceptable shape, −1 otherwise', () => {
  for (const [name, bytes, fault] of CASES) assert.is(signatureRecoveryId(bytes), fault === null ? bytes[64]! - 27 : -1, name);
});

test('parseSignature refuses exactly what signatureShapeFault refuses, with PROTO_SIGNATURE_INVALID', () => {
  for (const [name, bytes, fault] of CASES) {
    const hex = bytesToHex(bytes);
    if (fault === null) assert.is(parseSignature(hex).v, bytes[64], name);
    else assert.throws(() => parseSignature(hex), (e: unknown) => isLightNodeError(e, 'PROTO_SIGNATURE_INVALID'), name);
  }
});

test.run();
