/**
 * The demo's simulated lab, from hardware-sim's parts over real sockets and a real serial pty:
 * an SDM630 on Modbus TCP, an SDM120 on Modbus RTU over a socat pty pair (Modbus TCP when socat
 * is not on PATH, with a note saying so), a Chain 2 gateway on a WebSocket and an EMS on Modbus
 * TCP. Every simulator reads one SimClock, so `acceleration` speeds up the physics (energy
 * counters, load profiles, Chain 2 quarter hours) without touching the agents' own clocks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadTemplate } from '@lightnode/hardware-sim/devices/template';
import { SimMeter } from '@lightnode/hardware-sim/devices/sim-meter';
import { ModbusTcpServer } from '@lightnode/hardware-sim/modbus/tcp-server';
import { ModbusRtuServer } from '@lightnode/hardware-sim/modbus/rtu-server';
import { Chain2Gateway } from '@lightnode/hardware-sim/chain2/gateway';
import { SimEms, type EmsView } from '@lightnode/hardware-sim/ems/sim-ems';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';

/** Where the agents reach the simulators. */
export interface LabEndpoints {
  /** SDM630, Modbus TCP, unit id 1. */
  sdm630: { host: string; port: number; unitId: number };
  /** SDM120: the node's end of the pty pair (RTU, unit id 2), or Modbus TCP when socat is missing. */
  sdm120: { kind: 'rtu'; path: string; unitId: number } | { kind: 'tcp'; host: string; port: number; unitId: number };
  /** Chain 2 gateway WebSocket URL (streams after `!`). */
  chain2: string;
  /** EMS, Modbus TCP, unit id 1 (register map hardware-sim/devices/ems.json). */
  ems: { host: string; port: number; unitId: number };
}

export interface LabOptions {
  /** Folder for the pty links. */
  dir: string;
  /** PoD the Chain 2 meter states in CF20 (must be the node's). */
  chain2Pod: string;
  /** Simulated seconds per real second; default 1. */
  acceleration?: number;
  /** Use a socat pty for the SDM120 when socat is on PATH; default true. */
  serial?: boolean;
}

export interface Lab {
  endpoints: LabEndpoints;
  /** Printed when the SDM120 could not get a serial line (socat missing). */
  note: string | null;
  acceleration: number;
  /** The EMS simulator's own view (mode, setpoint, applied power). */
  ems(): EmsView;
  stop(): Promise<void>;
}

/** True when `socat` can be run. */
export function hasSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

interface PtyPair { simSide: string; nodeSide: string; child: ChildProcess }

async function ptyPair(dir: string): Promise<PtyPair> {
  mkdirSync(dir, { recursive: true });
  const simSide = join(dir, 'tty-sim');
  const nodeSide = join(dir, 'tty-node');
  rmSync(simSide, { force: true });
  rmSync(nodeSide, { force: true });
  const child = spawn('socat', [`pty,raw,echo=0,link=${simSide}`, `pty,raw,echo=0,link=${nodeSide}`], { stdio: 'ignore' });
  for (let i = 0; i < 150 && !(existsSync(simSide) && existsSync(nodeSide)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!(existsSync(simSide) && existsSync(nodeSide))) {
    child.kill('SIGKILL');
    throw new Error('socat did not create the pty links');
  }
  return { simSide, nodeSide, child };
}

/** Start every simulator; on failure, whatever started is stopped again. */
export async function startLab(o: LabOptions): Promise<Lab> {
  const acceleration = o.acceleration ?? 1;
  const clock = new SimClock({ acceleration });
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    while (stops.length) { try { await stops.pop()!(); } catch { /* already down */ } }
  };
  try {
    const sdm630 = new SimMeter({ id: 'sdm630', template: loadTemplate('sdm630'), clock, profile: { kind: 'household', baseW: 1800, peakW: 6000, seed: 630 }, initialImportWh: 12_345_000 });
    const tcp = new ModbusTcpServer({ devices: new Map([[1, sdm630]]) });
    const { port: tcpPort } = await tcp.start();
    stops.push(() => tcp.stop());

    const sdm120 = new SimMeter({ id: 'sdm120', template: loadTemplate('sdm120'), clock, profile: { kind: 'prosumer', baseW: 300, peakW: 2500, pvPeakW: 3000, seed: 120 }, initialImportWh: 2_500_000, initialExportWh: 900_000 });
    let sdm120Endpoint: LabEndpoints['sdm120'];
    let note: string | null = null;
    if ((o.serial ?? true) && hasSocat()) {
      const pty = await ptyPair(o.dir);
      const killPty = (): void => { pty.child.kill('SIGKILL'); };
      process.once('exit', killPty); // no orphan socat, even when this process dies abruptly
      stops.push(() => { process.off('exit', killPty); pty.child.kill('SIGTERM'); });
      const rtu = new ModbusRtuServer({ path: pty.simSide, baudRate: 9600, devices: new Map([[2, sdm120]]) });
      await rtu.start();
      stops.push(() => rtu.stop());
      sdm120Endpoint = { kind: 'rtu', path: pty.nodeSide, unitId: 2 };
    } else {
      const tcp120 = new ModbusTcpServer({ devices: new Map([[2, sdm120]]) });
      const { port } = await tcp120.start();
      stops.push(() => tcp120.stop());
      sdm120Endpoint = { kind: 'tcp', host: '127.0.0.1', port, unitId: 2 };
      note = (o.serial ?? true)
        ? 'socat is not on PATH: the SDM120 is served over Modbus TCP instead of RTU on a serial pty (install socat to see the RTU path)'
        : 'serial disabled: the SDM120 is served over Modbus TCP';
    }

    const gateway = new Chain2Gateway({
      id: 'chain2', clock, meter: { pod: o.chain2Pod, contractPowerW: 4500, powerStepW: 100 },
      profile: { kind: 'household', baseW: 400, peakW: 3500, seed: 2 }, initialEnergyWh: 7_654_000, ws: { port: 0 }, tickMs: 250,
    });
    const gw = await gateway.start();
    stops.push(() => gateway.stop());
    // A household appliance switching every few real seconds (the gateway's control override), so
    // the 2G meter pushes CF21 power-change messages even at real-time speed; CF1 quarter-hour
    // totals need --accelerate to show up within a minute.
    let applianceOn = false;
    const appliance = setInterval(() => { applianceOn = !applianceOn; gateway.overrides = applianceOn ? { powerW: 3200 } : {}; }, 5000);
    stops.push(() => clearInterval(appliance));

    const emsSim = new SimEms({ id: 'ems', clock });
    const emsServer = new ModbusTcpServer({ devices: new Map([[1, emsSim]]) });
    const { port: emsPort } = await emsServer.start();
    stops.push(() => emsServer.stop());

    let stopped: Promise<void> | null = null;
    return {
      endpoints: {
        sdm630: { host: '127.0.0.1', port: tcpPort, unitId: 1 },
        sdm120: sdm120Endpoint,
        chain2: gw.ws!,
        ems: { host: '127.0.0.1', port: emsPort, unitId: 1 },
      },
      note, acceleration,
      ems: () => emsSim.view(),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
