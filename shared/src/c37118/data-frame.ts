/**
 * Data frames (C37.118.2-2011 §6.3 Table 5; C37.118-2005 §9.3): per PMU, in configuration
 * order, STAT, the phasors, FREQ, DFREQ, the analogs and the digital words. The layout depends
 * on the configuration (FORMAT and the channel counts), so both directions take the CFG-2 (or
 * CFG-3) the stream announced; a frame that does not fit it is refused with `C37_CONFIG_MISMATCH`.
 *
 * Values are kept as they were on the wire (int16 counts or float32), so `encodeDataFrame`
 * gives back the exact bytes; `pmu-values.ts` turns them into volts, amperes and hertz.
 */
import { ValidationError } from '../errors.js';
import type { ByteReader, ByteWriter } from './bytes.js';
import type { ConfigFrame, DataFormat } from './config-frame.js';
import type { Config3Frame } from './config3-frame.js';
import { beginFrame, closeFrame, endBody, openFrame, type FrameHead } from './frame.js';

/** One PMU's block of a data frame, values as on the wire. */
export interface PmuData {
  /** STAT word (see stat.ts). */
  stat: number;
  /**
   * Phasors as pairs, by FORMAT: rectangular (real, imaginary) or polar (magnitude, angle).
   * int16 format: counts (polar magnitude is unsigned, angle in 10⁻⁴ rad); float: V or A and rad.
   */
  phasors: [number, number][];
  /** int16: deviation from FNOM in mHz; float: frequency in Hz (§6.3 Table 5 — not a deviation). */
  freq: number;
  /** ROCOF. int16: Hz/s × 100; float: Hz/s. */
  dfreq: number;
  /** Analogs: int16 counts or float32. */
  analogs: number[];
  /** Digital status words (16 bits each). */
  digitals: number[];
}

/** A decoded data frame. */
export interface DataFrame extends FrameHead {
  type: 'data';
  pmus: PmuData[];
}

/** Any configuration that describes a data stream. */
export type StreamConfig = ConfigFrame | Config3Frame;

/** int16 polar angle bound: π × 10⁴ (§6.3 Table 5, "range ±31416"). */
export const MAX_INT_ANGLE = 31416;
/** float32 polar angle bound: π rounded to float32 (just above Math.PI). */
const MAX_FLOAT_ANGLE = Math.fround(Math.PI);

/** Bytes of one PMU block for its FORMAT and channel counts. */
export function pmuBlockBytes(f: DataFormat, phnmr: number, annmr: number, dgnmr: number): number {
  return 2 + phnmr * (f.phasorFloat ? 8 : 4) + (f.freqFloat ? 8 : 4) + annmr * (f.analogFloat ? 4 : 2) + dgnmr * 2;
}

/** Total frame bytes of a data frame under `cfg`. */
export function dataFrameBytes(cfg: StreamConfig): number {
  return 16 + cfg.pmus.reduce((n, p) => n + pmuBlockBytes(p.format, p.phasors.length, p.analogs.length, p.digitals.length), 0);
}

function checkAngle(field: string, v: number, float: boolean): void {
  if (Math.abs(v) > (float ? MAX_FLOAT_ANGLE : MAX_INT_ANGLE)) throw new ValidationError('C37_FIELD_INVALID', field, float ? 'an angle within ±π rad' : 'an angle within ±31416 (10⁻⁴ rad)', v);
}

function readBlock(r: ByteReader, f: DataFormat, nPh: number, nAn: number, nDg: number, p: string): PmuData {
  const stat = r.u16(`${p}.STAT`);
  const phasors: [number, number][] = [];
  for (let i = 0; i < nPh; i++) {
    const field = `${p}.PHASORS[${i}]`;
    let a: number, b: number;
    if (f.phasorFloat) { a = r.f32(field); b = r.f32(field); }
    else if (f.polar) { a = r.u16(field); b = r.i16(field); }
    else { a = r.i16(field); b = r.i16(field); }
    if (f.polar) checkAngle(`${field}.angle`, b, f.phasorFloat);
    if (f.polar && f.phasorFloat && a < 0) throw new ValidationError('C37_FIELD_INVALID', `${field}.magnitude`, 'a magnitude >= 0', a);
    phasors.push([a, b]);
  }
  const freq = f.freqFloat ? r.f32(`${p}.FREQ`) : r.i16(`${p}.FREQ`);
  const dfreq = f.freqFloat ? r.f32(`${p}.DFREQ`) : r.i16(`${p}.DFREQ`);
  const analogs: number[] = [];
  for (let i = 0; i < nAn; i++) analogs.push(f.analogFloat ? r.f32(`${p}.ANALOG[${i}]`) : r.i16(`${p}.ANALOG[${i}]`));
  const digitals: number[] = [];
  for (let i = 0; i < nDg; i++) digitals.push(r.u16(`${p}.DIGITAL[${i}]`));
  return { stat, phasors, freq, dfreq, analogs, digitals };
}

