/**
 * Benchmark: time to read one SDM630 snapshot (the 29 points in 0x0000..0x004F) from the
 * simulator with modbus-serial, as ONE 80-register request vs the baseline of one 2-register
 * request per value (what per-value readers do), over TCP and over RTU on a socat pty.
 * Prints one JSON line per case. Not a test: figures depend on the machine.
 *   pnpm --filter @lightnode/hardware-sim bench
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ModbusRTU from 'modbus-serial';
import { SimMeter } from '../src/devices/sim-meter.js';
import { loadTemplate } from '../src/devices/template.js';
import { ModbusRtuServer } from '../src/modbus/rtu-server.js';
import { ModbusTcpServer } from '../src/modbus/tcp-server.js';
import { SimClock } from '../src/physics/clock.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
const template = loadTemplate('sdm630');
const ADDRESSES = template.points.filter((p) => p.address < 0x50).map((p) => p.address);
const meter = new SimMeter({ id: 'bench', template, clock: new SimClock({ acceleration: 60 }), profile: { kind: 'household' } });
const devices = new Map([[1, meter]]);

type Client = InstanceType<typeof ModbusRTU>;
async function measure(c: Client, mode: 'block' | 'per-value'): Promise<{ snapshots: number; ms: number }> {
  const start = performance.now();
  let snapshots = 0;
  while (performance.now() - start < DURATION_MS) {
    if (mode === 'block') await c.readInputRegisters(0, 80);
    else for (const a of ADDRESSES) await c.readInputRegisters(a, 2);
    snapshots++;
  }
  return { snapshots, ms: performance.now() - start };
}

async function bench(transport: string, c: Client): Promise<void> {
  c.setID(1);
  c.setTimeout(2000);
  const results: Record<string, number> = {};
  for (const mode of ['per-value', 'block'] as const) {
    const r = await measure(c, mode);
    results[mode] = r.ms / r.snapshots;
    console.log(JSON.stringify({ bench: 'sdm630-snapshot', transport, mode, requestsPerSnapshot: mode === 'block' ? 1 : ADDRESSES.length, snapshots: r.snapshots, msPerSnapshot: +(r.ms / r.snapshots).toFixed(3) }));
  }
  console.log(JSON.stringify({ bench: 'sdm630-snapshot', transport, baseline: 'per-value', speedup: +(results['per-value']! / results.block!).toFixed(1) }));
}

const tcp = new ModbusTcpServer({ devices });
const { port } = await tcp.start();
const tc = new ModbusRTU();
await tc.connectTCP('127.0.0.1', { port });
await bench('tcp', tc);
tc.close(() => {});
await tcp.stop();

const dir = mkdtempSync(join(tmpdir(), 'sim-bench-'));
const socat = spawn('socat', [`pty,raw,echo=0,link=${dir}/a`, `pty,raw,echo=0,link=${dir}/b`], { stdio: 'ignore' });
try {
  for (let i = 0; i < 100 && !existsSync(`${dir}/b`); i++) await new Promise((r) => setTimeout(r, 20));
  const rtu = new ModbusRtuServer({ path: `${dir}/a`, devices });
  await rtu.start();
  const rc = new ModbusRTU();
  await rc.connectRTUBuffered(`${dir}/b`, { baudRate: 9600, lock: false } as never);
  await bench('rtu-pty', rc);
  rc.close(() => {});
  await rtu.stop();
} finally {
  socat.kill('SIGKILL');
}
process.exit(0);
