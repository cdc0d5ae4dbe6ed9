/**
 * A whole lab from one config: Modbus TCP endpoints and RTU lines shared by several slave ids,
 * meters, Chain 2 gateways and EMSs, one simulated clock, an HTTP control API.
 * `startLab(config)` is what the `sim` CLI runs and what other packages' tests call.
 */
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import type { Server } from 'node:http';
import { Chain2Gateway } from './chain2/gateway.js';
import { PmuServer, validatePmuFaults, type PmuFaults } from './pmu/pmu-server.js';
import { startControlApi } from './control-api.js';
import { SimMeter } from './devices/sim-meter.js';
import { loadTemplate } from './devices/template.js';
import { startEmsMqtt, type EmsMqtt } from './ems/ems-mqtt.js';
import { startEmsRest } from './ems/ems-rest.js';
import { SimEms } from './ems/sim-ems.js';
import { validateFaults, type DeviceFaults } from './faults.js';
import { validateLabConfig, type LabConfig, type LabDeviceConfig } from './lab-config.js';
import type { ModbusDevice } from './modbus/device.js';
import { ModbusRtuServer } from './modbus/rtu-server.js';
import { ModbusTcpServer } from './modbus/tcp-server.js';
import { SimClock, type RealClock } from './physics/clock.js';
import type { ProfileConfig } from './physics/profiles.js';

/** Where each part of the lab can be reached (printed by the CLI as JSON). */
export interface LabEndpoints {
  control: string;
  timeAcceleration: number;
  startTime: string;
  tcp: Record<string, { host: string; port: number }>;
  rtu: Record<string, { path: string; baudRate: number }>;
  devices: Record<string, {
    type: string; slaveId?: number;
    tcp?: { host: string; port: number }; rtu?: { path: string; baudRate: number };
    ws?: string; serial?: string; rest?: string; mqtt?: { url: string; topic: string };
  }>;
}

/** Physical values to force (all optional; `null` clears an override). */
export interface DeviceValues {
  powerW?: number | null; voltageV?: number | null; frequencyHz?: number | null; outage?: boolean | null;
  mode?: string; setpointW?: number;
  /** PMU only: the new channel layout (announced with STAT bit 10, then CFGCNT + 1). */
  voltages?: number; currents?: number; float?: boolean;
}

export type LabDevice = SimMeter | SimEms | Chain2Gateway | PmuServer;

export interface Lab {
  endpoints: LabEndpoints;
  clock: SimClock;
  devices: Map<string, LabDevice>;
  /** Replaces a device's faults (validated); applies at once. */
  setFault(id: string, faults: DeviceFaults): Promise<void>;
  /** Forces physical values (meters, gateways) or changes the EMS setpoint. */
  setValues(id: string, values: DeviceValues): Promise<void>;
  /** A JSON view of every device (faults, overrides, counters). */
  describe(): Record<string, unknown>;
  /** Request counters of each Modbus endpoint (bad frames, CRC errors, silent answers). */
  counters(): { tcp: Record<string, ModbusTcpServer['counters']>; rtu: Record<string, ModbusRtuServer['counters']> };
  /** Stops everything; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartLabOptions {
  /** Real clock (tests inject a fake). */
  realClock?: RealClock;
  /** Environment for `SIM_*` config overrides. */
  env?: Record<string, string | undefined>;
}

function profileOf(d: LabDeviceConfig, seed: number): ProfileConfig {
  const p = (d.profile ?? { kind: 'household' }) as { kind: ProfileConfig['kind']; powerW?: number; seed?: number };
  if (p.kind === 'constant') return { kind: 'constant', powerW: p.powerW ?? 0 };
  return { ...p, seed: p.seed ?? seed } as ProfileConfig;
}

