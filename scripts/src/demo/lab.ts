/**
 * The demo's simulated lab: hardware-sim's `startLab` from one lab config (written to
 * `<data>/lab/lab.json`, runnable alone with the `sim` CLI) over real sockets and a real serial
 * pty: an SDM630 on Modbus TCP, an SDM120 on Modbus RTU over a socat pty pair (Modbus TCP when
 * socat is not on PATH, with a note saying so), a Chain 2 gateway on a WebSocket and an EMS on
 * Modbus TCP, plus the lab's HTTP control API (faults, forced values). Every simulator reads one
 * SimClock, so `acceleration` speeds up the physics (energy counters, load profiles, Chain 2
 * quarter hours) without touching the agents' own clocks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LightNodeError } from '@lightnode/shared/errors';
import { startLab as startSimLab } from '@lightnode/hardware-sim/lab';
import { SimEms, type EmsView } from '@lightnode/hardware-sim/ems/sim-ems';

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
  /** The lab's HTTP control API (GET /lab, PUT /devices/:id/faults|values). */
  control: string;
}

export interface LabOptions {
  /** Folder for the lab config and the pty links. */
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
  const child = spawn('socat', [`pty,raw,echo=0,link=${simSide}`, `pty,raw,echo=0,link=${nodeSide}`], { stdio: 'ignore', detached: true }); // own group: Ctrl-C reaches the demo, which stops it in order
  for (let i = 0; i < 150 && !(existsSync(simSide) && existsSync(nodeSide)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!(existsSync(simSide) && existsSync(nodeSide))) {
    child.kill('SIGKILL');
    throw new LightNodeError('DEMO_LAB_START_FAILED', 'socat did not create the pty links');
  }
  return { simSide, nodeSide, child };
}

/** Lab device ids (control API: `PUT <control>/devices/<id>/faults`). */
export const LAB_DEVICES = { sdm630: 'sdm630', sdm120: 'sdm120', chain2: 'chain2', ems: 'ems' } as const;

/** Start every simulator; on failure, whatever started is stopped again. */
export async function startLab(o: LabOptions): Promise<Lab> {
  const acceleration = o.acceleration ?? 1;
  mkdirSync(o.dir, { recursive: true });
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    while (stops.length) { try { await stops.pop()!(); } catch { /* already down */ } }
  };
  try {
    let note: string | null = null;
    let pty: PtyPair | null = null;
    if ((o.serial ?? true) && hasSocat()) {
      const p = await ptyPair(o.dir);
      pty = p;
      const killPty = (): void => { p.child.kill('SIGKILL'); };
      process.once('exit', killPty); // no orphan socat, even when this process dies abruptly
      stops.push(() => { process.off('exit', killPty); p.child.kill('SIGTERM'); });
    } else {
      note = (o.serial ?? true)
        ? 'socat is not on PATH: the SDM120 is served over Modbus TCP instead of RTU on a serial pty (install socat to see the RTU path)'
        : 'serial disabled: the SDM120 is served over Modbus TCP';
    }
    const config = {
      timeAcceleration: acceleration, seed: 7, tickMs: 250, control: { host: '127.0.0.1', port: 0 },
      tcp: [{ name: 'sme', host: '127.0.0.1', port: 0 }, { name: 'ems', host: '127.0.0.1', port: 0 }, ...(pty ? [] : [{ name: 'home', host: '127.0.0.1', port: 0 }])],
      serial: pty ? [{ name: 'home', path: pty.simSide, baudRate: 9600 }] : [],
      devices: [
        { id: LAB_DEVICES.sdm630, type: 'sdm630', tcp: 'sme', slaveId: 1, profile: { kind: 'household', baseW: 1800, peakW: 6000 }, initialImportWh: 12_345_000 },
        { id: LAB_DEVICES.sdm120, type: 'sdm120', ...(pty ? { rtu: 'home' } : { tcp: 'home' }), slaveId: 2, profile: { kind: 'prosumer', baseW: 300, peakW: 2500, pvPeakW: 3000 }, initialImportWh: 2_500_000, initialExportWh: 900_000 },
        { id: LAB_DEVICES.chain2, type: 'chain2', pod: o.chain2Pod, contractPowerW: 4500, ws: { host: '127.0.0.1', port: 0 }, profile: { kind: 'household', baseW: 400, peakW: 3500 }, initialImportWh: 7_654_000 },
        { id: LAB_DEVICES.ems, type: 'ems', tcp: 'ems', slaveId: 1 },
      ],
    };
    writeFileSync(join(o.dir, 'lab.json'), `${JSON.stringify(config, null, 2)}\n`);
    const lab = await startSimLab(config);
    stops.push(() => lab.stop());
    const ems = lab.devices.get(LAB_DEVICES.ems);
    if (!(ems instanceof SimEms)) throw new LightNodeError('DEMO_LAB_START_FAILED', 'lab: the EMS device is missing');
    // A household appliance switching every few real seconds (forced through the lab's values
    // API), so the 2G meter pushes CF21 power-change messages even at real-time speed; CF1
    // quarter-hour totals need --accelerate to show up within a minute.
    let applianceOn = false;
    const appliance = setInterval(() => {
      applianceOn = !applianceOn;
      void lab.setValues(LAB_DEVICES.chain2, { powerW: applianceOn ? 3200 : null }).catch(() => undefined);
    }, 5000);
    stops.push(() => clearInterval(appliance));

    const ep = lab.endpoints;
    const home = ep.tcp.home;
    let stopped: Promise<void> | null = null;
    return {
      endpoints: {
        sdm630: { ...ep.tcp.sme!, unitId: 1 },
        sdm120: pty ? { kind: 'rtu', path: pty.nodeSide, unitId: 2 } : { kind: 'tcp', host: home!.host, port: home!.port, unitId: 2 },
        chain2: ep.devices[LAB_DEVICES.chain2]!.ws!,
        ems: { ...ep.tcp.ems!, unitId: 1 },
        control: ep.control,
      },
      note, acceleration,
      ems: () => ems.view(),
      stop: () => (stopped ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
