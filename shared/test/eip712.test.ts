import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { makeDomain, parseSignature, signDigest, recoverDigestSigner, addressOf, signReading, recoverReadingSigner, verifyReadingSignature } from '../src/eip712.js';
import { isLightNodeError } from '../src/errors.js';
import type { Hex } from '../src/hex.js';

const key = keccak_256(new TextEncoder().encode('eip712 unit test key'));
const domain = makeDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const reading = { pod: 'IT001E12345678', meter: 'm1', seq: 5, timestamp: 1_763_780_400_000, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 10, scale: 0, unit: 'Wh' }] };

test('makeDomain fixes name/version, lower-cases the registry and refuses bad input', () => {
  assert.equal(domain, { name: 'LightNode', version: '1', chainId: 31337, verifyingContract: '0x5fbdb2315678afecb367f032d93f642f64180aa3' });
  for (const [c, a] of [[0, domain.verifyingContract], [1.5, domain.verifyingContract], [1, '0x1234']] as const) {
    assert.throws(() => makeDomain(c, a as Hex), (e: unknown) => isLightNodeError(e, 'PROTO_DOMAIN_INVALID'));
  }
});

test('sign → recover round trip for 20 digests; signatures are deterministic and parse as low-s 27/28', () => {
  const addr = addressOf(key);
  for (let i = 0; i < 20; i++) {
    const digest = keccak_256(Uint8Array.of(i));
    const sig = signDigest(digest, key);
    assert.is(sig, signDigest(digest, key));
    const { v, s } = parseSignature(sig);
    assert.ok(v === 27 || v === 28);
    assert.ok(s * 2n < 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n);
    assert.is(recoverDigestSigner(digest, sig), addr);
  }
});

test('recoverReadingSigner / verifyReadingSignature on a fresh reading; checksummed expected address accepted', () => {
  const signed = signReading(domain, reading, key);
  assert.is(recoverReadingSigner(domain, signed), addressOf(key));
  verifyReadingSignature(domain, signed, addressOf(key).toUpperCase().replace('0X', '0x') as Hex);
  assert.throws(() => verifyReadingSignature(makeDomain(1, domain.verifyingContract), signed, addressOf(key)), (e: unknown) => isLightNodeError(e, 'PROTO_SIGNER_MISMATCH'));
});

test('parseSignature refuses every malformed input with PROTO_SIGNATURE_INVALID', () => {
  const good = signDigest(keccak_256(Uint8Array.of(1)), key);
  for (const bad of ['', '0x', good.slice(0, -2), good + '00', good.slice(0, -2) + '1d', good.slice(0, -2) + '01', '0x' + '00'.repeat(64) + '1b', 'zz' + good.slice(2), 42]) {
    assert.throws(() => parseSignature(bad as Hex), (e: unknown) => isLightNodeError(e, 'PROTO_SIGNATURE_INVALID'), String(bad));
  }
});

test('signing refuses an invalid private key (zero, n, wrong length)', () => {
  for (const bad of [new Uint8Array(32), new Uint8Array(31).fill(1), Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'))]) {
    assert.throws(() => signDigest(new Uint8Array(32), bad));
  }
});

test.run();
