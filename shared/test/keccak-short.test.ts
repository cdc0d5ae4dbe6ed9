import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { keccak256Into, keccak256Short, KECCAK256_RATE } from '../src/keccak-short.js';
import { prng } from './prng.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h.replace(/^0x/, ''), 'hex'));

test('equals noble keccak_256 on random inputs of every length 0..600 (3 per length)', () => {
  const rnd = prng(0x6b656363);
  for (let len = 0; len <= 600; len++) {
    for (let k = 0; k < 3; k++) {
      const x = new Uint8Array(len);
      for (let i = 0; i < len; i++) x[i] = (rnd() * 256) | 0;
      assert.is(hex(keccak256Short(x)), hex(keccak_256(x)), `length ${len}, sample ${k}`);
    }
  }
});

test('block boundaries, 0xff-filled (padding bytes collide with data bits)', () => {
  for (const len of [KECCAK256_RATE - 1, KECCAK256_RATE, KECCAK256_RATE + 1, 2 * KECCAK256_RATE - 1, 2 * KECCAK256_RATE, 5000]) {
    const x = new Uint8Array(len).fill(0xff);
    assert.is(hex(keccak256Short(x)), hex(keccak_256(x)), `length ${len}`);
  }
});

test('known answers: empty input and "abc" (Ethereum keccak256, not SHA3-256)', () => {
  assert.is(hex(keccak256Short(new Uint8Array(0))), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  assert.is(hex(keccak256Short(new TextEncoder().encode('abc'))), '4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
});

test('keccak256Into hashes a sub-range of an unaligned view and writes at an offset, also in place', () => {
  const rnd = prng(42);
  const backing = new Uint8Array(1000);
  for (let i = 0; i < backing.length; i++) backing[i] = (rnd() * 256) | 0;
  const view = backing.subarray(3, 900); // byteOffset 3: not 4-aligned
  const expected = hex(keccak_256(view.slice(7, 7 + 301)));
  const out = new Uint8Array(40);
  keccak256Into(view, 7, 7 + 301, out, 5);
  assert.is(hex(out.subarray(5, 37)), expected);
  assert.is(out[4], 0);
  assert.is(out[37], 0);
  const inPlace = view.slice(0, 400);
  keccak256Into(inPlace, 7, 7 + 301, inPlace, 10); // output overlaps the input range
  assert.is(hex(inPlace.subarray(10, 42)), expected);
});

test('state does not leak between calls (same input after a long one gives the same hash)', () => {
  const a = new Uint8Array(66).fill(7);
  const first = hex(keccak256Short(a));
  keccak256Short(new Uint8Array(1234).fill(0xa5));
  assert.is(hex(keccak256Short(a)), first);
});

test('committed vectors: type hashes of the type strings and digest = keccak(0x1901 ‖ domainSeparator ‖ structHash)', () => {
  const readings = JSON.parse(readFileSync(new URL('../vectors/readings.json', import.meta.url), 'utf8'));
  const setpoints = JSON.parse(readFileSync(new URL('../vectors/setpoints.json', import.meta.url), 'utf8'));
  const enc = new TextEncoder();
  const M = 'Measurement(string quantity,int64 value,int8 scale,string unit)';
  assert.is('0x' + hex(keccak256Short(enc.encode(M))), readings.typeHashes.Measurement);
  assert.is('0x' + hex(keccak256Short(enc.encode('Reading(string pod,string meter,uint64 seq,uint64 timestamp,string source,Measurement[] values)' + M))), readings.typeHashes.Reading);
  let n = 0;
  for (const v of readings.vectors) {
    const buf = new Uint8Array([0x19, 0x01, ...unhex(v.domainSeparator), ...unhex(v.structHash)]);
    assert.is('0x' + hex(keccak256Short(buf)), v.digest, v.name);
    n++;
  }
  for (const v of setpoints.vectors) assert.ok(typeof v.digest === 'string' && v.digest.length === 66, v.name);
  assert.ok(n >= 8, `${n} reading vectors`);
});

test.run();
