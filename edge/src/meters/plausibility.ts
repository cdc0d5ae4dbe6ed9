/**
 * Plausibility of measured values (issue 17 defect 6): one rule for every source — Modbus TCP and
 * RTU meters, Chain 2, PMUs, the EMS read-back. A value outside its quantity's window is not
 * signed: the agent's gate (agent.ts) drops it, counts it in
 * `acquisition_values_dropped_total{source,quantity,reason}` and reports it (log, `/healthz`).
 *
 * Windows come from the device's rating (data: a template's `rating`, a meter config's `rating`)
 * and per-point `min`/`max` of a template, which win over the rating:
 * - frequency: nominal ± 10 % (50 Hz → 45..55 Hz);
 * - voltage: 0 .. 2 × nominal;
 * - current: |I| ≤ the rated maximum current per phase, ≤ phases × that for a sum (OBIS C = 90);
 * - active, apparent and reactive power: |P| ≤ 1.15 × nominal voltage × rated current per phase,
 *   × phases for totals (the 15 % covers the voltage tolerance band).
 * Per-phase quantities are told from totals by their OBIS C group (21..40 L1, 41..60 L2, 61..80 L3).
 * Pure: no I/O.
 */
import type { Measurement } from '@lightnode/shared/reading';
import { quantityInfo } from '@lightnode/shared/quantities';

/** What a device is built for; every field optional (no field, no window from it). */
export interface Rating {
  /** Nominal phase-to-neutral voltage, V (230 in Europe). */
  nominalVoltageV?: number;
  /** Nominal grid frequency, Hz (50 or 60). */
  nominalFrequencyHz?: number;
  /** Largest current the meter is rated for (Imax), A per phase. */
  maxCurrentA?: number;
  /** 1 or 3; default 1. */
  phases?: number;
}

/** A plausibility window, SI unit of the quantity. */
export interface Limit { min?: number; max?: number }

/** Quantity code → window. */
export type Limits = ReadonlyMap<string, Limit>;

export type DropReason = 'above_max' | 'below_min';

/** One value the gate refused. */
export interface DroppedValue { quantity: string; found: number; reason: DropReason; limit: Limit }

/** Frequency tolerance around nominal (± 10 %). */
export const FREQUENCY_TOLERANCE = 0.1;
/** Voltage ceiling, × nominal. */
export const VOLTAGE_CEILING = 2;
/** Power headroom over nominal V × Imax (voltage tolerance band). */
export const POWER_HEADROOM = 1.15;

/** OBIS C of a `A-B:C.D.E` code, or undefined for project codes that do not parse. */
function obisC(quantity: string): number | undefined {
  const m = /^\d+-\d+:(\d+)\./.exec(quantity);
  return m ? Number(m[1]) : undefined;
}

const perPhase = (c: number): boolean => c >= 21 && c <= 80;
/** Windows are round numbers (45..55 Hz, not 45..55.000000000000007). */
const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The window `rating` gives `quantity`, or undefined when it says nothing about it. */
export function ratingLimit(rating: Rating, quantity: string): Limit | undefined {
  const info = quantityInfo(quantity);
  const c = obisC(quantity);
  if (!info || c === undefined) return undefined;
  const phases = rating.phases ?? 1;
  const { nominalVoltageV: vn, nominalFrequencyHz: fn, maxCurrentA: imax } = rating;
  switch (info.unit) {
    case 'Hz':
      if (c !== 14 || fn === undefined) return undefined; // 1-0:14.7.0; not ROCOF (Hz/s has its own unit)
      return { min: round(fn - fn * FREQUENCY_TOLERANCE), max: round(fn + fn * FREQUENCY_TOLERANCE) };
    case 'V':
      return vn === undefined ? undefined : { min: 0, max: round(vn * VOLTAGE_CEILING) };
    case 'A': {
      if (imax === undefined) return undefined;
      const max = perPhase(c) ? imax : imax * phases;
      return { min: -max, max };
    }
    case 'W': case 'VA': case 'var': {
      if (imax === undefined || vn === undefined) return undefined;
      const max = round(POWER_HEADROOM * vn * imax * (perPhase(c) ? 1 : phases));
      return { min: -max, max };
    }
    default:
      return undefined;
  }
}

