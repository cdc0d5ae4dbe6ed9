// The committed EIP-712 vectors (shared/vectors) against ethers' independent implementation:
// TypedDataEncoder.hash (digest), verifyTypedData (recovery) and Wallet.signTypedData (RFC 6979
// signature bytes), plus regeneration: the generator must reproduce the committed files exactly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { TypedDataEncoder, verifyTypedData, Wallet, computeAddress } from 'ethers';
import {
  readingDigest, signReading, recoverReadingSigner, setpointDigest, signSetpoint, recoverSetpointSigner, addressOf,
  domainSeparator, readingStructHash, READING_TYPES, SETPOINT_TYPES, verifyReadingSignature, TYPEHASHES,
} from '../src/eip712.js';
import { validateSignedReading, type SignedReading } from '../src/reading.js';
import { validateSignedSetpoint } from '../src/setpoint.js';
import { bytesToHex, hexToBytes, type Hex } from '../src/hex.js';
import { isLightNodeError } from '../src/errors.js';
import { renderVectorFiles } from '../vectors/generate.js';
import { prng } from './prng.js';

const dir = new URL('../vectors/', import.meta.url);
const load = (name: string): any => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const readings = load('readings.json');
const setpoints = load('setpoints.json');
const hostile = load('hostile.json');

const unsigned = ({ signature: _s, ...rest }: any): any => rest;
const mut = <T>(x: T): any => structuredClone(x); // ethers types are mutable arrays

test('the generator reproduces the committed vector files byte for byte', () => {
  for (const [name, text] of renderVectorFiles()) assert.is(readFileSync(new URL(name, dir), 'utf8'), text, name);
});

test('type hashes equal ethers encodeType', () => {
  const enc = TypedDataEncoder.from(mut(READING_TYPES));
  assert.is(enc.encodeType('Reading'), 'Reading(string pod,string meter,uint64 seq,uint64 timestamp,string source,Measurement[] values)Measurement(string quantity,int64 value,int8 scale,string unit)');
  assert.is(TypedDataEncoder.from(mut(SETPOINT_TYPES)).encodeType('Setpoint'), 'Setpoint(string pod,string id,int64 activePowerW,string mode,uint64 validFrom,uint64 validUntil)');
  assert.is(readings.typeHashes.Reading, TYPEHASHES.Reading);
});

test(`reading vectors (${readings.vectors.length}): digest, domain separator and struct hash equal ethers`, () => {
  assert.ok(readings.vectors.length >= 8);
  for (const v of readings.vectors) {
    const r = validateSignedReading(v.reading);
    const value = unsigned(v.reading);
    assert.is(bytesToHex(readingDigest(v.domain, r)), v.digest, v.name);
    assert.is(TypedDataEncoder.hash(v.domain, mut(READING_TYPES), value), v.digest, `${v.name} ethers digest`);
    assert.is(TypedDataEncoder.hashDomain(v.domain), v.domainSeparator, `${v.name} domain`);
    assert.is(bytesToHex(domainSeparator(v.domain)), v.domainSeparator);
    assert.is(TypedDataEncoder.from(mut(READING_TYPES)).hash(value), v.structHash, `${v.name} struct`);
    assert.is(bytesToHex(readingStructHash(r)), v.structHash);
  }
});

test('reading vectors: our signature is byte-equal to ethers Wallet.signTypedData and recovers in both', async () => {
  for (const v of readings.vectors) {
    const key = hexToBytes(v.privateKey, 32);
    const r = validateSignedReading(v.reading);
    assert.is(addressOf(key), v.address);
    assert.is(computeAddress(v.privateKey).toLowerCase(), v.address);
    assert.is(signReading(v.domain, r, key).signature, v.signature, v.name);
    const ethersSig = await new Wallet(v.privateKey).signTypedData(v.domain, mut(READING_TYPES), unsigned(v.reading));
    assert.is(ethersSig, v.signature, `${v.name} ethers signature`);
    assert.is(verifyTypedData(v.domain, mut(READING_TYPES), unsigned(v.reading), v.signature).toLowerCase(), v.address);
    assert.is(recoverReadingSigner(v.domain, r), v.address);
    verifyReadingSignature(v.domain, r, v.address);
    const sv = BigInt('0x' + v.signature.slice(66, 130));
    assert.ok(sv <= 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n, 'low s');
  }
});

test(`setpoint vectors (${setpoints.vectors.length}) equal ethers`, async () => {
  for (const v of setpoints.vectors) {
    const sp = validateSignedSetpoint(v.setpoint);
    assert.is(bytesToHex(setpointDigest(v.domain, sp)), v.digest);
    assert.is(TypedDataEncoder.hash(v.domain, mut(SETPOINT_TYPES), unsigned(v.setpoint)), v.digest, v.name);
    assert.is(signSetpoint(v.domain, sp, hexToBytes(v.privateKey)).signature, v.signature);
    assert.is(await new Wallet(v.privateKey).signTypedData(v.domain, mut(SETPOINT_TYPES), unsigned(v.setpoint)), v.signature);
    assert.is(recoverSetpointSigner(v.domain, sp), v.address);
  }
});

