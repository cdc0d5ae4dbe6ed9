/**
 * Parts the ingest benches share (bench/ingest.ts, bench/scale-out.ts, bench/scale-out-nats.ts,
 * bench/api.ts): devices registered on the PodRegistry, readings pre-signed with the native
 * signer (bench only: the devices' signing is not what is measured), and the same-run crypto
 * ceiling — digest + signer recovery alone on the verify pool's threads, no I/O.
 */
import { createRequire } from 'node:module';
import { Wallet } from 'ethers';
import { podRegistryAt } from '@lightnode/contracts/connect';
import { ingestEip712 } from '../src/verify/digest.js';
import type { Eip712Domain } from '@lightnode/shared/eip712';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import type { VerifyPool } from '../src/verify/pool.js';

const secp = createRequire(import.meta.url)('secp256k1/bindings') as {
  ecdsaSign(msg32: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
};

/** A bench device: PoD code and raw private key. */
export interface BenchDevice { pod: string; key: Uint8Array }

/** `count` new random devices (PoDs `<prefix><podBase + i>`, 8 digits), registered on `podRegistry` by `admin` in batches of 200. */
export async function registerBenchDevices(admin: Wallet, podRegistry: string, count: number, prefix = 'IT001E', podBase = 10_000_000): Promise<(BenchDevice & { address: string })[]> {
  const devices = Array.from({ length: count }, (_, i) => {
    const w = Wallet.createRandom();
    return { pod: `${prefix}${String(podBase + i).padStart(8, '0')}`, key: Buffer.from(w.privateKey.slice(2), 'hex'), address: w.address };
  });
  const reg = podRegistryAt(podRegistry as `0x${string}`, admin);
  let nonce = await admin.getNonce('pending');
  const txs = [];
  for (let i = 0; i < count; i += 200) {
    const chunk = devices.slice(i, i + 200);
    txs.push(await reg.getFunction('registerBatch')(chunk.map((d) => d.pod), chunk.map((d) => d.address), { nonce: nonce++ }));
  }
  await Promise.all(txs.map((t) => t.wait()));
  return devices;
}

/** Readings `seqFrom .. seqFrom+count-1` of every device, 20 ms apart from `ts0`, signed (per device). */
export function presignReadings(domain: Eip712Domain, devices: readonly BenchDevice[], seqFrom: number, count: number, ts0: number): SignedReading[][] {
  const sep = ingestEip712.domainSeparator(domain);
  return devices.map((d) => Array.from({ length: count }, (_, i) => {
    const s = seqFrom + i;
    const r: Reading = { pod: d.pod, meter: 'sdm630', seq: s, timestamp: ts0 + s * 20, source: 'modbus', values: [
      { quantity: '1-0:1.8.0', value: 12_345_678 + s * 7, scale: 0, unit: 'Wh' },
      { quantity: '1-0:1.7.0', value: 1500 + (s % 100), scale: 0, unit: 'W' },
      { quantity: '1-0:32.7.0', value: 2301, scale: -1, unit: 'V' },
      { quantity: '1-0:31.7.0', value: 652, scale: -2, unit: 'A' },
    ] };
    const { signature, recid } = secp.ecdsaSign(ingestEip712.readingDigestFor(sep, r), d.key);
    return { ...r, signature: `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}` as `0x${string}` };
  }));
}

/** The publisher's job lines (bench/publisher.ts): batches of `batch` readings, device after device, round after round. */
export function jobLines(byDevice: readonly SignedReading[][], batch: number): string[] {
  const lines: string[] = [];
  const per = byDevice[0]?.length ?? 0;
  for (let s = 0; s < per; s += batch) {
    for (const rs of byDevice) lines.push(JSON.stringify({ topic: `ln/v1/${rs[0]!.pod}/readings`, payload: JSON.stringify({ v: 1, readings: rs.slice(s, s + batch) }) }));
  }
  return lines;
}

/** The crypto ceiling: wall rate on the pool's threads, and CPU µs per reading (this whole process: workers + main). */
export async function measureCeiling(pool: VerifyPool, sample: SignedReading[], rounds: number): Promise<{ perSec: number; cpuUsPerReading: number }> {
  const cpu0 = process.cpuUsage();
  const c = await pool.ceiling(sample, rounds);
  const cpu = process.cpuUsage(cpu0);
  return { perSec: c.verified / (c.ms / 1000), cpuUsPerReading: (cpu.user + cpu.system) / c.verified };
}
