/**
 * A simulated EMS: the pure control model behind a Modbus holding-register map
 * (devices/ems.json) and the view shared by the REST and MQTT adapters.
 */
import { readFileSync } from 'node:fs';
import { LightNodeError } from '@lightnode/shared/errors';
import type { SimTime } from '../devices/sim-meter.js';
import { DEVICES_DIR } from '../devices/template.js';
import type { DeviceFaults } from '../faults.js';
import type { ModbusDevice } from '../modbus/device.js';
import { ModbusException, type ModbusRequest, type ModbusResponse } from '../modbus/pdu.js';
import {
  advanceEms, applyChange, checkSetpoint, DEFAULT_EMS_LIMITS, emsStatus, EMS_MODES,
  type EmsLimits, type EmsMode, type EmsState, type EmsStatus,
} from './ems-model.js';

interface RegisterDef { name: string; address: number; type: 'uint16' | 'int32' | 'uint32'; access: 'r' | 'rw' }
const MAP = JSON.parse(readFileSync(`${DEVICES_DIR}ems.json`, 'utf8')) as { registers: RegisterDef[] };
const addr = (name: string) => MAP.registers.find((r) => r.name === name)!.address;
const MODE = addr('mode'), SETPOINT = addr('setpointW');
const SIZE = Math.max(...MAP.registers.map((r) => r.address + (r.type === 'uint16' ? 1 : 2)));
const STATUS_CODES: Record<EmsStatus, number> = { off: 0, ramping: 1, settled: 2 };

/** The EMS as the REST API and MQTT show it. */
export interface EmsView {
  mode: EmsMode; setpointW: number; appliedW: number; status: EmsStatus;
  minW: number; maxW: number; rampWPerSec: number; writeCount: number; simTime: number;
}

export interface SimEmsOptions { id: string; clock: SimTime; limits?: Partial<EmsLimits>; faults?: DeviceFaults }

export class SimEms implements ModbusDevice {
  readonly id: string;
  faults: DeviceFaults;
  readonly limits: EmsLimits;
  private readonly clock: SimTime;
  private state: EmsState;
  private readonly listeners = new Set<(v: EmsView) => void>();

  constructor(o: SimEmsOptions) {
    this.id = o.id;
    this.clock = o.clock;
    this.faults = o.faults ?? {};
    this.limits = { ...DEFAULT_EMS_LIMITS, ...o.limits };
    this.state = { mode: 'off', setpointW: 0, appliedW: 0, simMs: o.clock.nowMs(), writeCount: 0 };
  }

  /** Current state (ramp advanced to now). */
  view(): EmsView {
    this.state = advanceEms(this.limits, this.state, this.clock.nowMs());
    const s = this.state;
    return {
      mode: s.mode, setpointW: s.setpointW, appliedW: Math.round(s.appliedW), status: emsStatus(s),
      ...this.limits, writeCount: s.writeCount, simTime: s.simMs,
    };
  }

  /** Validates and applies a change from any interface; throws LightNodeError with a SIM_EMS_* code. */
  change(c: { mode?: unknown; setpointW?: unknown }): EmsView {
    const ok = checkSetpoint(this.limits, c);
    this.view();
    this.state = applyChange(this.state, ok);
    const v = this.view();
    for (const l of this.listeners) l(v);
    return v;
  }

  /** Calls `fn` after every accepted change. */
  onChange(fn: (v: EmsView) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private image(): number[] {
    const v = this.view();
    const words = new Array<number>(SIZE).fill(0);
    const put = (name: string, value: number) => {
      const r = MAP.registers.find((x) => x.name === name)!;
      if (r.type === 'uint16') words[r.address] = value & 0xffff;
      else { const u = value >>> 0; words[r.address] = u >>> 16; words[r.address + 1] = u & 0xffff; }
    };
    put('mode', EMS_MODES.indexOf(v.mode)); put('setpointW', v.setpointW); put('appliedW', v.appliedW);
    put('status', STATUS_CODES[v.status]); put('minW', v.minW); put('maxW', v.maxW);
    put('rampWPerSec', v.rampWPerSec); put('writeCount', v.writeCount);
    return words;
  }

  handle(req: ModbusRequest): ModbusResponse {
    if ('quantity' in req) {
      if (req.fc === 4) throw new ModbusException(2, 'EMS has no input registers');
      if (req.address + req.quantity > SIZE) throw new ModbusException(2, `EMS map has ${SIZE} registers`);
      return { fc: 3, registers: this.image().slice(req.address, req.address + req.quantity) };
    }
    const values = req.fc === 6 ? [req.value] : req.values;
    const end = req.address + values.length;
    if (req.address > SETPOINT || end > SETPOINT + 2) throw new ModbusException(2, 'only mode and setpointW are writable');
    // The setpoint is one int32: a write must cover both of its registers or neither.
    const touchesSetpoint = end > SETPOINT;
    if (touchesSetpoint && (req.address > SETPOINT || end < SETPOINT + 2)) throw new ModbusException(3, 'setpointW must be written as a whole int32 (FC16, 2 registers)');
    const change: { mode?: unknown; setpointW?: unknown } = {};
    if (req.address === MODE) change.mode = EMS_MODES[values[0]!] ?? `code ${values[0]}`;
    if (touchesSetpoint) {
      const i = SETPOINT - req.address;
      change.setpointW = ((values[i]! << 16) | values[i + 1]!) >> 0;
    }
    try {
      this.change(change);
    } catch (e) {
      if (e instanceof LightNodeError) throw new ModbusException(3, e.message);
      throw e;
    }
    return req.fc === 6 ? { fc: 6, address: req.address, value: req.value } : { fc: 16, address: req.address, quantity: values.length };
  }
}
