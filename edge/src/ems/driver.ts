/**
 * The EMS interface: apply a setpoint, read back what the EMS holds, release control.
 * One interface, three transports chosen by config (Modbus holding registers, REST, MQTT).
 */
import type { SetpointMode } from '@lightnode/shared/setpoint';

/** What the EMS holds after an apply (read back from the device, not echoed from our command). */
export interface EmsState { mode: SetpointMode; activePowerW: number; measuredPowerW?: number }

export interface EmsDriver {
  /** Command the EMS. Rejects with a LightNodeError (EDGE_EMS_*) on failure. */
  apply(cmd: { mode: SetpointMode; activePowerW: number }): Promise<void>;
  /** Read the EMS state back. */
  readback(): Promise<EmsState>;
  close(): Promise<void>;
}

/** Mode ↔ register code: 0 = off (released, EMS runs on its own), 1 = limit, 2 = target. */
export const MODE_CODES: Record<SetpointMode, number> = { off: 0, limit: 1, target: 2 };
export function modeFromCode(code: number): SetpointMode | undefined {
  return (Object.keys(MODE_CODES) as SetpointMode[]).find((m) => MODE_CODES[m] === code);
}
