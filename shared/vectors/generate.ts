/**
 * Deterministic generator of the committed EIP-712 test vectors:
 *   readings.json  good readings → struct hash → digest → signature for fixed keys
 *   setpoints.json good setpoints, same shape
 *   hostile.json   signed readings that must be refused, each with the expected error code
 *   merkle.json    Merkle trees over reading digests: root and every proof
 * Run: `pnpm --filter @lightnode/shared vectors` (= `node --import tsx vectors/generate.ts`).
 * The shared tests regenerate in memory and require byte-equality with the committed files, and
 * check every good vector against ethers (TypedDataEncoder, verifyTypedData, Wallet).
 * Nothing here reads a clock or a random source: same code, same files.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes, type Hex } from '../src/hex.js';
import {
  makeDomain, readingDigest, readingStructHash, signReading, addressOf, setpointDigest, setpointStructHash, signSetpoint,
  domainSeparator, TYPEHASHES, READING_TYPES, SETPOINT_TYPES, type Eip712Domain,
} from '../src/eip712.js';
import { validateReading, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, type Reading, type Measurement, type SignedReading } from '../src/reading.js';
import { validateSetpoint, type Setpoint } from '../src/setpoint.js';
import { QUANTITIES } from '../src/quantities.js';
import { buildMerkleTree } from '../src/merkle.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const u = new TextEncoder();

/** Fixed test keys. Never use them for anything real. */
export const KEYS: { name: string; privateKey: Hex }[] = [
  { name: 'derived-1', privateKey: bytesToHex(keccak_256(u.encode('lightnode test vector key 1'))) },
  { name: 'derived-2', privateKey: bytesToHex(keccak_256(u.encode('lightnode test vector key 2'))) },
  { name: 'anvil-0', privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' },
  { name: 'one', privateKey: `0x${'00'.repeat(31)}01` },
  { name: 'n-minus-1', privateKey: `0x${(N - 1n).toString(16)}` },
];

const REGISTRY = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Hex; // first anvil deployment address
const DOMAINS: Record<string, Eip712Domain> = {
  anvil: makeDomain(31337, REGISTRY),
  besu: makeDomain(1337, '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48'),
  bigChain: makeDomain(2 ** 53 - 1, '0xffffffffffffffffffffffffffffffffffffffff'),
};

const TS = 1_763_780_400_000; // 2025-11-22T03:00:00Z

function m(quantity: string, value: number, scale?: number): Measurement {
  const q = QUANTITIES.get(quantity);
  if (!q) throw new Error(`unknown quantity ${quantity}`);
  return { quantity, value, scale: scale ?? q.scale, unit: q.unit };
}

// The 64 quantities of the 'many values' vector, fixed here so the vector never changes when the
// quantity table grows.
const MANY_CODES = [
  '1-0:1.8.0', '1-0:1.8.1', '1-0:1.8.2', '1-0:1.8.3', '1-0:1.8.4', '1-0:1.8.5', '1-0:1.8.6', '1-0:2.8.0',
  '1-0:15.8.0', '1-0:21.8.0', '1-0:41.8.0', '1-0:61.8.0', '1-0:22.8.0', '1-0:42.8.0', '1-0:62.8.0',
  '1-0:3.8.0', '1-0:4.8.0', '1-0:9.8.0', '1-0:10.8.0', '1-0:1.7.0', '1-0:2.7.0', '1-0:16.7.0', '1-0:36.7.0',
  '1-0:56.7.0', '1-0:76.7.0', '1-0:3.7.0', '1-0:23.7.0', '1-0:43.7.0', '1-0:63.7.0', '1-0:9.7.0',
  '1-0:29.7.0', '1-0:49.7.0', '1-0:69.7.0', '1-0:1.5.0', '1-0:1.6.0', '1-0:32.7.0', '1-0:52.7.0',
  '1-0:72.7.0', '1-0:12.7.0', '1-0:12.3.0', '1-0:12.6.0', '1-0:31.7.0', '1-0:51.7.0', '1-0:71.7.0',
  '1-0:90.7.0', '1-0:91.7.0', '1-0:14.7.0', '1-0:13.7.0', '1-0:33.7.0', '1-0:53.7.0', '1-0:73.7.0',
  '0-0:96.7.21', '1-0:128.1.0', '1-0:128.2.1', '1-0:128.2.2', '1-0:128.2.3', '1-0:128.3.0', '1-0:128.3.1',
  '1-0:128.4.1', '1-0:128.4.2', '1-0:128.4.3', '1-0:128.4.4', '1-0:128.4.5', '1-0:128.4.6',
];

function readings(): { name: string; key: number; domain: string; reading: Reading }[] {
  const sdm630: Measurement[] = [
    m('1-0:32.7.0', 23012), m('1-0:52.7.0', 22987), m('1-0:72.7.0', 23101),
    m('1-0:31.7.0', 5123), m('1-0:51.7.0', 4870), m('1-0:71.7.0', 6021),
    m('1-0:36.7.0', 11502), m('1-0:56.7.0', -3401), m('1-0:76.7.0', 13650),
    m('1-0:29.7.0', 11790), m('1-0:49.7.0', 11195), m('1-0:69.7.0', 13900),
    m('1-0:23.7.0', -1204), m('1-0:43.7.0', 880), m('1-0:63.7.0', 0),
    m('1-0:33.7.0', 976), m('1-0:53.7.0', -304), m('1-0:73.7.0', 982),
    m('1-0:90.7.0', 16014), m('1-0:16.7.0', 21751), m('1-0:9.7.0', 36885), m('1-0:3.7.0', -324),
    m('1-0:13.7.0', 590), m('1-0:128.1.0', -1254), m('1-0:14.7.0', 4998),
    m('1-0:1.8.0', 12_345_678), m('1-0:2.8.0', 2_345_678), m('1-0:3.8.0', 345_678), m('1-0:4.8.0', 45_678),
  ];
  // 64 values (the maximum), signs and scales spread over the whole int8 range allowed.
  const codes = MANY_CODES;
  const many = codes.map((code, i) => ({ ...m(code, 0), value: (i % 2 ? -1 : 1) * (i * 7_919 + 1) ** 2, scale: -18 + ((i * 5) % 37) }));
  return [
    { name: 'minimal', key: 0, domain: 'anvil', reading: { pod: 'IT001E12345678', meter: 'm', seq: 0, timestamp: MIN_TIMESTAMP_MS, source: 'modbus', values: [m('1-0:1.8.0', 0)] } },
    { name: 'sdm630-snapshot', key: 0, domain: 'anvil', reading: { pod: 'IT001E12345678', meter: 'sdm630-1', seq: 1, timestamp: TS, source: 'modbus', values: sdm630 } },
    { name: 'sunspec-own-scale', key: 1, domain: 'anvil', reading: { pod: 'IT012E00098765', meter: 'sunspec:40000.203', seq: 7, timestamp: TS + 900_000, source: 'modbus', values: [m('1-0:1.8.0', 98765, 1), m('1-0:16.7.0', -4520, 0), m('1-0:32.7.0', 2301, -1)] } },
    { name: 'chain2-cf1', key: 1, domain: 'besu', reading: { pod: 'IT001E00000001X', meter: 'chain2:2G.0123456789', seq: 1000, timestamp: TS, source: 'chain2', values: [m('1-0:1.8.0', 1_502_331), m('1-0:128.3.0', 121), m('1-0:128.3.1', 418), m('1-0:1.7.0', 16500), m('1-0:1.5.0', 16720), m('1-0:1.8.1', 1_000_000)] } },
    { name: 'activation-max-id', key: 2, domain: 'anvil', reading: { pod: 'IT001E12345678', meter: 'ems', seq: 2 ** 32, timestamp: TS + 1, source: `activation:${'A'.repeat(20)}.b_c:d-${'9'.repeat(26)}`, values: [m('1-0:128.10.0', -30000), m('1-0:16.7.0', -29985)] } },
    { name: 'many-values-negative-scales', key: 3, domain: 'anvil', reading: { pod: 'IT999E99999999', meter: 'stress', seq: 123_456_789_012, timestamp: 4_102_444_800_000, source: 'ems', values: many } },
    { name: 'extremes', key: 4, domain: 'bigChain', reading: { pod: 'IT000E00000000', meter: `${'z'.repeat(30)}.Z_0:9-${'a'.repeat(27)}`, seq: Number.MAX_SAFE_INTEGER, timestamp: MAX_TIMESTAMP_MS, source: 'chain2', values: [m('1-0:1.8.0', Number.MAX_SAFE_INTEGER, 18), m('1-0:2.8.0', -Number.MAX_SAFE_INTEGER, -18), m('1-0:16.7.0', -1, 0), m('1-0:3.7.0', 2 ** 31, -1), m('1-0:4.8.0', -(2 ** 32), 1)] } },
    { name: 'same-reading-other-chain', key: 0, domain: 'besu', reading: { pod: 'IT001E12345678', meter: 'sdm630-1', seq: 1, timestamp: TS, source: 'modbus', values: sdm630 } },
  ];
}

function setpoints(): { name: string; key: number; domain: string; setpoint: Setpoint }[] {
  return [
    { name: 'limit', key: 2, domain: 'anvil', setpoint: { pod: 'IT001E12345678', id: 'sp-1', activePowerW: 3000, mode: 'limit', validFrom: TS, validUntil: TS + 3_600_000 } },
    { name: 'target-export', key: 2, domain: 'anvil', setpoint: { pod: 'IT001E12345678', id: 'sp-2026-11-22.export', activePowerW: -4500, mode: 'target', validFrom: TS, validUntil: TS + 900_000 } },
    { name: 'off-extremes', key: 4, domain: 'bigChain', setpoint: { pod: 'IT999E99999999Z', id: 'x'.repeat(53), activePowerW: -Number.MAX_SAFE_INTEGER, mode: 'off', validFrom: MIN_TIMESTAMP_MS, validUntil: MAX_TIMESTAMP_MS } },
  ];
}

const key = (i: number): Uint8Array => hexToBytes(KEYS[i]!.privateKey);

/** The good reading vectors (readings.json). */
export function buildReadingVectors(): unknown {
  return {
    description: 'Good EIP-712 reading vectors: digest = keccak256(0x1901 || domainSeparator || structHash); signature = r||s||v, low-s, RFC 6979.',
    typeHashes: TYPEHASHES,
    types: READING_TYPES,
    vectors: readings().map(({ name, key: k, domain, reading }) => {
      const d = DOMAINS[domain]!;
      const r = validateReading(reading);
      const signed = signReading(d, r, key(k));
      return {
        name,
        privateKey: KEYS[k]!.privateKey,
        address: addressOf(key(k)),
        domain: d,
        domainSeparator: bytesToHex(domainSeparator(d)),
        reading: signed,
        structHash: bytesToHex(readingStructHash(r)),
        digest: bytesToHex(readingDigest(d, r)),
        signature: signed.signature,
      };
    }),
  };
}

/** The good setpoint vectors (setpoints.json). */
export function buildSetpointVectors(): unknown {
  return {
    description: 'Good EIP-712 setpoint vectors (DSO setpoint signer).',
    typeHashes: { Setpoint: TYPEHASHES.Setpoint },
    types: SETPOINT_TYPES,
    vectors: setpoints().map(({ name, key: k, domain, setpoint }) => {
      const d = DOMAINS[domain]!;
      const sp = validateSetpoint(setpoint);
      const signed = signSetpoint(d, sp, key(k));
      return { name, privateKey: KEYS[k]!.privateKey, address: addressOf(key(k)), domain: d, setpoint: signed, structHash: bytesToHex(setpointStructHash(sp)), digest: bytesToHex(setpointDigest(d, sp)), signature: signed.signature };
    }),
  };
}

function withSig(sig: Uint8Array): Hex {
  return bytesToHex(sig);
}

/** Smallest x ≥ 1 that is not the x coordinate of a curve point (no public key recovers from r = x). */
function nonCurveX(): bigint {
  const P = 2n ** 256n - 2n ** 32n - 977n;
  const pow = (b: bigint, e: bigint): bigint => { let r = 1n; b %= P; while (e > 0n) { if (e & 1n) r = (r * b) % P; b = (b * b) % P; e >>= 1n; } return r; };
  for (let x = 1n; ; x++) if (pow((x ** 3n + 7n) % P, (P - 1n) / 2n) !== 1n) return x;
}

const word = (x: bigint): Uint8Array => hexToBytes(`0x${x.toString(16).padStart(64, '0')}`);

/** The hostile vectors (hostile.json): each must be refused by validate → verify with `code`. */
export function buildHostileVectors(): unknown {
  const d = DOMAINS['anvil']!;
  const base = readings()[2]!.reading; // sunspec-own-scale: 3 values keep the file small
  const signer = addressOf(key(0));
  const good = signReading(d, base, key(0));
  const sig = hexToBytes(good.signature);
  const r = BigInt(bytesToHex(sig.subarray(0, 32)));
  const s = BigInt(bytesToHex(sig.subarray(32, 64)));
  const sigWith = (rr: bigint, ss: bigint, v: number): Hex => { const b = new Uint8Array(65); b.set(word(rr), 0); b.set(word(ss), 32); b[64] = v; return withSig(b); };
  const signedUnder = (other: Eip712Domain): SignedReading => signReading(other, base, key(0));
  const resign = (changed: Reading): SignedReading => ({ ...changed, signature: good.signature });
  const v0 = base.values[0]!;
  const cases: { name: string; why: string; reading: unknown; code: string }[] = [
    { name: 'other-domain-name', why: 'signed under name "LightNode2"', reading: signedUnder({ ...d, name: 'LightNode2' }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'other-domain-version', why: 'signed under version "2"', reading: signedUnder({ ...d, version: '2' }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'other-chain-id', why: 'signed for chain 1 (replay across chains)', reading: signedUnder({ ...d, chainId: 1 }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'other-verifying-contract', why: 'signed for another PodRegistry', reading: signedUnder({ ...d, verifyingContract: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512' }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'other-key', why: 'a valid signature by a key that is not the expected signer', reading: signReading(d, base, key(1)), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'high-s', why: 's replaced by n - s and v flipped: ecrecover returns the same address, EIP-2 forbids it', reading: { ...base, signature: sigWith(r, N - s, sig[64] === 27 ? 28 : 27) }, code: 'PROTO_SIGNATURE_INVALID' },
    { name: 'v-0', why: 'v = 0 (raw recovery id, not 27/28)', reading: { ...base, signature: sigWith(r, s, sig[64]! - 27) }, code: 'PROTO_SIGNATURE_INVALID' },
    { name: 'v-29', why: 'v = 29', reading: { ...base, signature: sigWith(r, s, 29) }, code: 'PROTO_SIGNATURE_INVALID' },
    { name: 'wrong-v', why: 'v flipped: recovers some other address', reading: { ...base, signature: sigWith(r, s, sig[64] === 27 ? 28 : 27) }, code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'r-zero', why: 'r = 0', reading: { ...base, signature: sigWith(0n, s, 27) }, code: 'PROTO_SIGNATURE_INVALID' },
    { name: 's-zero', why: 's = 0', reading: { ...base, signature: sigWith(r, 0n, 27) }, code: 'PROTO_SIGNATURE_INVALID' },
    { name: 'r-equals-n', why: 'r = n (out of range)', reading: { ...base, signature: sigWith(N, s, 27) }, code: 'PROTO_SIGNATURE_INVALID' },
    { name: 'r-not-on-curve', why: 'r is not the x of any curve point: no key recovers', reading: { ...base, signature: sigWith(nonCurveX(), s, 27) }, code: 'PROTO_SIGNATURE_INVALID' },
    { name: 'truncated-signature', why: '64 bytes (v missing)', reading: { ...base, signature: good.signature.slice(0, -2) }, code: 'PROTO_READING_INVALID' },
    { name: 'signature-too-long', why: '66 bytes', reading: { ...base, signature: `${good.signature}00` }, code: 'PROTO_READING_INVALID' },
    { name: 'signature-not-hex', why: 'no 0x prefix', reading: { ...base, signature: good.signature.slice(2) }, code: 'PROTO_READING_INVALID' },
    { name: 'signature-missing', why: 'no signature field', reading: base, code: 'PROTO_READING_INVALID' },
    { name: 'tampered-value', why: 'first value + 1 after signing', reading: resign({ ...base, values: [{ ...v0, value: v0.value + 1 }, ...base.values.slice(1)] }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'tampered-scale', why: 'first scale changed after signing', reading: resign({ ...base, values: [{ ...v0, scale: v0.scale + 1 }, ...base.values.slice(1)] }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'tampered-seq', why: 'seq + 1 after signing', reading: resign({ ...base, seq: base.seq + 1 }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'tampered-timestamp', why: 'timestamp + 1 ms after signing', reading: resign({ ...base, timestamp: base.timestamp + 1 }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'tampered-pod', why: 'another PoD after signing', reading: resign({ ...base, pod: 'IT001E12345679' }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'tampered-meter', why: 'another meter after signing', reading: resign({ ...base, meter: 'sdm630-2' }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'tampered-source', why: 'source changed after signing', reading: resign({ ...base, source: 'ems' }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'values-reordered', why: 'the same values in another order', reading: resign({ ...base, values: [...base.values].reverse() }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'value-dropped', why: 'last value removed after signing', reading: resign({ ...base, values: base.values.slice(0, -1) }), code: 'PROTO_SIGNER_MISMATCH' },
    { name: 'empty-values', why: 'values: []', reading: { ...good, values: [] }, code: 'PROTO_READING_INVALID' },
    { name: 'float-value', why: 'value 1.5: no floats in signed data', reading: { ...good, values: [{ ...v0, value: 1.5 }, ...base.values.slice(1)] }, code: 'PROTO_READING_INVALID' },
    { name: 'value-as-string', why: 'value "12345678"', reading: { ...good, values: [{ ...v0, value: String(v0.value) }, ...base.values.slice(1)] }, code: 'PROTO_READING_INVALID' },
    { name: 'unit-kwh', why: 'unit kWh is not an SI unit of the table', reading: { ...good, values: [{ ...v0, unit: 'kWh' }, ...base.values.slice(1)] }, code: 'PROTO_READING_INVALID' },
    { name: 'seq-as-string', why: 'seq "1"', reading: { ...good, seq: '1' }, code: 'PROTO_READING_INVALID' },
    { name: 'timestamp-in-seconds', why: 'timestamp in s, not ms', reading: { ...good, timestamp: Math.floor(TS / 1000) }, code: 'PROTO_READING_INVALID' },
    { name: 'bad-pod', why: 'not an Italian PoD code', reading: { ...good, pod: 'FR001E12345678' }, code: 'PROTO_READING_INVALID' },
    { name: 'extra-field', why: 'unknown field next to the signed ones', reading: { ...good, note: 'x' }, code: 'PROTO_READING_INVALID' },
  ];
  return {
    description: 'Hostile signed readings. Pipeline: validateSignedReading(reading) then verifyReadingSignature(domain, reading, expectedSigner); each case must throw `code`.',
    domain: d,
    expectedSigner: signer,
    cases,
  };
}

/** Merkle vectors (merkle.json): trees over the reading digests (plus derived leaves), every proof. */
export function buildMerkleVectors(): unknown {
  const digests = (buildReadingVectors() as { vectors: { digest: Hex }[] }).vectors.map((v) => v.digest);
  const extra = (i: number): Hex => bytesToHex(keccak_256(u.encode(`lightnode merkle vector leaf ${i}`)));
  const sizes = [1, 2, 3, 4, 5, 8, 13, 33];
  return {
    description: 'OpenZeppelin SimpleMerkleTree-compatible trees (leaves sorted, sorted-pair keccak256). proofs[i] is the proof of leaves[i] (input order); the last tree has a duplicate leaf.',
    trees: sizes.map((n) => {
      const leaves = Array.from({ length: n }, (_, i) => (i < digests.length ? digests[i]! : extra(i)));
      if (n === 33) leaves[32] = leaves[0]!;
      const tree = buildMerkleTree(leaves.map((l) => hexToBytes(l)));
      return { leafCount: n, root: tree.root, leaves, proofs: leaves.map((_, i) => tree.proof(i)) };
    }),
  };
}

const FILES: [string, () => unknown][] = [
  ['readings.json', buildReadingVectors],
  ['setpoints.json', buildSetpointVectors],
  ['hostile.json', buildHostileVectors],
  ['merkle.json', buildMerkleVectors],
];

/** JSON with 2-space indent, but any object or array that fits in 100 characters on one line. */
function pretty(x: unknown, indent = ''): string {
  const flat = JSON.stringify(x);
  if (flat.length <= 100 || x === null || typeof x !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(x)) return `[\n${x.map((e) => inner + pretty(e, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(x as Record<string, unknown>).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

/** File name → exact committed text. */
export function renderVectorFiles(): Map<string, string> {
  return new Map(FILES.map(([name, build]) => [name, `${pretty(build())}\n`]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, text] of renderVectorFiles()) {
    writeFileSync(fileURLToPath(new URL(name, import.meta.url)), text);
    console.log(`wrote shared/vectors/${name}`);
  }
}
