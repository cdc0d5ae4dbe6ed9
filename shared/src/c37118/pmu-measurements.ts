/**
 * A PMU block as reading measurements (DESIGN §3: integers only): voltage and current magnitude
 * per phase (OBIS 32/52/72.7.0 V, 31/51/71.7.0 A), synchrophasor angles (project codes
 * 1-0:128.11.x voltage, 1-0:128.12.x current, degrees at 0.001°), frequency (OBIS 14.7.0 at
 * 1 mHz — finer than the table's 0.01 Hz, since PMU frequency is mHz-resolved), ROCOF
 * (1-0:128.13.0, 0.001 Hz/s), the STAT word (0-0:128.15.0) and, when the frame time has a rest
 * below the millisecond, that rest in ns (0-0:128.14.0), so the signed reading keeps the exact
 * PMU time (SOC + FRACSEC/TIME_BASE) though its timestamp is in integer ms.
 *
 * Phases: CFG-3 names each phasor's phase (PHSCALE component 4/5/6 = A/B/C, §6.4 Table 10);
 * with CFG-1/2 the voltage phasors in configuration order are L1, L2, L3, and likewise the
 * currents. Phasors beyond three of a kind, and sequence components, are not mapped.
 */
import type { Measurement } from '../reading.js';
import { toMeasurement } from '../quantities.js';
import { ValidationError } from '../errors.js';
import type { PmuConfig } from './config-frame.js';
import type { PmuConfig3 } from './config3-frame.js';
import type { PmuData } from './data-frame.js';
import { frameTimeMs, pmuValues } from './pmu-values.js';

const MAG = { V: ['1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0'], A: ['1-0:31.7.0', '1-0:51.7.0', '1-0:71.7.0'] } as const;
const ANG = { V: ['1-0:128.11.1', '1-0:128.11.2', '1-0:128.11.3'], A: ['1-0:128.12.1', '1-0:128.12.2', '1-0:128.12.3'] } as const;

/** Integer at `scale` (round half away from zero), refusing what is not a finite safe integer. */
function atScale(quantity: string, unit: string, scale: number, physical: number): Measurement {
  if (!Number.isFinite(physical)) throw new ValidationError('PROTO_VALUE_NOT_FINITE', `value of ${quantity}`, 'a finite number', physical);
  const scaled = physical * 10 ** -scale;
  const value = Math.sign(scaled) * Math.round(Math.abs(scaled));
  if (!Number.isSafeInteger(value)) throw new ValidationError('PROTO_VALUE_OUT_OF_RANGE', `value of ${quantity}`, `a safe integer at scale ${scale}`, physical);
  return { quantity, value: value === 0 ? 0 : value, scale, unit };
}

/** The phase index (0..2) of phasor `i`, or -1 when it is not mapped. */
function phaseOf(cfg: PmuConfig | PmuConfig3, i: number): number {
  const ch = cfg.phasors[i]!;
  if ('component' in ch) return ch.component >= 4 && ch.component <= 6 ? ch.component - 4 : -1;
  const k = cfg.phasors.slice(0, i).filter((c) => c.kind === ch.kind).length;
  return k < 3 ? k : -1;
}

/** Timestamp (integer ms) and measurements of one PMU block. */
export function pmuMeasurements(cfg: PmuConfig | PmuConfig3, d: PmuData, time: { soc: number; fracsec: number; timeBase: number }): { timestampMs: number; values: Measurement[] } {
  const v = pmuValues(cfg, d);
  const values: Measurement[] = [];
  const seen = new Set<string>();
  v.phasors.forEach((p, i) => {
    const phase = phaseOf(cfg, i);
    const mag = phase < 0 ? undefined : MAG[p.kind][phase];
    if (mag === undefined || seen.has(mag)) return; // a second phasor of the same phase (e.g. another feeder) is not mapped
    seen.add(mag);
    values.push(toMeasurement(mag, p.magnitude));
    values.push(atScale(ANG[p.kind][phase]!, 'deg', -3, (p.angleRad * 180) / Math.PI));
  });
  values.push(atScale('1-0:14.7.0', 'Hz', -3, v.freqHz));
  values.push(atScale('1-0:128.13.0', 'Hz/s', -3, v.rocofHzPerS));
  values.push({ quantity: '0-0:128.15.0', value: d.stat, scale: 0, unit: '1' });
  const t = frameTimeMs(time.soc, time.fracsec, time.timeBase);
  if (t.subMsNs !== 0) values.push({ quantity: '0-0:128.14.0', value: t.subMsNs, scale: -9, unit: 's' });
  return { timestampMs: t.ms, values };
}
