import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { randomBytes } from 'node:crypto';
import { keccak64, keccak256Of64 } from '../src/keccak64.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('keccak256Of64 equals noble keccak_256 on 2000 random 64-byte inputs', () => {
  for (let i = 0; i < 2000; i++) {
    const x = new Uint8Array(randomBytes(64));
    assert.is(hex(keccak256Of64(x)), hex(keccak_256(x)));
  }
});

test('known answers: all-zero and all-0xff inputs', () => {
  // keccak256(bytes32(0) ++ bytes32(0)), as used for empty Merkle levels elsewhere
  assert.is(hex(keccak256Of64(new Uint8Array(64))), 'ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5');
  const ff = new Uint8Array(64).fill(255);
  assert.is(hex(keccak256Of64(ff)), hex(keccak_256(ff)));
});

test('keccak64 reads two separate words and writes in place (dst may alias src)', () => {
  const buf = new Uint32Array(32);
  const bytes = new Uint8Array(buf.buffer);
  bytes.set(randomBytes(128));
  const a = bytes.slice(64, 96), b = bytes.slice(0, 32);
  const expected = hex(keccak_256(new Uint8Array([...a, ...b])));
  keccak64(buf, 16, 0, buf, 16); // hash (words 16..23 || words 0..7) into words 16..23
  assert.is(hex(bytes.subarray(64, 96)), expected);
});

test('keccak256Of64 refuses other lengths', () => {
  assert.throws(() => keccak256Of64(new Uint8Array(63)), RangeError);
});

test.run();
