/**
 * Load profiles: the site's net active power (W, + import from grid, − export to grid) as a
 * pure function of simulated time. Deterministic for a given seed, so runs are reproducible.
 */
import { hash01 } from './random.js';

export type ProfileConfig =
  /** Household consumption: base load, morning and evening peaks, appliance bursts. */
  | { kind: 'household'; baseW?: number; peakW?: number; seed?: number }
  /** PV export: a clear-sky half-sine from 06:00 to 18:00 UTC with passing clouds. */
  | { kind: 'pv'; peakW?: number; seed?: number }
  /** Household consumption plus PV: net power changes sign around midday. */
  | { kind: 'prosumer'; baseW?: number; peakW?: number; pvPeakW?: number; seed?: number }
  /** A constant power (W; negative exports). */
  | { kind: 'constant'; powerW: number };

export const PROFILE_KINDS = ['household', 'pv', 'prosumer', 'constant'] as const;

const HOUR_MS = 3_600_000;

function bell(hour: number, centre: number, width: number): number {
  const x = (hour - centre) / width;
  return Math.exp(-x * x);
}

function householdW(simMs: number, baseW: number, peakW: number, seed: number): number {
  const hour = (simMs % (24 * HOUR_MS)) / HOUR_MS;
  const shape = 0.35 * bell(hour, 7.5, 1.2) + bell(hour, 20, 2);
  // Appliance bursts (kettle, oven, washing machine): decided per 5-minute slot.
  const slot = Math.floor(simMs / 300_000);
  const burst = hash01(seed, slot) < 0.12 ? 800 + 1400 * hash01(seed, slot, 7) : 0;
  return baseW + (peakW - baseW) * shape + burst;
}

function pvW(simMs: number, peakW: number, seed: number): number {
  const hour = (simMs % (24 * HOUR_MS)) / HOUR_MS;
  if (hour <= 6 || hour >= 18) return 0;
  const clear = Math.sin((Math.PI * (hour - 6)) / 12);
  const slot = Math.floor(simMs / 600_000);
  const cloud = hash01(seed, slot, 3) < 0.2 ? 0.4 + 0.4 * hash01(seed, slot, 4) : 1;
  return peakW * clear * cloud;
}

/** Net active power in W at simulated time `simMs` (+ import, − export). */
export function profilePowerW(p: ProfileConfig, simMs: number): number {
  switch (p.kind) {
    case 'household': return householdW(simMs, p.baseW ?? 250, p.peakW ?? 2500, p.seed ?? 1);
    case 'pv': return -pvW(simMs, p.peakW ?? 4000, p.seed ?? 1);
    case 'prosumer': return householdW(simMs, p.baseW ?? 250, p.peakW ?? 2500, p.seed ?? 1) - pvW(simMs, p.pvPeakW ?? 4000, p.seed ?? 1);
    case 'constant': return p.powerW;
  }
}