test(`hostile vectors (${hostile.cases.length}): each refused with its code`, () => {
  assert.ok(hostile.cases.length >= 30);
  const codes = new Set<string>();
  for (const c of hostile.cases) {
    try {
      const r = validateSignedReading(c.reading);
      verifyReadingSignature(hostile.domain, r, hostile.expectedSigner);
      assert.unreachable(`${c.name} accepted`);
    } catch (e) {
      if (!isLightNodeError(e)) throw e;
      assert.is(e.code, c.code, `${c.name}: ${e.message}`);
      codes.add(e.code);
    }
  }
  assert.equal([...codes].sort(), ['PROTO_READING_INVALID', 'PROTO_SIGNATURE_INVALID', 'PROTO_SIGNER_MISMATCH']);
});

// ethers is lenient where we are strict: it normalises v = 0/1 to 27/28. (It refuses high-s like
// we do; Solidity's bare ecrecover accepts high-s, so the contracts must check s themselves.)
const ETHERS_LENIENT = new Set(['v-0']);

test('hostile vectors: ethers never recovers the expected signer except where it is knowingly lenient (v = 0)', () => {
  for (const c of hostile.cases) {
    if (typeof c.reading.signature !== 'string' || c.code === 'PROTO_READING_INVALID') continue;
    let recovered: string | undefined;
    try {
      recovered = verifyTypedData(hostile.domain, mut(READING_TYPES), unsigned(c.reading), c.reading.signature).toLowerCase();
    } catch {
      recovered = undefined;
    }
    if (ETHERS_LENIENT.has(c.name)) assert.is(recovered, hostile.expectedSigner, `${c.name}: ethers accepts it`);
    else assert.is.not(recovered, hostile.expectedSigner, c.name);
  }
});


test('300 random readings (random ints incl. negatives and extremes, random strings) digest equal to ethers', () => {
  const rnd = prng(20261122);
  const int = (max: number) => Math.floor(rnd() * max);
  const safe = () => { const k = int(4); const mag = k === 0 ? int(10) : k === 1 ? Number.MAX_SAFE_INTEGER - int(3) : Math.floor(rnd() * 2 ** (int(53))); return rnd() < 0.5 ? -mag : mag; };
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-';
  const str = (n: number) => Array.from({ length: n }, () => chars[int(chars.length)]).join('');
  for (let i = 0; i < 300; i++) {
    const domain = { name: 'LightNode', version: '1', chainId: 1 + int(2 ** 31), verifyingContract: bytesToHex(Uint8Array.from({ length: 20 }, () => int(256))) };
    const reading = {
      pod: `IT${String(int(1000)).padStart(3, '0')}E${String(int(1e8)).padStart(8, '0')}`,
      meter: str(1 + int(64)), seq: Math.abs(safe()), timestamp: 1e12 + int(2 ** 42), source: 'modbus',
      values: Array.from({ length: 1 + int(8) }, (_, j) => ({ quantity: `1-0:${j}.8.${int(256)}`, value: safe(), scale: int(37) - 18, unit: 'Wh' })),
    };
    assert.is(bytesToHex(readingDigest(domain, reading)), TypedDataEncoder.hash(domain, mut(READING_TYPES), reading), JSON.stringify(reading));
  }
});

test('string encoding is UTF-8 like ethers, even for characters validation would refuse', () => {
  const domain = { name: 'LïghtNödé ⚡', version: '1', chainId: 1, verifyingContract: '0x0000000000000000000000000000000000000001' as Hex };
  const reading: SignedReading = { pod: 'IT001E12345678', meter: 'zähler-€-😀', seq: 1, timestamp: 1e12, source: 'modbus', values: [{ quantity: 'Σ', value: -5, scale: -18, unit: '°' }], signature: '0x' };
  assert.is(bytesToHex(readingDigest(domain, reading)), TypedDataEncoder.hash(domain, mut(READING_TYPES), unsigned(reading)));
});

test('string-hash memo: vectors still match after the cache is filled past its bound and cleared (cold, warm, churned)', () => {
  const check = (when: string) => {
    for (const v of readings.vectors) assert.is(bytesToHex(readingDigest(v.domain, validateSignedReading(v.reading) as SignedReading)), v.digest, `${v.name} (${when})`);
  };
  check('warm');
  const base = validateSignedReading(readings.vectors[0].reading) as SignedReading;
  const seen = new Set<string>();
  // 5,000 distinct meter ids and units: more than the memo holds, so it is cleared at least once.
  for (let i = 0; i < 5000; i++) {
    const d = bytesToHex(readingDigest(readings.vectors[0].domain, { ...base, meter: `churn-${i}`, values: [{ quantity: '1-0:1.8.0', value: i, scale: 0, unit: `u${i}` }] }));
    seen.add(d);
  }
  assert.is(seen.size, 5000, 'distinct strings give distinct digests (no stale memo entry reused)');
  check('after churn');
  // A fresh 64-character meter id (the longest allowed) after the churn: repeatable and equal to ethers.
  const long = 'x'.repeat(500);
  const a = bytesToHex(readingDigest(readings.vectors[0].domain, { ...base, meter: long.slice(0, 64) }));
  assert.is(bytesToHex(readingDigest(readings.vectors[0].domain, { ...base, meter: long.slice(0, 64) })), a, 'repeatable');
  assert.is(TypedDataEncoder.hash(readings.vectors[0].domain, mut(READING_TYPES), { ...base, meter: long.slice(0, 64), values: base.values }), a, 'equals ethers');
});

test.run();
