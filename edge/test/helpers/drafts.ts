/** Test helpers: a draft factory. */
import type { SpoolDraft } from '../../src/spool/port.js';

/** A draft for meter `meter` at `timestamp` with one energy value. */
export function draft(meter = 'm1', timestamp = 1_700_000_000_000, value = 1234): SpoolDraft {
  return { meter, timestamp, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value, scale: 0, unit: 'Wh' }] };
}
