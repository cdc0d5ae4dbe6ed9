/**
 * Physical values of a PMU block (C37.118.2-2011 §6.3 Table 5, §6.4 Tables 8/10): phasor
 * magnitude (V or A, RMS) and angle (rad), frequency (Hz) and ROCOF (Hz/s).
 *
 * The FREQ trap: an int16 FREQ is the deviation from nominal in mHz (f = FNOM + FREQ/1000), a
 * float32 FREQ is the frequency itself in Hz. pyPMU adds FNOM to both; that is wrong.
 */
import type { PmuConfig } from './config-frame.js';
import type { PmuConfig3 } from './config3-frame.js';
import type { PmuData } from './data-frame.js';

export interface PhasorValue {
  name: string;
  kind: 'V' | 'A';
  /** RMS magnitude in V or A. */
  magnitude: number;
  /** Angle in radians, (−π, π]. */
  angleRad: number;
}

export interface PmuValues {
  phasors: PhasorValue[];
  freqHz: number;
  rocofHzPerS: number;
}

const wrap = (a: number): number => {
  let x = a % (2 * Math.PI);
  if (x > Math.PI) x -= 2 * Math.PI;
  if (x <= -Math.PI) x += 2 * Math.PI;
  return x;
};

/** Volts/amperes per int16 count of phasor `i`: PHUNIT × 10⁻⁵ (CFG-1/2) or the CFG-3 scale factor. */
function magScale(cfg: PmuConfig | PmuConfig3, i: number): number {
  const ch = cfg.phasors[i]!;
  return 'unit' in ch ? ch.unit * 1e-5 : ch.scale;
}

/** Physical values of one PMU block under its configuration. */
export function pmuValues(cfg: PmuConfig | PmuConfig3, d: PmuData): PmuValues {
  const f = cfg.format;
  const phasors = d.phasors.map(([a, b], i): PhasorValue => {
    const ch = cfg.phasors[i]!;
    // CFG-3 carries an angle adjustment θ to add (Table 10 PHSCALE); CFG-1/2 have none.
    const offset = 'angleOffset' in ch ? ch.angleOffset : 0;
    // Float phasors are already in V/A and rad (PHUNIT "ignored" for floats, Table 8).
    const k = f.phasorFloat ? 1 : magScale(cfg, i);
    let magnitude: number, angleRad: number;
    if (f.polar) { magnitude = a * k; angleRad = f.phasorFloat ? b : b / 1e4; }
    else { magnitude = Math.hypot(a, b) * k; angleRad = Math.atan2(b, a); }
    return { name: ch.name, kind: ch.kind, magnitude, angleRad: wrap(angleRad + offset) };
  });
  const freqHz = f.freqFloat ? d.freq : cfg.fnomHz + d.freq / 1000;
  const rocofHzPerS = f.freqFloat ? d.dfreq : d.dfreq / 100;
  return { phasors, freqHz, rocofHzPerS };
}

/**
 * The frame's time in integer milliseconds since the epoch, and the rest below a millisecond in
 * nanoseconds: SOC + FRACSEC/TIME_BASE, computed in integers so no float rounds a timestamp.
 * Exact whenever TIME_BASE divides 10⁹ (10⁶, the common value, does); otherwise the ns part is
 * rounded down.
 */
export function frameTimeMs(soc: number, fracsec: number, timeBase: number): { ms: number; subMsNs: number } {
  const ms = Math.floor((fracsec * 1000) / timeBase);
  // fracsec < 2^24 and 10^9 × 2^24 < 2^54: use two steps to stay within safe integers.
  const remNum = fracsec * 1000 - ms * timeBase; // < timeBase, in (ms × TIME_BASE) units
  const subMsNs = Math.floor((remNum * 1_000_000) / timeBase);
  return { ms: soc * 1000 + ms, subMsNs };
}
