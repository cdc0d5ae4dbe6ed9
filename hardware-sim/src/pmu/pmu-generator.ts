/**
 * Synchrophasor values of a simulated PMU, as pure functions of the frame time (so a frame can be
 * regenerated and tests can predict it). The physics is the lab's: the site's power comes from
 * the same load profiles as the meter simulators (physics/profiles.ts), voltage is 230 V with the
 * seeded noise the meters use, and frequency wanders slowly around nominal; the voltage angle
 * advances by 2π·(f − fnom)·t, as a phasor referenced to a nominal-frequency UTC cosine does
 * (C37.118.1 §4.2). Currents lag their voltage by the profile's power-factor angle.
 */
import type { ConfigFrame, DataFormat, PmuConfig } from '@lightnode/shared/c37118/config-frame';
import type { DataFrame, PmuData } from '@lightnode/shared/c37118/data-frame';
import { profilePowerW, type ProfileConfig } from '../physics/profiles.js';
import { gauss } from '../physics/random.js';

export interface PmuSimConfig {
  /** Data stream IDCODE (1..65534). */
  idcode: number;
  /** Station name, at most 16 ASCII characters. */
  stn: string;
  /** Voltage phasors (phases A, B, C in turn; 1..3). Default 3. */
  voltages?: number;
  /** Current phasors (phases A, B, C in turn; 0..3). Default 3. */
  currents?: number;
  /** Frames per second, 1..50. Default 50. */
  rateFps?: number;
  /** Nominal frequency. Default 50. */
  fnomHz?: 50 | 60;
  /** Float polar (default) or int16 polar with PHUNIT scaling. */
  float?: boolean;
  /** C37.118 version of the frames: 2 (2011, default) or 1 (2005). */
  version?: 1 | 2;
  /** Load profile of the site behind the PMU (default household). */
  profile?: ProfileConfig;
}

/** FRACSEC counts per second used by the simulator (µs, the common TIME_BASE). */
export const SIM_TIME_BASE = 1_000_000;
/** PHUNIT of int16 phasors: 0.01 V per count (1000 × 10⁻⁵) and 1 mA per count (100 × 10⁻⁵). */
const PHUNIT_V = 1000;
const PHUNIT_A = 100;
const PHASE = ['A', 'B', 'C'];
const SHIFT = [0, (-2 * Math.PI) / 3, (2 * Math.PI) / 3];

/** The CFG-2 the simulated PMU announces (the frame head's time is the caller's). */
export function pmuConfigFrame(c: PmuSimConfig, cfgcnt: number, soc: number): ConfigFrame {
  const float = c.float ?? true;
  const format: DataFormat = { polar: true, phasorFloat: float, analogFloat: float, freqFloat: float };
  const pmu: PmuConfig = {
    stn: c.stn, idcode: c.idcode, format,
    phasors: [
      ...Array.from({ length: c.voltages ?? 3 }, (_, i) => ({ name: `V${PHASE[i]}`, kind: 'V' as const, unit: PHUNIT_V })),
      ...Array.from({ length: c.currents ?? 3 }, (_, i) => ({ name: `I${PHASE[i]}`, kind: 'A' as const, unit: PHUNIT_A })),
    ],
    analogs: [], digitals: [], fnomHz: c.fnomHz ?? 50, cfgcnt,
  };
  return { type: 'cfg2', version: c.version ?? 2, idcode: c.idcode, soc, fracsec: 0, timeQuality: 0, timeBase: SIM_TIME_BASE, pmus: [pmu], dataRate: c.rateFps ?? 50 };
}

/** Frequency in Hz at `ms`: nominal plus a slow ±30 mHz swing and a little noise. */
export function simFrequencyHz(fnom: number, ms: number): number {
  return fnom + 0.03 * Math.sin((2 * Math.PI * ms) / 97_000) + 0.002 * gauss(17, Math.floor(ms / 20));
}

/** Wrap an angle into (−π, π]. */
function wrap(a: number): number {
  const x = a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
  return x <= -Math.PI ? x + 2 * Math.PI : x;
}

/**
 * The data block of frame time `ms` (ms since the epoch) under configuration `cfg`.
 * `stat` is the STAT word to send (the server sets the configuration-change bit).
 */
export function pmuBlock(c: PmuSimConfig, cfg: ConfigFrame, ms: number, stat = 0): PmuData {
  const pmu = cfg.pmus[0]!;
  const fnom = pmu.fnomHz;
  const f = simFrequencyHz(fnom, ms);
  // ROCOF: derivative of the smooth part (the noise is not differentiated; a PMU filters it).
  const rocof = 0.03 * ((2 * Math.PI) / 97) * Math.cos((2 * Math.PI * ms) / 97_000);
  // Phase advance of the voltage: integral of (f − fnom) over time, of the smooth part.
  const theta = -0.03 * 97 * Math.cos((2 * Math.PI * ms) / 97_000);
  const powerW = Math.abs(profilePowerW(c.profile ?? { kind: 'household' }, ms));
  const pf = 0.95;
  const phi = Math.acos(pf);
  const float = pmu.format.phasorFloat;
  const phasors = pmu.phasors.map((ch, i): [number, number] => {
    const phaseIdx = ch.kind === 'V' ? i : i - (c.voltages ?? 3);
    const v = 230 + 1.5 * gauss(7, Math.floor(ms / 1000), phaseIdx);
    const mag = ch.kind === 'V' ? v : powerW / 3 / (v * pf);
    const ang = wrap(theta + SHIFT[phaseIdx]! - (ch.kind === 'A' ? phi : 0));
    if (float) return [Math.fround(mag), Math.fround(ang)];
    return [Math.min(65535, Math.round(mag / (ch.unit * 1e-5))), Math.round(ang * 1e4)];
  });
  const freq = pmu.format.freqFloat ? Math.fround(f) : Math.round((f - fnom) * 1000);
  const dfreq = pmu.format.freqFloat ? Math.fround(rocof) : Math.round(rocof * 100);
  return { stat, phasors, freq, dfreq, analogs: [], digitals: [] };
}

/** Frame `n` of a stream at `rateFps` whose frame 0 is at whole second `soc0`: its SOC and FRACSEC. */
export function frameTime(soc0: number, rateFps: number, n: number): { soc: number; fracsec: number; ms: number } {
  const soc = soc0 + Math.floor(n / rateFps);
  const k = n % rateFps;
  const fracsec = Math.round((k * SIM_TIME_BASE) / rateFps);
  return { soc, fracsec, ms: soc * 1000 + Math.floor((k * 1000) / rateFps) };
}

/** A data frame object for frame time `ms`. */
export function pmuDataFrame(c: PmuSimConfig, cfg: ConfigFrame, t: { soc: number; fracsec: number; ms: number }, stat = 0, idcode = cfg.idcode): DataFrame {
  return { type: 'data', version: cfg.version, idcode, soc: t.soc, fracsec: t.fracsec, timeQuality: 0, pmus: [pmuBlock(c, cfg, t.ms, stat)] };
}
