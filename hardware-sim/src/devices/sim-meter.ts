/**
 * A simulated Modbus meter: a template (data file) + the physical model + faults + a clock.
 * Counters are integrated lazily up to the simulated "now" on every request.
 */
import type { DeviceFaults } from '../faults.js';
import type { ModbusDevice } from '../modbus/device.js';
import { ModbusException, type ModbusRequest, type ModbusResponse } from '../modbus/pdu.js';
import {
  advanceMeter, initialMeterState, snapshotMeter,
  type MeterModelConfig, type MeterOverrides, type MeterSnapshot, type MeterState,
} from '../physics/meter-model.js';
import type { ProfileConfig } from '../physics/profiles.js';
import { readImage, renderRegisters } from './register-engine.js';
import type { DeviceTemplate } from './template.js';

/** Something that tells simulated time (SimClock). */
export interface SimTime { nowMs(): number }

export interface SimMeterOptions {
  id: string;
  template: DeviceTemplate;
  clock: SimTime;
  profile: ProfileConfig;
  /** Energy already on the import counter at start, in Wh (default 0). */
  initialImportWh?: number;
  /** Energy already on the export counter at start, in Wh (default 0). */
  initialExportWh?: number;
  /** Noise seed (default 1). */
  seed?: number;
  faults?: DeviceFaults;
}

/** Physical values used by the `outOfRange` fault: implausible for any real site. */
const OUT_OF_RANGE: MeterOverrides = { voltageV: 9999, frequencyHz: 99, powerW: 10_000_000 };

export class SimMeter implements ModbusDevice {
  readonly id: string;
  readonly template: DeviceTemplate;
  faults: DeviceFaults;
  overrides: MeterOverrides = {};
  private readonly model: MeterModelConfig;
  private readonly clock: SimTime;
  private state: MeterState;

  constructor(o: SimMeterOptions) {
    this.id = o.id;
    this.template = o.template;
    this.clock = o.clock;
    this.faults = o.faults ?? {};
    this.model = { phases: o.template.phases, profile: o.profile, seed: o.seed ?? 1 };
    this.state = initialMeterState(this.model, o.clock.nowMs(), o.initialImportWh ?? 0, o.initialExportWh ?? 0);
  }

  /** Integrates counters up to now and returns the physical snapshot (without fault distortion). */
  snapshot(): MeterSnapshot {
    // Integrate with the real overrides only: an injected outOfRange value must not pollute the counters.
    this.state = advanceMeter(this.model, this.state, this.clock.nowMs(), this.overrides);
    return snapshotMeter(this.model, this.state, this.overrides);
  }

  /** Sets (or with undefined, clears) physical overrides. */
  setOverrides(ov: MeterOverrides): void {
    this.state = advanceMeter(this.model, this.state, this.clock.nowMs(), this.overrides);
    this.overrides = { ...ov };
  }

  handle(req: ModbusRequest): ModbusResponse {
    if (req.fc !== 3 && req.fc !== 4) throw new ModbusException(1, `meter ${this.id} is read-only`);
    let snap = this.snapshot();
    if (this.faults.values === 'outOfRange') snap = snapshotMeter(this.model, this.state, OUT_OF_RANGE);
    const img = renderRegisters(this.template, snap, { wordOrder: this.faults.wordOrder, nan: this.faults.values === 'nan' });
    return { fc: req.fc, registers: readImage(img, req.fc, req.address, req.quantity) };
  }
}
