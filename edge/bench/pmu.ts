/**
 * PMU benchmarks (issue 14), one JSON line each:
 *  - edge.pmu_decode: frames/s on one core of the C37.118.2 path per frame — decode the data frame
 *    under its CFG-2 (CRC included), map to measurements, SHA-256 of the frame — for a
 *    6-phasor float frame (74 bytes) and an int16 2-PMU frame; baseline in the same run: the CRC
 *    alone over the same bytes.
 *  - edge.pmu_steady: the real agent (bundled, plain node, its own process) reading the
 *    hardware-sim PMU over TCP at 1, 10 and 50 fps: CPU % of one core and RSS (agent-child.ts
 *    measures them as for the Modbus figures), and frames sent vs readings signed (none missing
 *    or doubled); beside it the agent with 4 SDM630s over Modbus TCP at 1 Hz, measured the same way.
 * Needs the local broker (BENCH_MQTT_URL, default mqtt://127.0.0.1:1883). BENCH_WARMUP_SEC
 * (default 30) and BENCH_MEASURE_SEC (default 60) set each run's window; a 10-minute run at
 * 50 fps: BENCH_PMU_RATES=50 BENCH_MEASURE_SEC=600.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { crcCcitt } from '@lightnode/shared/c37118/crc-ccitt';
import { decodeDataFrame, encodeDataFrame } from '@lightnode/shared/c37118/data-frame';
import { pmuMeasurements } from '@lightnode/shared/c37118/pmu-measurements';
import type { ConfigFrame } from '@lightnode/shared/c37118/config-frame';
import { pmuConfigFrame, pmuDataFrame, frameTime } from '@lightnode/hardware-sim/pmu/pmu-generator';
import { DeviceKey } from '../src/identity/device-key.js';
import { encryptKeystore, writeKeystoreFile } from '../src/identity/keystore.js';
import { BENCH_MQTT_URL, bundle } from './bundle.js';
import { AGENT_NODE_FLAGS } from '../tools/agent-bundle.js';

const TEMPLATE = fileURLToPath(new URL('../templates/sdm630.json', import.meta.url));
const WARMUP_SEC = Number(process.env.BENCH_WARMUP_SEC ?? 30);
const MEASURE_SEC = Number(process.env.BENCH_MEASURE_SEC ?? 60);
const QUIESCE_SEC = Number(process.env.BENCH_PMU_QUIESCE_SEC ?? 1);

function rate(fn: () => void, ms = 2000): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up: JIT
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { for (let i = 0; i < 500; i++) fn(); n += 500; }
  return Math.round(n / ((performance.now() - t0) / 1000));
}

/** Decode throughput per core. */
export function benchPmuDecode(): Record<string, unknown> {
  const cases: [string, ConfigFrame][] = [
    ['1 PMU, 6 float polar phasors (74 B)', pmuConfigFrame({ idcode: 7, stn: 'B' }, 0, 1_700_000_000)],
    ['2 PMUs, 6 int16 polar phasors each', (() => { const c = pmuConfigFrame({ idcode: 8, stn: 'B', float: false }, 0, 1_700_000_000); return { ...c, pmus: [c.pmus[0]!, { ...c.pmus[0]!, idcode: 9, stn: 'B2' }] }; })()],
  ];
  const out: Record<string, unknown>[] = [];
  for (const [name, cfg] of cases) {
    const frames = Array.from({ length: 50 }, (_, n) => {
      const f = pmuDataFrame({ idcode: cfg.idcode, stn: 'B', float: cfg.pmus[0]!.format.phasorFloat }, { ...cfg, pmus: [cfg.pmus[0]!] }, frameTime(1_700_000_000, 50, n));
      return encodeDataFrame({ ...f, pmus: cfg.pmus.map(() => f.pmus[0]!) }, cfg);
    });
    let i = 0;
    const full = rate(() => {
      const b = frames[i++ % 50]!;
      const d = decodeDataFrame(b, cfg);
      for (let k = 0; k < d.pmus.length; k++) pmuMeasurements(cfg.pmus[k]!, d.pmus[k]!, { soc: d.soc, fracsec: d.fracsec, timeBase: cfg.timeBase });
      sha256(b);
    });
    const decodeOnly = rate(() => { decodeDataFrame(frames[i++ % 50]!, cfg); });
    const crcOnly = rate(() => { const b = frames[i++ % 50]!; crcCcitt(b, 0, b.length - 2); });
    out.push({ frame: name, bytes: frames[0]!.length, decodeMapHashPerSec: full, decodeOnlyPerSec: decodeOnly, baselineCrcOnlyPerSec: crcOnly });
  }
  return { bench: 'edge.pmu_decode', unit: 'frames/s on one core', cases: out };
}

interface Run { result: Record<string, unknown> | null; framesSent?: number }