/** A window from an explicit one (wins per bound) and a rating-derived one. */
export function mergeLimit(explicit: Limit | undefined, derived: Limit | undefined): Limit | undefined {
  const min = explicit?.min ?? derived?.min;
  const max = explicit?.max ?? derived?.max;
  if (min === undefined && max === undefined) return undefined;
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/** Why `physical` is outside `limit`, or null when inside (or no limit). */
export function implausible(limit: Limit | undefined, physical: number): DropReason | null {
  if (!limit) return null;
  if (limit.min !== undefined && physical < limit.min) return 'below_min';
  if (limit.max !== undefined && physical > limit.max) return 'above_max';
  return null;
}

/** value × 10^scale, exact for the integers and scales the reading model allows. */
export function physicalOf(m: Measurement): number {
  return m.scale >= 0 ? m.value * 10 ** m.scale : m.value / 10 ** -m.scale;
}

/** The window of each quantity: an explicit one (template point `min`/`max`) wins per bound over the rating's. */
export function limitsOf(rating: Rating, explicit: Limits = new Map()): (quantity: string) => Limit | undefined {
  const memo = new Map<string, Limit | undefined>();
  return (q) => {
    if (!memo.has(q)) memo.set(q, mergeLimit(explicit.get(q), ratingLimit(rating, q)));
    return memo.get(q);
  };
}

/** Splits `values` into the plausible ones (kept, in order) and the dropped ones; a quantity without a window is kept. */
export function screenValues(values: readonly Measurement[], limitOf: (quantity: string) => Limit | undefined): { kept: Measurement[]; dropped: DroppedValue[] } {
  const kept: Measurement[] = [];
  const dropped: DroppedValue[] = [];
  for (const m of values) {
    const limit = limitOf(m.quantity);
    const found = physicalOf(m);
    const reason = implausible(limit, found);
    if (reason) dropped.push({ quantity: m.quantity, found, reason, limit: limit! });
    else kept.push(m);
  }
  return { kept, dropped };
}

/** Rating of a source when neither its template nor its config says more, by meter kind. */
export function defaultRating(kind: string): Rating {
  switch (kind) {
    // An Italian LV supply point (Chain 2 meters): 230 V, 50 Hz, generous 3 × 100 A.
    case 'chain2': return { nominalVoltageV: 230, nominalFrequencyHz: 50, maxCurrentA: 100, phases: 3 };
    // A PMU may sit on MV/HV (kV, kA): only the grid frequency is known without a rating.
    case 'pmu': case 'pmu-json': return { nominalFrequencyHz: 50 };
    // Modbus meters: their template's rating; EMS read-back: its config's.
    default: return {};
  }
}

/** Validates a `rating` object from a template or a config; returns the problem (field, expected) or null. */
export function ratingProblem(x: unknown): { field: string; expected: string } | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return { field: '', expected: 'object' };
  const r = x as Record<string, unknown>;
  const known = ['nominalVoltageV', 'nominalFrequencyHz', 'maxCurrentA', 'phases'];
  for (const k of Object.keys(r)) if (!known.includes(k)) return { field: `.${k}`, expected: `one of ${known.join(', ')}` };
  const pos = (k: string, hi: number): boolean => r[k] === undefined || (typeof r[k] === 'number' && Number.isFinite(r[k]) && (r[k] as number) > 0 && (r[k] as number) <= hi);
  if (!pos('nominalVoltageV', 1_000_000)) return { field: '.nominalVoltageV', expected: 'a number 0 < V <= 1000000' };
  if (!pos('nominalFrequencyHz', 1000)) return { field: '.nominalFrequencyHz', expected: 'a number 0 < Hz <= 1000' };
  if (!pos('maxCurrentA', 1_000_000)) return { field: '.maxCurrentA', expected: 'a number 0 < A <= 1000000' };
  if (r.phases !== undefined && r.phases !== 1 && r.phases !== 3) return { field: '.phases', expected: '1 or 3' };
  return null;
}
