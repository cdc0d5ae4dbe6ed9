/**
 * bench:crypto — the per-reading crypto choices of the ingest, measured side by side on one
 * thread: keccak256 (native addon vs @noble/hashes), reading digest (cloud fast path vs shared
 * readingDigest vs ethers TypedDataEncoder), signer recovery (libsecp256k1 vs @noble/secp256k1
 * vs ethers). Prints ops/s and one `BENCH {json}` line. Env: BENCH_CRYPTO_MS (time per case, 500).
 */
import { Wallet, TypedDataEncoder, recoverAddress } from 'ethers';
import { makeDomain, readingDigest, signReading, READING_TYPES } from '@lightnode/shared/eip712';
import { hexToBytes, bytesToHex } from '@lightnode/shared/hex';
import type { Reading } from '@lightnode/shared/reading';
import { keccak256Native, keccak256Noble } from '../src/verify/keccak.js';
import { ingestEip712 } from '../src/verify/digest.js';
import { createRecoverer } from '../src/verify/recover.js';

const budgetMs = Number(process.env.BENCH_CRYPTO_MS ?? 500);
function rate(fn: () => void): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs) { for (let i = 0; i < 20; i++) fn(); n += 20; }
  return Math.round(n / ((performance.now() - t0) / 1000));
}

const domain = makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3');
const w = Wallet.createRandom();
const r: Reading = { pod: 'IT001E12345678', meter: 'sdm630', seq: 42, timestamp: 1_795_000_000_000, source: 'modbus', values: [
  { quantity: '1-0:1.8.0', value: 12_345_678, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 1500, scale: 0, unit: 'W' },
  { quantity: '1-0:32.7.0', value: 2301, scale: -1, unit: 'V' }, { quantity: '1-0:31.7.0', value: 652, scale: -2, unit: 'A' }] };
const signed = signReading(domain, r, hexToBytes(w.privateKey));
const sep = ingestEip712.domainSeparator(domain);
const digest = ingestEip712.readingDigestFor(sep, r);
const sig = Buffer.from(signed.signature.slice(2), 'hex');
const in66 = new Uint8Array(66).fill(7);
const types = { Reading: [...READING_TYPES.Reading], Measurement: [...READING_TYPES.Measurement] };

const out: Record<string, number | string> = { bench: 'crypto' };
if (keccak256Native) out.keccak66Native = rate(() => keccak256Native!(in66));
out.keccak66Noble = rate(() => keccak256Noble(in66));
out.digestFast = rate(() => ingestEip712.readingDigestFor(sep, r));
out.digestShared = rate(() => readingDigest(domain, r));
out.digestEthers = rate(() => TypedDataEncoder.hash(domain, types, r));
const native = createRecoverer('auto');
if (native.impl === 'native') out.recoverNative = rate(() => native.recoverAddress(digest, sig));
const noble = createRecoverer('noble');
out.recoverNoble = rate(() => noble.recoverAddress(digest, sig));
out.recoverEthers = rate(() => recoverAddress(bytesToHex(digest), signed.signature));
for (const [k, v] of Object.entries(out)) if (k !== 'bench') process.stdout.write(`${k.padEnd(16)} ${String(v).padStart(9)} ops/s\n`);
process.stdout.write(`BENCH ${JSON.stringify(out)}\n`);