async function runAgent(file: string, meters: unknown[], pod: string, dir: string, onResult: () => void = () => {}, onFirst: () => void = () => {}): Promise<Run> {
  const key = DeviceKey.generate();
  writeKeystoreFile(join(dir, 'keystore.json'), await encryptKeystore(key, 'bench-password'));
  const config = join(dir, 'lightnode.json');
  writeFileSync(config, JSON.stringify({ pod, dataDir: dir, chain: { chainId: 31337, podRegistry: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }, mqtt: { url: BENCH_MQTT_URL, protocolVersion: 5 }, http: { port: 0 }, meters }));
  const acker = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./acker-child.ts', import.meta.url)), BENCH_MQTT_URL, pod], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => acker.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) r(); }));
  const flags = (process.env.BENCH_NODE_FLAGS ?? AGENT_NODE_FLAGS.join(' ')).split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, file], { env: { ...process.env, BENCH_MODBUS: '1', BENCH_CONFIG: config, LIGHTNODE_KEYSTORE_PASSWORD: 'bench-password' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const out: Run = { result: null };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (const line of buf.split('\n').slice(0, -1)) {
      if (line.startsWith('FIRST ')) onFirst();
      if (line.startsWith('RESULT ')) { onResult(); out.result = JSON.parse(line.slice(7)) as Record<string, unknown>; }
    }
    buf = buf.slice(buf.lastIndexOf('\n') + 1);
  });
  await new Promise<void>((r) => child.on('exit', () => r()));
  acker.kill('SIGKILL');
  return out;
}

const newPod = () => `IT${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}E${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

/** The agent reading the simulated PMU at each rate, and the 4-meter Modbus figure beside it. */
export async function benchPmuSteady(): Promise<Record<string, unknown>[]> {
  const { PmuServer } = await import('@lightnode/hardware-sim/pmu/pmu-server');
  const { file, cleanup } = await bundle(new URL('./agent-child.ts', import.meta.url));
  const rows: Record<string, unknown>[] = [];
  try {
    for (const fps of (process.env.BENCH_PMU_RATES ?? '1,10,50').split(',').map(Number)) {
      const sim = new PmuServer({ sim: { idcode: 7, stn: 'BENCH_PMU', rateFps: fps }, clock: { nowMs: () => Date.now() }, port: 0 });
      const { port } = await sim.start();
      const dir = mkdtempSync(join(tmpdir(), 'ln-bench-pmu-'));
      try {
        let sentAtSnapshot = 0;
        // Quiesce: the PMU stops sending QUIESCE_SEC before the agent's closing snapshot, so every
        // frame sent has been signed (or is missing) when it is counted. The CPU window includes
        // those idle seconds (1 s of 60 by default).
        let quiesce: NodeJS.Timeout | undefined;
        const onFirst = () => { quiesce = setTimeout(() => sim.setFaults({ stalled: true }), (WARMUP_SEC + MEASURE_SEC - QUIESCE_SEC) * 1000); };
        const run = await runAgent(file, [{ id: 'pmu1', kind: 'pmu', host: '127.0.0.1', port, idcode: 7, stallTimeoutMs: 600_000, frameLog: 'pmu1.c37' }], newPod(), dir, () => { sentAtSnapshot = sim.counters.data; }, onFirst);
        clearTimeout(quiesce);
        const spooled = Number(run.result?.readingsSpooled ?? 0);
        rows.push({ bench: 'edge.pmu_steady', fps, phasors: 6, quiesceSec: QUIESCE_SEC, framesSent: sentAtSnapshot, readingsSigned: spooled, missing: sentAtSnapshot - spooled, ...run.result });
      } finally {
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (process.env.BENCH_PMU_MODBUS !== '0') {
      const { ModbusTcpServer } = await import('@lightnode/hardware-sim/modbus/tcp-server');
      const { SimMeter } = await import('@lightnode/hardware-sim/devices/sim-meter');
      const { loadTemplate } = await import('@lightnode/hardware-sim/devices/template');
      const clock = { nowMs: () => Date.now() };
      const server = new ModbusTcpServer({ devices: new Map(Array.from({ length: 4 }, (_, i) => [i + 1, new SimMeter({ id: `sdm${i + 1}`, template: loadTemplate('sdm630'), clock, profile: { kind: 'household', seed: i + 1 } })] as const)) });
      const { port } = await server.start();
      const dir = mkdtempSync(join(tmpdir(), 'ln-bench-pmu-'));
      try {
        const meters = Array.from({ length: 4 }, (_, i) => ({ id: `m${i}`, kind: 'modbus', intervalMs: 1000, template: TEMPLATE, link: { kind: 'tcp', host: '127.0.0.1', port }, device: { unitId: i + 1 } }));
        const run = await runAgent(file, meters, newPod(), dir);
        rows.push({ bench: 'edge.pmu_steady', baseline: '4 × SDM630 over Modbus TCP at 1 Hz (as edge.steady)', ...run.result });
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    cleanup();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(benchPmuDecode()));
  if (process.env.BENCH_PMU_DECODE_ONLY !== '1') for (const r of await benchPmuSteady()) console.log(JSON.stringify(r));
  process.exit(0);
}