function writeBlock(w: ByteWriter, f: DataFormat, d: PmuData, nPh: number, nAn: number, nDg: number, p: string): void {
  const counts = [[d.phasors, nPh, 'phasors'], [d.analogs, nAn, 'analogs'], [d.digitals, nDg, 'digitals']] as const;
  for (const [xs, n, name] of counts) {
    if (!Array.isArray(xs) || xs.length !== n) throw new ValidationError('C37_CONFIG_MISMATCH', `${p}.${name}`, `${n} values (the configuration's count)`, xs);
  }
  w.u16(`${p}.STAT`, d.stat);
  d.phasors.forEach((ph, i) => {
    const field = `${p}.PHASORS[${i}]`;
    if (!Array.isArray(ph) || ph.length !== 2) throw new ValidationError('C37_FIELD_INVALID', field, 'a pair of numbers', ph);
    const [a, b] = ph;
    if (f.polar) checkAngle(`${field}.angle`, b, f.phasorFloat);
    if (f.phasorFloat) { w.f32(field, a); w.f32(field, b); }
    else if (f.polar) { w.u16(field, a); w.i16(field, b); }
    else { w.i16(field, a); w.i16(field, b); }
  });
  if (f.freqFloat) { w.f32(`${p}.FREQ`, d.freq); w.f32(`${p}.DFREQ`, d.dfreq); }
  else { w.i16(`${p}.FREQ`, d.freq); w.i16(`${p}.DFREQ`, d.dfreq); }
  d.analogs.forEach((v, i) => (f.analogFloat ? w.f32(`${p}.ANALOG[${i}]`, v) : w.i16(`${p}.ANALOG[${i}]`, v)));
  d.digitals.forEach((v, i) => w.u16(`${p}.DIGITAL[${i}]`, v));
}

/**
 * Decode a complete data frame under the configuration of its stream. Refuses (C37_ codes) a
 * bad envelope, an IDCODE or size other than the configuration's, FRACSEC not below TIME_BASE,
 * NaN/±∞ floats and polar angles beyond ±π.
 */
export function decodeDataFrame(bytes: Uint8Array, cfg: StreamConfig): DataFrame {
  const { type, head, body: r } = openFrame(bytes);
  if (type !== 'data') throw new ValidationError('C37_FRAME_TYPE_UNKNOWN', 'SYNC.frameType', 'a data frame', type);
  if (head.idcode !== cfg.idcode) throw new ValidationError('C37_CONFIG_MISMATCH', 'IDCODE', `${cfg.idcode} (the configuration's stream)`, head.idcode);
  const expected = dataFrameBytes(cfg);
  if (bytes.length !== expected) throw new ValidationError('C37_CONFIG_MISMATCH', 'FRAMESIZE', `${expected} (the configuration's layout, CFGCNT ${cfg.pmus.map((p) => p.cfgcnt).join('/')})`, bytes.length);
  if (head.fracsec >= cfg.timeBase) throw new ValidationError('C37_FIELD_INVALID', 'FRACSEC', `below TIME_BASE ${cfg.timeBase}`, head.fracsec);
  const pmus = cfg.pmus.map((p, i) => readBlock(r, p.format, p.phasors.length, p.analogs.length, p.digitals.length, `PMU[${i}]`));
  endBody(r, 'data');
  return { type: 'data', ...head, pmus };
}

/** Encode a data frame under `cfg` (the frame's PMU blocks must match its counts). */
export function encodeDataFrame(f: DataFrame, cfg: StreamConfig): Uint8Array {
  if (f.idcode !== cfg.idcode) throw new ValidationError('C37_CONFIG_MISMATCH', 'idcode', `${cfg.idcode} (the configuration's stream)`, f.idcode);
  if (!Array.isArray(f.pmus) || f.pmus.length !== cfg.pmus.length) throw new ValidationError('C37_CONFIG_MISMATCH', 'pmus', `${cfg.pmus.length} PMU blocks`, f.pmus);
  if (!Number.isInteger(f.fracsec) || f.fracsec >= cfg.timeBase) throw new ValidationError('C37_FIELD_INVALID', 'FRACSEC', `an integer below TIME_BASE ${cfg.timeBase}`, f.fracsec);
  const w = beginFrame('data', f);
  cfg.pmus.forEach((p, i) => writeBlock(w, p.format, f.pmus[i]!, p.phasors.length, p.analogs.length, p.digitals.length, `PMU[${i}]`));
  return closeFrame(w);
}
