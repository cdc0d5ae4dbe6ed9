// The Solidity EIP-712 digest (ReadingTypes via ReadingAnchor.readingDigest) equals the TypeScript
// digests: ethers' TypedDataEncoder on varied readings, and every committed vector of
// shared/vectors/readings.json (struct hash for every vector; full digest, domain separator and
// on-chain signer recovery where the vector's domain is the deployed one).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TypedDataEncoder, concat, keccak256 } from 'ethers';
import { domainSeparator as sharedDomainSeparator, makeDomain, readingDigest, readingStructHash } from '@lightnode/shared/eip712';
import { bytesToHex } from '@lightnode/shared/hex';
import { chainPerSuite } from '@lightnode/test-kit/chain';
import { ethersDigest, ethersStructHash, sampleReading, toStruct } from './helpers/readings.js';
import type { Reading } from '@lightnode/shared/reading';
import type { Eip712Domain as Domain } from '@lightnode/shared/eip712';

interface Vector { name: string; address: string; domain: Domain; domainSeparator: string; reading: Reading & { signature: string }; structHash: string; digest: string; signature: string }
interface HostileCase { name: string; reading: Reading & { signature?: string }; code: string }

const vectorsDir = fileURLToPath(new URL('../../shared/vectors/', import.meta.url));
const readJson = <T>(name: string): T => {
  if (!existsSync(vectorsDir + name)) throw new Error(`committed vector file shared/vectors/${name} is missing`);
  return JSON.parse(readFileSync(vectorsDir + name, 'utf8')) as T;
};

const fx = chainPerSuite(test);
let domain: Domain;
test.before(() => { domain = fx().domain; });

const call = async <T>(fn: string, ...args: unknown[]): Promise<T> => (await fx().anchor.getFunction(fn)(...args)) as T;

test('domain separator: ReadingAnchor and PodRegistry agree with ethers (verifyingContract = PodRegistry)', async () => {
  const expected = TypedDataEncoder.hashDomain(domain);
  assert.is(await call<string>('domainSeparator'), expected);
  assert.is(await fx().registry.getFunction('domainSeparator')(), expected);
});

test('Solidity digest = ethers TypedDataEncoder digest on varied readings', async () => {
  let n = 0;
  for (let seq = 0; seq < 12; seq++) {
    const r = sampleReading(`IT${String(seq).padStart(3, '0')}E${String(seq * 7919).padStart(8, '0')}`, seq * 1_000_003, 1_763_781_300_000 + seq, (seq % 6) + 1);
    assert.is(await call<string>('readingDigest', toStruct(r)), ethersDigest(domain, r), `seq ${seq}`);
    assert.is(await call<string>('readingStructHash', toStruct(r)), ethersStructHash(r));
    n++;
  }
  // Edge values: empty strings, 64 measurements, extreme scales and uint64 bounds.
  const big: Reading = {
    pod: 'IT999E99999999Z', meter: '', seq: Number.MAX_SAFE_INTEGER, timestamp: Number.MAX_SAFE_INTEGER, source: 'activation:sp-1',
    values: Array.from({ length: 64 }, (_, i) => ({ quantity: `1-0:${i}.7.0`, value: (i % 2 ? -1 : 1) * i * 1e12, scale: (i % 37) - 18, unit: 'var' })),
  };
  assert.is(await call<string>('readingDigest', toStruct(big)), ethersDigest(domain, big));
  assert.ok(n === 12);
});

test('Solidity digest = @lightnode/shared/eip712 (noble) digest on varied readings', async () => {
  const d = makeDomain(fx().deployment.chainId, fx().deployment.podRegistry);
  assert.is(await call<string>('domainSeparator'), bytesToHex(sharedDomainSeparator(d)));
  for (let seq = 0; seq < 12; seq++) {
    const r = sampleReading(`IT${String(seq + 100).padStart(3, '0')}E${String(seq * 104_729).padStart(8, '0')}`, seq * 7, 1_763_781_300_000 + seq * 1000, (seq % 6) + 1);
    assert.is(await call<string>('readingDigest', toStruct(r)), bytesToHex(readingDigest(d, r)), `seq ${seq}`);
    assert.is(await call<string>('readingStructHash', toStruct(r)), bytesToHex(readingStructHash(r)));
  }
});

