/**
 * shared benchmark (a script, never a test): per core (one thread), EIP-712 digest/s on our
 * short-input keccak (keccak-short.ts) against the same encoder on noble's keccak_256 (same-run
 * baseline, bench/noble-eip712.ts, same digests checked), sign/s and verify (recover)/s with noble; Merkle tree build leaves/s for a 1,000,000-leaf tree with our
 * builder (WebAssembly engine, and the pure-JS fallback), against two baselines measured in the same run — a straightforward builder on
 * noble's keccak_256, and OpenZeppelin's SimpleMerkleTree on a smaller tree (extrapolated,
 * labelled as such). Rates are given per CPU-second of this process (robust on a shared
 * machine) and per wall-second. Last line: one JSON object.
 *
 * Usage: pnpm --filter @lightnode/shared bench [-- --leaves N --naive-leaves N --oz-leaves N --quick]
 */
import { cpus, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { readingDigest, signReading, recoverReadingSigner, type Eip712Domain } from '../src/eip712.js';
import { buildMerkleTreeFlat } from '../src/merkle.js';
import { keccak64 } from '../src/keccak64.js';
import { nobleReadingDigest } from './noble-eip712.js';
import { bytesToHex, hexToBytes } from '../src/hex.js';
import type { Reading, SignedReading } from '../src/reading.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const LEAVES = arg('--leaves', quick ? 100_000 : 1_000_000);
const NAIVE_LEAVES = arg('--naive-leaves', quick ? 20_000 : 200_000);
const OZ_LEAVES = arg('--oz-leaves', quick ? 2_000 : 20_000);

interface Rate { perCpuSec: number; perWallSec: number; ops: number; wallMs: number }

/** Run `fn` (which does `batch` operations) until at least `minMs` of wall time has passed. */
function measure(fn: () => void, batch: number, minMs = 1500): Rate {
  fn(); // warm up (JIT)
  let ops = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    fn();
    ops += batch;
  }
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { perCpuSec: ops / ((c.user + c.system) / 1e6), perWallSec: ops / (wallMs / 1000), ops, wallMs };
}

/** Time one call of `fn` that processes `ops` items. */
function once<T>(fn: () => T, ops: number): Rate & { result: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { perCpuSec: ops / ((c.user + c.system) / 1e6), perWallSec: ops / (wallMs / 1000), ops, wallMs, result };
}

const fmt = (r: { perCpuSec: number; perWallSec: number }) => `${Math.round(r.perCpuSec).toLocaleString('en')}/cpu-s  (${Math.round(r.perWallSec).toLocaleString('en')}/wall-s)`;

// ------------------------------------------------------------------ EIP-712
const vectors = JSON.parse(readFileSync(new URL('../vectors/readings.json', import.meta.url), 'utf8'));
const byName = (n: string) => vectors.vectors.find((v: { name: string }) => v.name === n);
const snapshot = byName('sdm630-snapshot'); // 29 values, a full three-phase meter snapshot
const small = byName('sunspec-own-scale'); // 3 values
const domain: Eip712Domain = snapshot.domain;
const key = hexToBytes(snapshot.privateKey);
const strip = ({ signature: _s, ...r }: SignedReading): Reading => r;
const rSnap = strip(snapshot.reading), rSmall = strip(small.reading);
const many = strip(byName('many-values-negative-scales').reading); // 64 values
const r36: Reading = { ...many, values: many.values.slice(0, 36) }; // an SDM630 register map's 36 values
for (const r of [rSmall, rSnap, r36]) {
  if (bytesToHex(readingDigest(domain, r)) !== bytesToHex(nobleReadingDigest(domain, r))) throw new Error('keccak-short and noble digests differ');
}
const signedSnap: SignedReading = snapshot.reading;

