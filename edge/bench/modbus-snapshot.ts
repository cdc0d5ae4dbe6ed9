/**
 * Cost of one SDM630 snapshot (all mapped quantities) read through the agent's engine
 * (coalesced blocks) versus the naive baseline (one request per point, as many readers do),
 * in the same run, against the hardware simulator over real Modbus TCP. Also prints the wire
 * time both would need on RS485 at 9600 baud (11-bit characters, ≈1.15 ms each, plus 3.5 characters
 * of silence after each frame).
 *
 * Usage: node --import tsx edge/bench/modbus-snapshot.ts [snapshots=200]
 * Prints one JSON line per variant and a summary line (machine-readable). `benchModbusSnapshot()`
 * returns the same records for bench/run-all.ts.
 */
import { pathToFileURL } from 'node:url';
import { loadTemplate as loadSimTemplate } from '@lightnode/hardware-sim/devices/template';
import { SimMeter } from '@lightnode/hardware-sim/devices/sim-meter';
import { ModbusTcpServer } from '@lightnode/hardware-sim/modbus/tcp-server';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';
import { ModbusLinePool, createModbusMeter } from '../src/meters/modbus-factory.js';
import { loadTemplate } from '../src/meters/template.js';
import { decodeRegisters, registerCount } from '../src/modbus/decode.js';
import { ModbusLine } from '../src/modbus/line.js';
import { ModbusTcpLink } from '../src/modbus/tcp-link.js';

const template = loadTemplate('sdm630');
const CHAR_MS = (11 / 9600) * 1000; // one RS485 character: 11 bits (8 data + start + stop + parity or 2nd stop)

/** RTU wire time of one read of `n` registers: request 8 bytes, answer 5 + 2n, two 3.5-char gaps. */
const rtuMs = (n: number) => (8 + 5 + 2 * n + 7) * CHAR_MS;

async function engine(server: ModbusTcpServer, port: number, snapshots: number): Promise<Record<string, number | string>> {
  const pool = new ModbusLinePool();
  const meter = createModbusMeter({ id: 'bench', template: 'sdm630', link: { kind: 'tcp', host: '127.0.0.1', port }, device: { unitId: 1, timeoutMs: 1000 } }, pool);
  await meter.poll(); // connect + warm up
  const before = server.counters.requests;
  const t0 = performance.now();
  let values = 0;
  for (let i = 0; i < snapshots; i++) values = (await meter.poll()).values.length;
  const ms = performance.now() - t0;
  const requests = (server.counters.requests - before) / snapshots;
  const wire = meter.blocks.reduce((a, b) => a + rtuMs(b.count), 0);
  await pool.closeAll();
  return { variant: 'engine', snapshots, values, requestsPerSnapshot: requests, msPerSnapshotTcp: +(ms / snapshots).toFixed(3), rtu9600MsPerSnapshot: +wire.toFixed(1) };
}

async function naive(server: ModbusTcpServer, port: number, snapshots: number): Promise<Record<string, number | string>> {
  const line = new ModbusLine(new ModbusTcpLink({ kind: 'tcp', host: '127.0.0.1', port }));
  const dev = line.device({ unitId: 1, timeoutMs: 1000 });
  const readAll = async () => {
    let n = 0;
    for (const p of template.points) {
      const regs = await dev.readRegisters(p.functionCode, p.address, registerCount(p.type));
      if (decodeRegisters(regs, 0, p.type, p.wordOrder, false).kind === 'value') n++;
    }
    return n;
  };
  await readAll();
  const before = server.counters.requests;
  const t0 = performance.now();
  let values = 0;
  for (let i = 0; i < snapshots; i++) values = await readAll();
  const ms = performance.now() - t0;
  const requests = (server.counters.requests - before) / snapshots;
  const wire = template.points.reduce((a, p) => a + rtuMs(registerCount(p.type)), 0);
  await line.close();
  return { variant: 'naive-per-point', snapshots, values, requestsPerSnapshot: requests, msPerSnapshotTcp: +(ms / snapshots).toFixed(3), rtu9600MsPerSnapshot: +wire.toFixed(1) };
}

/** Runs both variants against a fresh simulator; returns [engine, naive, summary] records. */
export async function benchModbusSnapshot(snapshots = 200): Promise<Record<string, unknown>[]> {
  const clock = new SimClock();
  const sim = new SimMeter({ id: 'm630', template: loadSimTemplate('sdm630'), clock, profile: { kind: 'household', seed: 1 }, initialImportWh: 1_000_000 });
  const server = new ModbusTcpServer({ devices: new Map([[1, sim]]) });
  const { port } = await server.start();
  try {
    const e = await engine(server, port, snapshots);
    const n = await naive(server, port, snapshots);
    return [
      { bench: 'modbus-snapshot', ...e },
      { bench: 'modbus-snapshot', ...n },
      {
        bench: 'modbus-snapshot',
        summary: true,
        requestRatio: +((n.requestsPerSnapshot as number) / (e.requestsPerSnapshot as number)).toFixed(1),
        tcpSpeedup: +((n.msPerSnapshotTcp as number) / (e.msPerSnapshotTcp as number)).toFixed(1),
        rtu9600Speedup: +((n.rtu9600MsPerSnapshot as number) / (e.rtu9600MsPerSnapshot as number)).toFixed(1),
      },
    ];
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchModbusSnapshot(Number(process.argv[2] ?? 200))) console.log(JSON.stringify(r));
}
