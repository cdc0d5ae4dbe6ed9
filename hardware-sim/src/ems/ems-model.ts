/**
 * The EMS control model, pure: a mode and an active-power setpoint, limits, and a ramp that
 * moves the applied setpoint toward the requested one over simulated time.
 */
import { LightNodeError } from '@lightnode/shared/errors';

export type EmsMode = 'off' | 'limit' | 'target';
export const EMS_MODES: readonly EmsMode[] = ['off', 'limit', 'target'];

export interface EmsLimits {
  /** Lowest accepted setpoint in W (default −10000, i.e. 10 kW export). */
  minW: number;
  /** Highest accepted setpoint in W (default 10000). */
  maxW: number;
  /** Ramp rate in W per simulated second (default 500). */
  rampWPerSec: number;
}

export const DEFAULT_EMS_LIMITS: EmsLimits = { minW: -10_000, maxW: 10_000, rampWPerSec: 500 };

export interface EmsState {
  mode: EmsMode;
  /** Requested setpoint in W. */
  setpointW: number;
  /** Applied setpoint in W (ramped). */
  appliedW: number;
  /** Simulated time the ramp was advanced to (ms). */
  simMs: number;
  /** Accepted changes so far. */
  writeCount: number;
}

export type EmsStatus = 'off' | 'ramping' | 'settled';

/** Checks a requested change; throws LightNodeError SIM_EMS_MODE_INVALID / SIM_EMS_SETPOINT_OUT_OF_RANGE. */
export function checkSetpoint(limits: EmsLimits, change: { mode?: unknown; setpointW?: unknown }): { mode?: EmsMode; setpointW?: number } {
  if (change.mode !== undefined && !EMS_MODES.includes(change.mode as EmsMode)) {
    throw new LightNodeError('SIM_EMS_MODE_INVALID', `mode must be one of ${EMS_MODES.join(', ')}`, { field: 'mode', found: String(change.mode) });
  }
  if (change.setpointW !== undefined) {
    const w = change.setpointW;
    if (typeof w !== 'number' || !Number.isInteger(w) || w < limits.minW || w > limits.maxW) {
      throw new LightNodeError('SIM_EMS_SETPOINT_OUT_OF_RANGE', `setpointW must be an integer in ${limits.minW}..${limits.maxW} W`, {
        field: 'setpointW', expected: `${limits.minW}..${limits.maxW}`, found: String(w),
      });
    }
  }
  if (change.mode === undefined && change.setpointW === undefined) {
    throw new LightNodeError('SIM_EMS_SETPOINT_OUT_OF_RANGE', 'nothing to change: give mode and/or setpointW', { field: 'setpointW' });
  }
  return change as { mode?: EmsMode; setpointW?: number };
}

/** Moves the applied setpoint toward its goal at the ramp rate up to `toMs`. */
export function advanceEms(limits: EmsLimits, s: EmsState, toMs: number): EmsState {
  if (!(toMs > s.simMs)) return s;
  const goal = s.mode === 'off' ? 0 : s.setpointW;
  const step = (limits.rampWPerSec * (toMs - s.simMs)) / 1000;
  const appliedW = s.appliedW < goal ? Math.min(goal, s.appliedW + step) : Math.max(goal, s.appliedW - step);
  return { ...s, appliedW, simMs: toMs };
}

/** Applies an already checked change (advance to now first). */
export function applyChange(s: EmsState, change: { mode?: EmsMode; setpointW?: number }): EmsState {
  return { ...s, mode: change.mode ?? s.mode, setpointW: change.setpointW ?? s.setpointW, writeCount: (s.writeCount + 1) % 65536 };
}

/** Off, ramping toward the goal, or settled on it. */
export function emsStatus(s: EmsState): EmsStatus {
  if (s.mode === 'off' && s.appliedW === 0) return 'off';
  const goal = s.mode === 'off' ? 0 : s.setpointW;
  return Math.round(s.appliedW) === goal ? 'settled' : 'ramping';
}
