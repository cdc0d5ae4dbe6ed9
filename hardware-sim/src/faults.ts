/**
 * Fault injection settings of one simulated device, changeable at runtime (control API,
 * `lab.setFault`). Each fault mimics a field failure from shared/reference/meters.md.
 */
import { ValidationError } from '@lightnode/shared/errors';
import { WORD_ORDERS, type WordOrder } from './devices/template.js';

export interface DeviceFaults {
  /** Never answer (the master sees a timeout). Default false. */
  timeout?: boolean;
  /** Answer every request with this Modbus exception code (2 address, 4 device failure, 6 busy); 0 = off. */
  exception?: 0 | 2 | 4 | 6;
  /**
   * With `exception`: only this many requests get the exception, then the device answers normally
   * again (`exception` clears itself) — a device busy while it boots. Absent: every request.
   */
  exceptionRequests?: number;
  /** RTU: send responses with an inverted CRC (long unshielded cable). Default false. */
  corruptCrc?: boolean;
  /** Delay every response by this many real milliseconds. Default 0. */
  delayMs?: number;
  /** Render 32-bit values in this word order instead of the template's. */
  wordOrder?: WordOrder;
  /** Device gone: silent on RTU; on TCP silent, and the port stops listening when every device on it is gone. */
  offline?: boolean;
  /** `nan`: measured points read NaN / "not implemented" sentinels; `outOfRange`: implausible physics (voltage 9999 V, 99 Hz, 10 MW). */
  values?: 'normal' | 'nan' | 'outOfRange';
  /** Chain 2 gateway only: emit malformed frames (bad JSON, unknown type, missing and mistyped fields) in turn. */
  malformed?: boolean;
}

const KEYS = ['timeout', 'exception', 'exceptionRequests', 'corruptCrc', 'delayMs', 'wordOrder', 'offline', 'values', 'malformed'];

/** Validates a (partial) faults object; throws ValidationError `SIM_FAULT_INVALID` naming the field. */
export function validateFaults(x: unknown, field = 'faults'): DeviceFaults {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ValidationError('SIM_FAULT_INVALID', field, 'object', x);
  const f = x as Record<string, unknown>;
  for (const k of Object.keys(f)) if (!KEYS.includes(k)) throw new ValidationError('SIM_FAULT_INVALID', `${field}.${k}`, `one of ${KEYS.join(', ')}`, k);
  for (const k of ['timeout', 'corruptCrc', 'offline', 'malformed']) {
    if (f[k] !== undefined && typeof f[k] !== 'boolean') throw new ValidationError('SIM_FAULT_INVALID', `${field}.${k}`, 'boolean', f[k]);
  }
  if (f.exception !== undefined && ![0, 2, 4, 6].includes(f.exception as number)) throw new ValidationError('SIM_FAULT_INVALID', `${field}.exception`, '0, 2, 4 or 6', f.exception);
  if (f.exceptionRequests !== undefined && !(Number.isInteger(f.exceptionRequests) && (f.exceptionRequests as number) >= 1 && (f.exceptionRequests as number) <= 1_000_000)) {
    throw new ValidationError('SIM_FAULT_INVALID', `${field}.exceptionRequests`, 'integer 1..1000000', f.exceptionRequests);
  }
  if (f.delayMs !== undefined && !(Number.isInteger(f.delayMs) && (f.delayMs as number) >= 0 && (f.delayMs as number) <= 60_000)) {
    throw new ValidationError('SIM_FAULT_INVALID', `${field}.delayMs`, 'integer 0..60000', f.delayMs);
  }
  if (f.wordOrder !== undefined && !WORD_ORDERS.includes(f.wordOrder as WordOrder)) throw new ValidationError('SIM_FAULT_INVALID', `${field}.wordOrder`, WORD_ORDERS.join('|'), f.wordOrder);
  if (f.values !== undefined && !['normal', 'nan', 'outOfRange'].includes(f.values as string)) throw new ValidationError('SIM_FAULT_INVALID', `${field}.values`, 'normal|nan|outOfRange', f.values);
  return f as DeviceFaults;
}