console.log(`shared bench — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const digestSmall = measure(() => { for (let i = 0; i < 200; i++) readingDigest(domain, rSmall); }, 200);
const digestSmallNoble = measure(() => { for (let i = 0; i < 200; i++) nobleReadingDigest(domain, rSmall); }, 200);
console.log(`EIP-712 digest, 3-value reading:   ${fmt(digestSmall)}   noble baseline ${fmt(digestSmallNoble)}`);
const digestSnap = measure(() => { for (let i = 0; i < 50; i++) readingDigest(domain, rSnap); }, 50);
const digestSnapNoble = measure(() => { for (let i = 0; i < 50; i++) nobleReadingDigest(domain, rSnap); }, 50);
console.log(`EIP-712 digest, 29-value reading:  ${fmt(digestSnap)}   noble baseline ${fmt(digestSnapNoble)}`);
const digest36 = measure(() => { for (let i = 0; i < 50; i++) readingDigest(domain, r36); }, 50);
const digest36Noble = measure(() => { for (let i = 0; i < 50; i++) nobleReadingDigest(domain, r36); }, 50);
console.log(`EIP-712 digest, 36-value reading:  ${fmt(digest36)}   noble baseline ${fmt(digest36Noble)}`);
const sign = measure(() => { for (let i = 0; i < 20; i++) signReading(domain, { ...rSmall, seq: i }, key); }, 20);
console.log(`sign (digest + secp256k1), noble:  ${fmt(sign)}`);
const recover = measure(() => { for (let i = 0; i < 10; i++) recoverReadingSigner(domain, signedSnap); }, 10);
console.log(`verify = recover signer, noble:    ${fmt(recover)}`);

// ------------------------------------------------------------------ Merkle
/** Baseline: the obvious builder on noble keccak_256 (same tree as OpenZeppelin). */
function naiveBuild(leaves: Uint8Array[]): string {
  const cmp = (a: Uint8Array, b: Uint8Array) => { for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! - b[i]!; return 0; };
  const sorted = [...leaves].sort(cmp);
  const n = sorted.length;
  const tree: Uint8Array[] = new Array(2 * n - 1);
  for (let i = 0; i < n; i++) tree[tree.length - 1 - i] = sorted[i]!;
  for (let i = n - 2; i >= 0; i--) {
    const a = tree[2 * i + 1]!, b = tree[2 * i + 2]!;
    const buf = new Uint8Array(64);
    buf.set(cmp(a, b) <= 0 ? a : b, 0);
    buf.set(cmp(a, b) <= 0 ? b : a, 32);
    tree[i] = keccak_256(buf);
  }
  return bytesToHex(tree[0]!);
}

const flat = new Uint8Array(randomBytes(32 * LEAVES));
const kernel = measure(() => {
  const buf = new Uint32Array(16 * 256);
  for (let i = 0; i < 256; i++) keccak64(buf, 16 * i, 16 * i + 8, buf, 16 * i);
}, 256);
console.log(`keccak64 kernel (one 64-byte hash): ${fmt(kernel)}`);
const nobleKernel = measure(() => { const b = new Uint8Array(64); for (let i = 0; i < 256; i++) keccak_256(b); }, 256);
console.log(`noble keccak_256 on 64 bytes:      ${fmt(nobleKernel)}`);

buildMerkleTreeFlat(flat.subarray(0, 32 * 10_000)); // warm up both engines
buildMerkleTreeFlat(flat.subarray(0, 32 * 10_000), { engine: 'js' });
const ours = once(() => buildMerkleTreeFlat(flat, { engine: 'wasm' }).root, LEAVES);
console.log(`Merkle build, ours (WebAssembly), ${LEAVES.toLocaleString('en')} leaves:  ${fmt(ours)}  wall ${(ours.wallMs / 1000).toFixed(2)} s`);
const oursJs = once(() => buildMerkleTreeFlat(flat, { engine: 'js' }).root, LEAVES);
if (oursJs.result !== ours.result) throw new Error('the two engines disagree on the root');
console.log(`Merkle build, ours (pure JS fallback), ${LEAVES.toLocaleString('en')} leaves:  ${fmt(oursJs)}  wall ${(oursJs.wallMs / 1000).toFixed(2)} s`);

const naiveLeaves = Array.from({ length: NAIVE_LEAVES }, (_, i) => flat.slice(32 * i, 32 * i + 32));
const naive = once(() => naiveBuild(naiveLeaves), NAIVE_LEAVES);
const naiveCheck = buildMerkleTreeFlat(flat.subarray(0, 32 * NAIVE_LEAVES)).root;
if (naive.result !== naiveCheck) throw new Error('baseline and our builder disagree on the root');
console.log(`Merkle build, naive noble, ${NAIVE_LEAVES.toLocaleString('en')} leaves: ${fmt(naive)}  (same root as ours)`);

const ozLeaves = naiveLeaves.slice(0, OZ_LEAVES).map((l) => bytesToHex(l));
const oz = once(() => SimpleMerkleTree.of(ozLeaves).root, OZ_LEAVES);
if (oz.result !== buildMerkleTreeFlat(flat.subarray(0, 32 * OZ_LEAVES)).root) throw new Error('OpenZeppelin and our builder disagree on the root');
const ozExtrapolated1M = 1_000_000 / oz.perWallSec;
console.log(`Merkle build, OpenZeppelin SimpleMerkleTree, ${OZ_LEAVES.toLocaleString('en')} leaves: ${fmt(oz)}  → 1,000,000 leaves ≈ ${ozExtrapolated1M.toFixed(0)} s (EXTRAPOLATED linearly)`);

const r = (x: Rate) => ({ perCpuSec: Math.round(x.perCpuSec), perWallSec: Math.round(x.perWallSec) });
console.log(JSON.stringify({
  bench: 'shared', node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)),
  eip712: {
    digest3Values: r(digestSmall), digest29Values: r(digestSnap), digest36Values: r(digest36),
    nobleBaseline: { digest3Values: r(digestSmallNoble), digest29Values: r(digestSnapNoble), digest36Values: r(digest36Noble) },
    sign: r(sign), recover: r(recover),
  },
  keccak64: { ours: r(kernel), noble: r(nobleKernel) },
  merkle: {
    ours: { engine: 'wasm', leaves: LEAVES, leavesPerSec: r(ours), wallMs: Math.round(ours.wallMs), targetLeavesPerSec: 500_000 },
    oursJs: { engine: 'js', leaves: LEAVES, leavesPerSec: r(oursJs), wallMs: Math.round(oursJs.wallMs) },
    naiveNoble: { leaves: NAIVE_LEAVES, leavesPerSec: r(naive), wallMs: Math.round(naive.wallMs) },
    openZeppelin: { leaves: OZ_LEAVES, leavesPerSec: r(oz), wallMs: Math.round(oz.wallMs), extrapolated1MLeavesSec: Math.round(ozExtrapolated1M) },
  },
}));
