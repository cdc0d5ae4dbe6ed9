/**
 * Backlog drain: N signed readings already in the spool, broker reachable, a BAL stand-in
 * (separate process) acking everything. Measures readings/s from uplink start to an empty spool
 * (every reading sent, acked and deleted). Baseline in the same run: one publish per reading.
 * Target (issue 4): ≥ 5,000 readings/s to a local broker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDomain } from '@lightnode/shared/eip712';
import { DeviceKey } from '../src/identity/device-key.js';
import { readingSigner } from '../src/identity/reading-signer.js';
import { Spool } from '../src/spool/spool.js';
import { Uplink } from '../src/uplink/uplink.js';
import type { MqttConfig } from '../src/config.js';
import { BENCH_MQTT_URL } from './bundle.js';

const N = Number(process.env.BENCH_DRAIN_N ?? 20_000);
const N_BASE = Number(process.env.BENCH_DRAIN_BASELINE_N ?? 3_000);

function values(i: number) {
  return [
    { quantity: '1-0:1.8.0', value: 1_000_000 + i, scale: 0, unit: 'Wh' },
    { quantity: '1-0:2.8.0', value: 5_000 + i, scale: 0, unit: 'Wh' },
    { quantity: '1-0:1.7.0', value: 23_000 + (i % 100), scale: -1, unit: 'W' },
    { quantity: '1-0:32.7.0', value: 23_012, scale: -2, unit: 'V' },
    { quantity: '1-0:31.7.0', value: 10_020, scale: -3, unit: 'A' },
    { quantity: '1-0:14.7.0', value: 5_000, scale: -2, unit: 'Hz' },
  ];
}

async function run(label: string, n: number, over: Partial<MqttConfig>): Promise<{ label: string; readings: number; seconds: number; readingsPerSec: number; batches: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ln-bench-drain-'));
  const pod = `IT${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}E${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const key = DeviceKey.generate();
  const spool = Spool.open({ path: join(dir, 'spool.db'), pod, sign: readingSigner(makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3'), key) });
  for (let i = 0; i < n; i += 500) spool.appendMany(Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ meter: `m${(i + j) % 4}`, timestamp: 1_700_000_000_000 + i + j, source: 'modbus', values: values(i + j) })));
  const acker = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./acker-child.ts', import.meta.url)), BENCH_MQTT_URL, pod], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      acker.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
      acker.on('exit', (c) => reject(new Error(`acker exited ${c}`)));
    });
    const config: MqttConfig = {
      url: BENCH_MQTT_URL, protocolVersion: 5, clientId: `bench-${pod}`, tls: { rejectUnauthorized: true }, keepaliveSec: 30,
      batchSize: 200, inFlightBatches: 8, ackTimeoutMs: 60_000, lingerMs: 0, reconnectMinMs: 100, reconnectMaxMs: 1000, takeoverBackoffMinMs: 30_000, takeoverBackoffMaxMs: 600_000, statusIntervalMs: 600_000, ...over,
    };
    const uplink = new Uplink({ config, pod, device: key.address, agentVersion: 'bench', spool });
    const t0 = performance.now();
    uplink.start();
    while (spool.status().depth > 0) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - t0) / 1000;
    await uplink.stop();
    return { label, readings: n, seconds: Number(seconds.toFixed(3)), readingsPerSec: Math.round(n / seconds), batches: Math.ceil(n / (config.batchSize)) };
  } finally {
    acker.kill('SIGKILL');
    spool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchDrain(): Promise<Record<string, unknown>> {
  const batched = await run('batched (200/batch, window 8)', N, {});
  const baseline = await run('baseline: one publish per reading (window 64)', N_BASE, { batchSize: 1, inFlightBatches: 64 });
  return { bench: 'edge.drain', broker: BENCH_MQTT_URL, batched, baseline, speedup: Number((batched.readingsPerSec / baseline.readingsPerSec).toFixed(1)), target: '>= 5000 readings/s' };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchDrain()));
  process.exit(0);
}