test('changing any field changes the Solidity digest', async () => {
  const r = sampleReading('IT001E12345678', 5, 1_763_781_300_000);
  const base = await call<string>('readingDigest', toStruct(r));
  const variants: Reading[] = [
    { ...r, seq: 6 },
    { ...r, timestamp: r.timestamp + 1 },
    { ...r, pod: 'IT001E12345679' },
    { ...r, values: [{ ...r.values[0]!, value: r.values[0]!.value + 1 }, ...r.values.slice(1)] },
    { ...r, values: [{ ...r.values[0]!, scale: 1 }, ...r.values.slice(1)] },
    { ...r, values: [...r.values].reverse() },
  ];
  for (const v of variants) assert.is.not(await call<string>('readingDigest', toStruct(v)), base);
});

const vectors = readJson<{ typeHashes: Record<string, string>; vectors: Vector[] }>('readings.json');

test('committed vectors (shared/vectors/readings.json): Solidity struct hash and digest match', async () => {
  assert.ok(vectors.vectors.length > 0, 'at least one vector');
  let full = 0;
  for (const v of vectors.vectors) {
    const struct = toStruct(v.reading);
    assert.is(await call<string>('readingStructHash', struct), v.structHash, `${v.name}: struct hash`);
    // digest = keccak256(0x1901 || domainSeparator || structHash), with the vector's own domain.
    assert.is(keccak256(concat(['0x1901', v.domainSeparator, v.structHash])), v.digest, `${v.name}: digest composition`);
    assert.is(TypedDataEncoder.hashDomain(v.domain), v.domainSeparator, `${v.name}: domain separator`);
    const sameDomain = v.domain.chainId === fx().deployment.chainId && v.domain.verifyingContract.toLowerCase() === fx().deployment.podRegistry;
    if (sameDomain) {
      assert.is(await call<string>('readingDigest', struct), v.digest, `${v.name}: on-chain digest`);
      const [signer, reason] = await call<[string, bigint]>('recoverReadingSigner', struct, v.signature);
      assert.equal([signer.toLowerCase(), Number(reason)], [v.address.toLowerCase(), 0], `${v.name}: on-chain ecrecover`);
      full++;
    }
  }
  assert.ok(full > 0, 'at least one vector in the deployed domain is checked end to end');
  console.log(`  ${vectors.vectors.length} vectors, ${full} checked end to end on-chain`);
});

const hostile = readJson<{ domain: Domain; expectedSigner: string; cases: HostileCase[] }>('hostile.json');

test('committed hostile vectors: on-chain recovery never yields the expected signer', async () => {
  // The vectors' domain is anvil's first deployment (chain 31337, account 0, nonce 0) — ours.
  assert.is(hostile.domain.chainId, fx().deployment.chainId);
  assert.is(hostile.domain.verifyingContract.toLowerCase(), fx().deployment.podRegistry);
  let checked = 0;
  for (const c of hostile.cases) {
    // Only signature-level cases: schema-invalid readings (floats, strings) cannot even be ABI-encoded,
    // and an empty but correctly signed reading is the validator's job, not the verifier's.
    if (c.code !== 'PROTO_SIGNER_MISMATCH' && c.code !== 'PROTO_SIGNATURE_INVALID') continue;
    const [signer, reason] = await call<[string, bigint]>('recoverReadingSigner', toStruct(c.reading), c.reading.signature ?? '0x');
    assert.is.not(signer.toLowerCase(), hostile.expectedSigner.toLowerCase(), c.name);
    if (c.code === 'PROTO_SIGNATURE_INVALID') assert.ok(Number(reason) === 1 || Number(reason) === 2, `${c.name}: reason ${reason}`);
    checked++;
  }
  assert.ok(checked > 0);
  console.log(`  ${checked} hostile signature cases refused on-chain`);
});

test.run();
