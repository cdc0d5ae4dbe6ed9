/**
 * The physical model of a metered site, kept pure: state in, state out. Energy counters
 * integrate power over simulated time (so they never go backwards), totals are the sum of the
 * phases, voltage and frequency carry small plausible noise. The register engine renders a
 * snapshot of this state into a meter's registers.
 */
import { profilePowerW, type ProfileConfig } from './profiles.js';
import { gauss } from './random.js';

export interface MeterModelConfig {
  /** 1 (single-phase) or 3 (three-phase). */
  phases: 1 | 3;
  profile: ProfileConfig;
  /** Share of the total power on each phase (three-phase only; default [0.4, 0.35, 0.25]). */
  phaseShares?: number[];
  /** Nominal line-to-neutral voltage in V (default 230). */
  nominalVoltageV?: number;
  /** Nominal frequency in Hz (default 50). */
  nominalFrequencyHz?: number;
  /** Power factor magnitude (default 0.95). */
  powerFactor?: number;
  /** Seed for the measurement noise (default 1). */
  seed?: number;
}

/** Values forced from outside (control API); undefined = follow the model. */
export interface MeterOverrides {
  /** Total active power in W (+ import, − export). */
  powerW?: number;
  /** Line-to-neutral voltage in V on every phase. */
  voltageV?: number;
  /** Frequency in Hz. */
  frequencyHz?: number;
}

export interface PhaseCounters { importWh: number; exportWh: number; importVarh: number; exportVarh: number }

export interface MeterState {
  /** Simulated time the counters were integrated up to (ms since epoch). */
  simMs: number;
  phases: PhaseCounters[];
}

/** Longest integration step in simulated ms (profile bursts are 5 minutes long). */
const MAX_STEP_MS = 30_000;

/** A fresh state with counters starting at `initialImportWh` (split over the phases). */
export function initialMeterState(cfg: MeterModelConfig, simMs: number, initialImportWh = 0, initialExportWh = 0): MeterState {
  const shares = phaseShares(cfg);
  return {
    simMs,
    phases: shares.map((s) => ({ importWh: initialImportWh * s, exportWh: initialExportWh * s, importVarh: 0, exportVarh: 0 })),
  };
}

function phaseShares(cfg: MeterModelConfig): number[] {
  if (cfg.phases === 1) return [1];
  const s = cfg.phaseShares ?? [0.4, 0.35, 0.25];
  const sum = s.reduce((a, b) => a + b, 0);
  return s.map((x) => x / sum);
}

/** Total active power in W at `simMs` (the profile unless overridden). */
export function totalPowerW(cfg: MeterModelConfig, simMs: number, ov: MeterOverrides = {}): number {
  return ov.powerW ?? profilePowerW(cfg.profile, simMs);
}

/** Integrates the energy counters from `state.simMs` up to `toMs` (no-op if `toMs` is not later). */
export function advanceMeter(cfg: MeterModelConfig, state: MeterState, toMs: number, ov: MeterOverrides = {}): MeterState {
  if (!(toMs > state.simMs)) return state;
  const shares = phaseShares(cfg);
  const pf = cfg.powerFactor ?? 0.95;
  const qPerP = Math.sqrt(1 - pf * pf) / pf;
  const phases = state.phases.map((p) => ({ ...p }));
  let t = state.simMs;
  while (t < toMs) {
    const dt = Math.min(MAX_STEP_MS, toMs - t);
    const p = totalPowerW(cfg, t + dt / 2, ov);
    const hours = dt / 3_600_000;
    shares.forEach((share, i) => {
      const ph = phases[i]!;
      const pw = p * share;
      if (pw >= 0) { ph.importWh += pw * hours; ph.importVarh += pw * qPerP * hours; }
      else { ph.exportWh += -pw * hours; ph.exportVarh += -pw * qPerP * hours; }
    });
    t += dt;
  }
  return { simMs: toMs, phases };
}

/**
 * Every physical quantity the register engine can render, in SI units (V, A, W, VA, var, Hz,
 * Wh, varh, power factor as a ratio, THD and phase angle as % and degrees).
 * Keys: `<quantity>.<L1|L2|L3|total|avg|...>`.
 */
export type MeterSnapshot = Record<string, number>;

/** The instantaneous values and counters at `state.simMs`, with noise drawn for `sampleId`. */
export function snapshotMeter(cfg: MeterModelConfig, state: MeterState, ov: MeterOverrides = {}, sampleId = 0): MeterSnapshot {
  const shares = phaseShares(cfg);
  const pf = cfg.powerFactor ?? 0.95;
  const seed = cfg.seed ?? 1;
  const vNom = cfg.nominalVoltageV ?? 230;
  const p = totalPowerW(cfg, state.simMs, ov);
  const s: MeterSnapshot = {};
  const names = ['L1', 'L2', 'L3'].slice(0, shares.length);
  const slot = Math.floor(state.simMs / 1000);
  let sumI = 0, sumS = 0, sumQ = 0, sumV = 0;
  names.forEach((n, i) => {
    const v = ov.voltageV ?? vNom + 1.2 * clamp(gauss(seed, slot, sampleId, i), -3, 3);
    const pw = p * shares[i]!;
    const va = Math.abs(pw) / pf;
    const q = Math.sqrt(Math.max(0, va * va - pw * pw));
    const c = va / v;
    const ph = state.phases[i]!;
    Object.assign(s, {
      [`voltage.${n}`]: v, [`current.${n}`]: c, [`power.${n}`]: pw, [`apparentPower.${n}`]: va,
      [`reactivePower.${n}`]: q, [`powerFactor.${n}`]: pf,
      [`energyImport.${n}`]: ph.importWh, [`energyExport.${n}`]: ph.exportWh,
      [`thd.${n}`]: 2 + 0.3 * Math.abs(gauss(seed, slot, sampleId, 10 + i)),
    });
    sumI += c; sumS += va; sumQ += q; sumV += v;
  });
  const sum = (key: keyof PhaseCounters) => state.phases.reduce((a, ph) => a + ph[key], 0);
  const vAvg = sumV / names.length;
  const vLL = vAvg * Math.sqrt(3);
  Object.assign(s, {
    'voltage.avg': vAvg, 'voltage.L1L2': vLL, 'voltage.L2L3': vLL, 'voltage.L3L1': vLL, 'voltage.LLavg': vLL,
    'current.sum': sumI, 'power.total': p, 'apparentPower.total': sumS, 'reactivePower.total': sumQ,
    'powerFactor.total': pf, 'phaseAngle.total': (Math.acos(pf) * 180) / Math.PI,
    frequency: ov.frequencyHz ?? (cfg.nominalFrequencyHz ?? 50) + 0.02 * clamp(gauss(seed, slot, sampleId, 99), -3, 3),
    'energyImport.total': sum('importWh'), 'energyExport.total': sum('exportWh'),
    'energyTotal.total': sum('importWh') + sum('exportWh'),
    'reactiveImport.total': sum('importVarh'), 'reactiveExport.total': sum('exportVarh'),
    'reactiveTotal.total': sum('importVarh') + sum('exportVarh'),
  });
  return s;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** SI unit of each snapshot quantity (the prefix before the dot). */
export const SNAPSHOT_UNITS: Record<string, string> = {
  voltage: 'V', current: 'A', power: 'W', apparentPower: 'VA', reactivePower: 'var', powerFactor: '1',
  phaseAngle: 'deg', frequency: 'Hz', energyImport: 'Wh', energyExport: 'Wh', energyTotal: 'Wh',
  reactiveImport: 'varh', reactiveExport: 'varh', reactiveTotal: 'varh', thd: '%',
};
