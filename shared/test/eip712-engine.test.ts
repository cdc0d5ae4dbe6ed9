// The EIP-712 engine over an injected keccak (src/eip712-engine.ts): any correct keccak binding
// reproduces the committed vectors; a wrong one does not (the keccak is really the one used).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { keccak_256 } from '@noble/hashes/sha3.js';
import * as secp from '@noble/secp256k1';
import { createEip712Engine, type KeccakInto } from '../src/eip712-engine.js';
import { bytesToHex, hexToBytes } from '../src/hex.js';

const readings = JSON.parse(readFileSync(new URL('../vectors/readings.json', import.meta.url), 'utf8'));
const setpoints = JSON.parse(readFileSync(new URL('../vectors/setpoints.json', import.meta.url), 'utf8'));
const unsigned = ({ signature: _s, ...rest }: any): any => rest;

let nobleCalls = 0;
const nobleInto: KeccakInto = (data, start, end, out, outOff) => { nobleCalls++; out.set(keccak_256(data.subarray(start, end)), outOff); };

for (const [label, engine] of [['default (keccak-short)', createEip712Engine()], ['noble binding, tiny cache', createEip712Engine({ keccakInto: nobleInto, textCacheMax: 2 })]] as const) {
  test(`${label}: reading vectors (separator, struct hash, digest, address)`, () => {
    for (const v of readings.vectors) {
      const sep = engine.domainSeparator(v.domain);
      assert.is(bytesToHex(sep), v.domainSeparator, v.name);
      assert.is(bytesToHex(engine.readingStructHash(unsigned(v.reading))), v.structHash, v.name);
      assert.is(bytesToHex(engine.readingDigestFor(sep, unsigned(v.reading))), v.digest, v.name);
      assert.is(bytesToHex(engine.readingDigest(v.domain, unsigned(v.reading))), v.digest, v.name);
      assert.is(engine.publicKeyToAddress(secp.getPublicKey(hexToBytes(v.privateKey), false)), v.address, v.name);
    }
  });
  test(`${label}: setpoint vectors`, () => {
    for (const v of setpoints.vectors) assert.is(bytesToHex(engine.setpointDigest(v.domain, unsigned(v.setpoint))), v.digest, v.name);
  });
}

test('the injected keccak is the one used: calls counted, and a wrong keccak changes the digest', () => {
  const v = readings.vectors[0];
  const before = nobleCalls;
  createEip712Engine({ keccakInto: nobleInto }).readingDigest(v.domain, unsigned(v.reading));
  assert.ok(nobleCalls > before);
  const wrong: KeccakInto = (data, start, end, out, outOff) => { out.set(keccak_256(data.subarray(start, end)), outOff); out[outOff] ^= 1; };
  assert.is.not(bytesToHex(createEip712Engine({ keccakInto: wrong }).readingDigest(v.domain, unsigned(v.reading))), v.digest);
});

test.run();