/** Starts a lab; on any failure everything already started is stopped again. */
export async function startLab(input: LabConfig | unknown, opts: StartLabOptions = {}): Promise<Lab> {
  const cfg = validateLabConfig(input, opts.env);
  const clock = new SimClock({ startMs: cfg.startTime ? Date.parse(cfg.startTime) : undefined, acceleration: cfg.timeAcceleration, real: opts.realClock });
  const stops: (() => Promise<void>)[] = [];
  const devices = new Map<string, LabDevice>();
  const tcpMaps = new Map(cfg.tcp.map((t) => [t.name, new Map<number, ModbusDevice>()]));
  const rtuMaps = new Map(cfg.serial.map((s) => [s.name, new Map<number, ModbusDevice>()]));
  const endpoints: LabEndpoints = {
    control: '', timeAcceleration: cfg.timeAcceleration, startTime: new Date(clock.nowMs()).toISOString(), tcp: {}, rtu: {}, devices: {},
  };
  const tcpServers: ModbusTcpServer[] = [];
  const tcpByName: Record<string, ModbusTcpServer> = {};
  const rtuByName: Record<string, ModbusRtuServer> = {};
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    for (const d of cfg.devices) {
      const faults = d.faults && d.type !== 'pmu' ? validateFaults(d.faults) : {};
      if (d.type === 'pmu') {
        const p = d.pmu!;
        const pmu = new PmuServer({
          clock, host: p.host, port: p.port,
          sim: { idcode: p.idcode, stn: p.stn ?? d.id.slice(0, 16), rateFps: p.rateFps, voltages: p.voltages, currents: p.currents, float: p.float, version: p.version as 1 | 2, fnomHz: p.fnomHz as 50 | 60, profile: profileOf(d, cfg.seed) },
        });
        const ep = await pmu.start();
        stops.push(() => pmu.stop());
        devices.set(d.id, pmu);
        endpoints.devices[d.id] = { type: d.type, tcp: { host: p.host, port: ep.port } };
        continue;
      }
      if (d.type === 'chain2') {
        const gw = new Chain2Gateway({
          id: d.id, clock, faults, profile: profileOf(d, cfg.seed), initialEnergyWh: d.initialImportWh, tickMs: cfg.tickMs,
          meter: { pod: d.pod!, contractPowerW: d.contractPowerW },
          ws: d.ws ? { host: d.ws.host, port: d.ws.port } : undefined,
          serial: d.serialPath ? { path: d.serialPath, baudRate: d.serialBaudRate } : undefined,
        });
        const ep = await gw.start();
        stops.push(() => gw.stop());
        devices.set(d.id, gw);
        endpoints.devices[d.id] = { type: d.type, ...ep };
        continue;
      }
      let dev: SimMeter | SimEms;
      if (d.type === 'ems') {
        const ems = new SimEms({ id: d.id, clock, faults, limits: d.limits });
        endpoints.devices[d.id] = { type: d.type };
        if (d.rest) {
          const r = await startEmsRest(ems, d.rest.port, d.rest.host);
          stops.push(() => new Promise((res) => r.server.close(() => res())));
          endpoints.devices[d.id]!.rest = r.url;
        }
        if (d.mqtt) {
          const m: EmsMqtt = await startEmsMqtt(ems, { url: d.mqtt.url, topic: d.mqtt.topic, publishIntervalMs: d.mqtt.publishIntervalMs });
          stops.push(() => m.stop());
          endpoints.devices[d.id]!.mqtt = { url: d.mqtt.url, topic: m.topic };
        }
        dev = ems;
      } else {
        dev = new SimMeter({
          id: d.id, clock, faults, template: loadTemplate(d.type === 'meter' ? d.template! : d.type), profile: profileOf(d, cfg.seed),
          initialImportWh: d.initialImportWh, initialExportWh: d.initialExportWh, seed: cfg.seed,
        });
        endpoints.devices[d.id] = { type: d.type };
      }
      devices.set(d.id, dev);
      if (d.slaveId !== undefined) endpoints.devices[d.id]!.slaveId = d.slaveId;
      if (d.tcp !== undefined) tcpMaps.get(d.tcp)!.set(d.slaveId!, dev);
      if (d.rtu !== undefined) rtuMaps.get(d.rtu)!.set(d.slaveId!, dev);
    }
    for (const t of cfg.tcp) {
      const s = new ModbusTcpServer({ host: t.host, port: t.port, devices: tcpMaps.get(t.name)! });
      endpoints.tcp[t.name] = await s.start();
      stops.push(() => s.stop());
      tcpServers.push(s);
      tcpByName[t.name] = s;
    }
    for (const l of cfg.serial) {
      const s = new ModbusRtuServer({ path: l.path, baudRate: l.baudRate, devices: rtuMaps.get(l.name)! });
      endpoints.rtu[l.name] = await s.start();
      stops.push(() => s.stop());
      rtuByName[l.name] = s;
    }
    for (const d of cfg.devices) {
      const e = endpoints.devices[d.id]!;
      if (d.tcp !== undefined && d.type !== 'chain2' && d.type !== 'pmu') e.tcp = endpoints.tcp[d.tcp];
      if (d.rtu !== undefined && d.type !== 'chain2' && d.type !== 'pmu') e.rtu = endpoints.rtu[d.rtu];
    }
    // Bring TCP ports of devices configured offline down from the start.
    for (const s of tcpServers) await s.refresh();
  } catch (e) {
    await stop();
    throw e;
  }

  const get = (id: string): LabDevice => {
    const d = devices.get(id);
    if (!d) throw new LightNodeError('SIM_DEVICE_UNKNOWN', `no device "${id}"`, { id });
    return d;
  };
  const lab: Lab = {
    endpoints, clock, devices, stop,
    async setFault(id, faults) {
      const d = get(id);
      // A PMU's faults are its own (pmu-server.ts): badCrc, wrongIdcode, timeJumpSec, stalled, offline.
      if (d instanceof PmuServer) { d.setFaults(validatePmuFaults(faults as unknown as PmuFaults)); return; }
      const f = validateFaults(faults);
      if (d instanceof Chain2Gateway) d.setFaults(f);
      else d.faults = f;
      for (const s of tcpServers) await s.refresh();
    },
    async setValues(id, v) {
      const d = get(id);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ValidationError('SIM_VALUES_INVALID', 'values', 'an object', v);
      if (d instanceof SimEms) { d.change({ mode: v.mode, setpointW: v.setpointW }); return; }
      if (d instanceof PmuServer) {
        // Values of a PMU are its layout: a change is announced (STAT bit 10), then applied with CFGCNT + 1.
        const next: { voltages?: number; currents?: number; float?: boolean } = {};
        for (const [k, x] of Object.entries(v)) {
          if (k === 'float' ? typeof x !== 'boolean' : !(k === 'voltages' || k === 'currents') || !Number.isInteger(x) || (x as number) < (k === 'voltages' ? 1 : 0) || (x as number) > 3) {
            throw new ValidationError('SIM_VALUES_INVALID', k, 'voltages 1..3, currents 0..3 or float (boolean)', x);
          }
          (next as Record<string, unknown>)[k] = x;
        }
        d.changeConfiguration(next);
        return;
      }
      const allowed = d instanceof Chain2Gateway ? ['powerW', 'voltageV', 'outage'] : ['powerW', 'voltageV', 'frequencyHz'];
      // Only the keys given change: a number (or boolean for outage) sets, null clears, absent keeps.
      const next: Record<string, unknown> = { ...d.overrides };
      for (const [k, x] of Object.entries(v)) {
        if (!allowed.includes(k)) throw new ValidationError('SIM_VALUES_INVALID', k, `one of ${allowed.join(', ')}`, k);
        const ok = x === null || (k === 'outage' ? typeof x === 'boolean' : typeof x === 'number' && Number.isFinite(x));
        if (!ok) throw new ValidationError('SIM_VALUES_INVALID', k, k === 'outage' ? 'true, false or null' : 'a finite number or null', x);
        if (x === null) delete next[k]; else next[k] = x;
      }
      if (d instanceof Chain2Gateway) d.overrides = next;
      else d.setOverrides(next);
    },
    describe() {
      const out: Record<string, unknown> = {};
      for (const [id, d] of devices) {
        if (d instanceof SimEms) out[id] = { faults: d.faults, ems: d.view() };
        else if (d instanceof Chain2Gateway) out[id] = { faults: d.faults, overrides: d.overrides, frames: d.counters };
        else if (d instanceof PmuServer) out[id] = { faults: d.faults, cfgcnt: d.config().pmus[0]!.cfgcnt, phasors: d.config().pmus[0]!.phasors.length, frames: d.counters };
        else out[id] = { faults: d.faults, overrides: d.overrides, powerW: d.snapshot()['power.total'] };
      }
      return { simTime: new Date(clock.nowMs()).toISOString(), endpoints, devices: out, modbus: lab.counters() };
    },
    counters() {
      const pick = <T extends { counters: object }>(m: Record<string, T>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { ...v.counters }]));
      return { tcp: pick(tcpByName), rtu: pick(rtuByName) } as ReturnType<Lab['counters']>;
    },
  };
  try {
    const api: { server: Server; url: string } = await startControlApi(lab, cfg.control.port, cfg.control.host);
    stops.push(() => new Promise((res) => { api.server.closeAllConnections?.(); api.server.close(() => res()); }));
    endpoints.control = api.url;
  } catch (e) {
    await stop();
    throw e;
  }
  return lab;
}
