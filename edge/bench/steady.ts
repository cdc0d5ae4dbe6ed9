/**
 * Steady state and start-up of the real agent in its own (esbuild-bundled, plain node) process,
 * against the local broker with a BAL stand-in acking:
 *  - 4 meters × 1 Hz: CPU % of one core and RSS (targets ≤ 1 %, ≤ 64 MB); baseline: the same
 *    agent with 0 meters (what the runtime costs by itself);
 *  - first signed reading after process start (target ≤ 2 s; includes keystore decryption with
 *    scrypt N = 2^15); baseline: a bare `node` start to first output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceKey } from '../src/identity/device-key.js';
import { encryptKeystore, writeKeystoreFile } from '../src/identity/keystore.js';
import { BENCH_MQTT_URL, bundle } from './bundle.js';
import { AGENT_NODE_FLAGS } from '../tools/agent-bundle.js';

const NODE_FLAGS = AGENT_NODE_FLAGS.join(' ');
const MEASURE_SEC = Number(process.env.BENCH_MEASURE_SEC ?? 60);

interface ChildResult { firstMs: number | null; firstCpuMs: number | null; result: Record<string, unknown> | null; wallToFirstMs: number | null }

const TEMPLATE = fileURLToPath(new URL('../templates/sdm630.json', import.meta.url));

/** 4 simulated SDM630s (hardware-sim) on one Modbus TCP port, unit ids 1..4, in this process. */
async function startMeters(): Promise<{ port: number; stop(): Promise<void> }> {
  const { ModbusTcpServer } = await import('@lightnode/hardware-sim/modbus/tcp-server');
  const { SimMeter } = await import('@lightnode/hardware-sim/devices/sim-meter');
  const { loadTemplate } = await import('@lightnode/hardware-sim/devices/template');
  const clock = { nowMs: () => Date.now() };
  const devices = new Map(Array.from({ length: 4 }, (_, i) => [i + 1, new SimMeter({ id: `sdm${i + 1}`, template: loadTemplate('sdm630'), clock, profile: { kind: 'household', seed: i + 1 } })] as const));
  const server = new ModbusTcpServer({ devices: new Map(devices) });
  const { port } = await server.start();
  return { port, stop: () => server.stop() };
}

async function runChild(file: string, meters: number, modbusPort?: number): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ln-bench-steady-'));
  const pod = `IT${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}E${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  const key = DeviceKey.generate();
  writeKeystoreFile(join(dir, 'keystore.json'), await encryptKeystore(key, 'bench-password'));
  const config = join(dir, 'lightnode.json');
  writeFileSync(config, JSON.stringify({
    pod, dataDir: dir, chain: { chainId: 31337, podRegistry: '0x5fbdb2315678afecb367f032d93f642f64180aa3' },
    mqtt: { url: BENCH_MQTT_URL, protocolVersion: 5 }, http: { port: 0 },
    meters: Array.from({ length: meters }, (_, i) => ({
      id: `m${i}`, kind: 'modbus', intervalMs: 1000,
      ...(modbusPort ? { template: TEMPLATE, link: { kind: 'tcp', host: '127.0.0.1', port: modbusPort }, device: { unitId: i + 1 } } : {}),
    })),
  }));
  const acker = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./acker-child.ts', import.meta.url)), BENCH_MQTT_URL, pod], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => acker.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) r(); }));
  const started = performance.now();
  // The agent's V8 flags (AGENT_NODE_FLAGS, as in systemd/lightnode.service) unless BENCH_NODE_FLAGS says otherwise.
  const flags = (process.env.BENCH_NODE_FLAGS ?? NODE_FLAGS).split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, file], {
    env: { ...process.env, BENCH_MODBUS: modbusPort ? '1' : '0', BENCH_CONFIG: config, LIGHTNODE_KEYSTORE_PASSWORD: 'bench-password', BENCH_MEASURE_SEC: String(MEASURE_SEC) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out: ChildResult = { firstMs: null, firstCpuMs: null, result: null, wallToFirstMs: null };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (const line of buf.split('\n').slice(0, -1)) {
      if (line.startsWith('FIRST ') && out.firstMs === null) { const [wall, cpu] = line.slice(6).split(' ');
        out.firstMs = Number(wall);
        out.firstCpuMs = Number(cpu); out.wallToFirstMs = Number((performance.now() - started).toFixed(1)); }
      if (line.startsWith('RESULT ')) out.result = JSON.parse(line.slice(7)) as Record<string, unknown>;
    }
    buf = buf.slice(buf.lastIndexOf('\n') + 1);
  });
  await new Promise<void>((r) => child.on('exit', () => r()));
  acker.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  return out;
}

export async function benchSteady(): Promise<Record<string, unknown>[]> {
  const { file, cleanup } = await bundle(new URL('./agent-child.ts', import.meta.url));
  try {
    const meters = await startMeters();
    let four: ChildResult;
    let synthetic: ChildResult;
    try {
      four = await runChild(file, 4, meters.port);
    } finally {
      await meters.stop();
    }
    const idle = await runChild(file, 0);
    synthetic = await runChild(file, 4);
    const t = performance.now();
    spawnSync(process.execPath, ['-e', 'process.stdout.write("x")']);
    const bareNodeMs = Number((performance.now() - t).toFixed(1));
    return [
      { bench: 'edge.steady', meters: '4 × SDM630 over Modbus TCP (hardware-sim)', hz: 1, nodeFlags: process.env.BENCH_NODE_FLAGS ?? NODE_FLAGS, ...four.result, baselineIdleAgent: idle.result, inProcessSources: synthetic.result, target: 'cpu <= 1 % of one core, rss <= 64 MB' },
      { bench: 'edge.first_reading', processStartToFirstSignedMs: four.firstMs, cpuMsToFirstSigned: four.firstCpuMs, loadAverage1m: loadavg()[0], spawnToFirstSignedMs: four.wallToFirstMs, baselineBareNodeSpawnMs: bareNodeMs, target: '<= 2000 ms' },
    ];
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchSteady()) console.log(JSON.stringify(r));
  process.exit(0);
}
