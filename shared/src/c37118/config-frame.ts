/**
 * Configuration frames 1 and 2 (C37.118.2-2011 §6.4 Table 8; same layout in C37.118-2005 §9.4):
 * TIME_BASE, NUM_PMU, per PMU its station name, IDCODE, FORMAT, channel counts, names and
 * units, FNOM and CFGCNT, then DATA_RATE. CFG-2 is the one a PDC needs to decode data frames.
 */
import { ValidationError } from '../errors.js';
import type { ByteReader, ByteWriter } from './bytes.js';
import { beginFrame, closeFrame, endBody, openFrame, type FrameHead } from './frame.js';

/** FORMAT bits 3–0 (§6.4 Table 9): what the data frame carries for this PMU. */
export interface DataFormat {
  /** Bit 0: phasors as magnitude and angle (polar) rather than real and imaginary. */
  polar: boolean;
  /** Bit 1: phasors as float32 pairs rather than int16 pairs. */
  phasorFloat: boolean;
  /** Bit 2: analogs as float32 rather than int16. */
  analogFloat: boolean;
  /** Bit 3: FREQ/DFREQ as float32 (Hz, Hz/s) rather than int16 (mHz from nominal, Hz/s × 100). */
  freqFloat: boolean;
}

/** One phasor channel: CHNAM and PHUNIT. */
export interface PhasorChannel {
  name: string;
  /** PHUNIT byte 0: 0 voltage, 1 current. */
  kind: 'V' | 'A';
  /** PHUNIT bits 23–0: 10⁻⁵ V or A per bit of an int16 phasor; ignored for float phasors. */
  unit: number;
}

/** One analog channel: CHNAM and ANUNIT. */
export interface AnalogChannel {
  name: string;
  /** ANUNIT byte 0: 0 single point-on-wave, 1 RMS, 2 peak; 65–255 user-defined. */
  kind: number;
  /** ANUNIT bits 23–0, signed: user-defined scaling of an int16 analog. */
  scale: number;
}

/** One 16-bit digital status word: 16 channel names (bit 0 first) and DIGUNIT's two masks. */
export interface DigitalWord {
  names: string[];
  /** Normal status: XOR with the word gives 0 in the normal state. */
  normal: number;
  /** Valid inputs: bits set for the inputs in use. */
  valid: number;
}

/** One PMU of a CFG-1/2 frame. */
export interface PmuConfig {
  stn: string;
  idcode: number;
  format: DataFormat;
  phasors: PhasorChannel[];
  analogs: AnalogChannel[];
  digitals: DigitalWord[];
  /** FNOM bit 0: 50 Hz when set, 60 Hz when clear. */
  fnomHz: 50 | 60;
  /** Configuration change count, incremented by the PMU on every change. */
  cfgcnt: number;
}

/** A decoded CFG-1 or CFG-2 frame. */
export interface ConfigFrame extends FrameHead {
  type: 'cfg1' | 'cfg2';
  /** TIME_BASE bits 23–0: FRACSEC counts per second. */
  timeBase: number;
  pmus: PmuConfig[];
  /** DATA_RATE: > 0 frames per second, < 0 seconds per frame (signed, §6.4 Table 8). */
  dataRate: number;
}

/** Most PMUs one frame may describe; far above any real PDC stream, it bounds allocation on hostile counts. */
export const MAX_PMUS = 4096;

export function readFormat(r: ByteReader, field: string): DataFormat {
  const f = r.u16(field);
  // Bits 15–4 are unused (Table 9); a PMU setting them speaks a layout we cannot know, so refuse.
  if (f & 0xfff0) throw new ValidationError('C37_FIELD_INVALID', field, 'bits 15–4 clear', `0x${f.toString(16)}`);
  return { polar: (f & 1) !== 0, phasorFloat: (f & 2) !== 0, analogFloat: (f & 4) !== 0, freqFloat: (f & 8) !== 0 };
}

export function writeFormat(w: ByteWriter, field: string, f: DataFormat): void {
  w.u16(field, (f.polar ? 1 : 0) | (f.phasorFloat ? 2 : 0) | (f.analogFloat ? 4 : 0) | (f.freqFloat ? 8 : 0));
}

export function readFnom(r: ByteReader, field: string): 50 | 60 {
  const v = r.u16(field);
  if (v & 0xfffe) throw new ValidationError('C37_FIELD_INVALID', field, 'bits 15–1 clear (reserved)', `0x${v.toString(16)}`);
  return v & 1 ? 50 : 60;
}

export function writeFnom(w: ByteWriter, field: string, hz: 50 | 60): void {
  if (hz !== 50 && hz !== 60) throw new ValidationError('C37_FIELD_INVALID', field, '50 or 60', hz);
  w.u16(field, hz === 50 ? 1 : 0);
}

export function readTimeBase(r: ByteReader): number {
  const v = r.u32('TIME_BASE');
  // Bits 31–24 are reserved for flags (Table 8); none is defined, so a set bit is refused.
  if (v >>> 24 !== 0) throw new ValidationError('C37_FIELD_INVALID', 'TIME_BASE', 'flag bits 31–24 clear', `0x${v.toString(16)}`);
  if (v === 0) throw new ValidationError('C37_FIELD_INVALID', 'TIME_BASE', 'at least 1 (FRACSEC is divided by it)', v);
  return v;
}

export function writeTimeBase(w: ByteWriter, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 0xffffff) throw new ValidationError('C37_FIELD_INVALID', 'TIME_BASE', 'an integer 1..2^24-1', v);
  w.u32('TIME_BASE', v);
}

export function readCount(r: ByteReader, field: string, max: number): number {
  const n = r.u16(field);
  // Each counted item takes at least one byte, so a count above the bytes left is a lie about the size.
  if (n > max || n > r.remaining()) throw new ValidationError('C37_FRAMESIZE_INVALID', field, `at most ${Math.min(max, r.remaining())} (the bytes left in the frame)`, n);
  return n;
}

export function readDataRate(r: ByteReader): number {
  const v = r.i16('DATA_RATE');
  if (v === 0) throw new ValidationError('C37_FIELD_INVALID', 'DATA_RATE', 'a non-zero rate (> 0 frames/s, < 0 s/frame)', v);
  return v;
}

export function writeDataRate(w: ByteWriter, v: number): void {
  if (v === 0) throw new ValidationError('C37_FIELD_INVALID', 'DATA_RATE', 'a non-zero rate (> 0 frames/s, < 0 s/frame)', v);
  w.i16('DATA_RATE', v);
}

function readPmu(r: ByteReader, p: string): PmuConfig {
  const stn = r.name16(`${p}.STN`);
  const idcode = r.u16(`${p}.IDCODE`);
  const format = readFormat(r, `${p}.FORMAT`);
  const phnmr = readCount(r, `${p}.PHNMR`, 0xffff);
  const annmr = readCount(r, `${p}.ANNMR`, 0xffff);
  const dgnmr = readCount(r, `${p}.DGNMR`, 0xffff);
  // The counts fix the rest of this PMU's size (Table 8): check it before reading names, so a
  // count that lies about the frame's size is reported as such, not as a garbled name.
  const need = 16 * (phnmr + annmr + 16 * dgnmr) + 4 * (phnmr + annmr + dgnmr) + 4;
  if (need > r.remaining()) throw new ValidationError('C37_FRAMESIZE_INVALID', `${p}.PHNMR/ANNMR/DGNMR`, `counts whose ${need} bytes fit the ${r.remaining()} left in the frame`, `${phnmr}/${annmr}/${dgnmr}`);
  const names = (n: number, what: string) => Array.from({ length: n }, (_, i) => r.name16(`${p}.CHNAM.${what}[${i}]`));
  const phNames = names(phnmr, 'phasor');
  const anNames = names(annmr, 'analog');
  const dgNames = Array.from({ length: dgnmr }, (_, i) => names(16, `digital[${i}]`));
  const phasors = phNames.map((name, i): PhasorChannel => {
    const v = r.u32(`${p}.PHUNIT[${i}]`);
    const kind = v >>> 24;
    if (kind > 1) throw new ValidationError('C37_FIELD_INVALID', `${p}.PHUNIT[${i}]`, 'byte 0 = 0 (voltage) or 1 (current)', kind);
    return { name, kind: kind === 0 ? 'V' : 'A', unit: v & 0xffffff };
  });
  const analogs = anNames.map((name, i): AnalogChannel => {
    const v = r.u32(`${p}.ANUNIT[${i}]`);
    return { name, kind: v >>> 24, scale: (v << 8) >> 8 };
  });
  const digitals = dgNames.map((names, i): DigitalWord => ({ names, normal: r.u16(`${p}.DIGUNIT[${i}].normal`), valid: r.u16(`${p}.DIGUNIT[${i}].valid`) }));
  const fnomHz = readFnom(r, `${p}.FNOM`);
  const cfgcnt = r.u16(`${p}.CFGCNT`);
  return { stn, idcode, format, phasors, analogs, digitals, fnomHz, cfgcnt };
}

function writePmu(w: ByteWriter, pmu: PmuConfig, p: string): void {
  w.name16(`${p}.STN`, pmu.stn);
  w.u16(`${p}.IDCODE`, pmu.idcode);
  writeFormat(w, `${p}.FORMAT`, pmu.format);
  w.u16(`${p}.PHNMR`, pmu.phasors.length);
  w.u16(`${p}.ANNMR`, pmu.analogs.length);
  w.u16(`${p}.DGNMR`, pmu.digitals.length);
  pmu.phasors.forEach((c, i) => w.name16(`${p}.CHNAM.phasor[${i}]`, c.name));
  pmu.analogs.forEach((c, i) => w.name16(`${p}.CHNAM.analog[${i}]`, c.name));
  pmu.digitals.forEach((d, i) => {
    if (!Array.isArray(d.names) || d.names.length !== 16) throw new ValidationError('C37_FIELD_INVALID', `${p}.digitals[${i}].names`, '16 names (bit 0 first)', d.names);
    d.names.forEach((n, b) => w.name16(`${p}.CHNAM.digital[${i}][${b}]`, n));
  });
  pmu.phasors.forEach((c, i) => {
    if (c.kind !== 'V' && c.kind !== 'A') throw new ValidationError('C37_FIELD_INVALID', `${p}.phasors[${i}].kind`, "'V' or 'A'", c.kind);
    if (!Number.isInteger(c.unit) || c.unit < 0 || c.unit > 0xffffff) throw new ValidationError('C37_FIELD_INVALID', `${p}.PHUNIT[${i}]`, 'an integer 0..2^24-1', c.unit);
    w.u32(`${p}.PHUNIT[${i}]`, (c.kind === 'A' ? 0x1000000 : 0) + c.unit);
  });
  pmu.analogs.forEach((c, i) => {
    if (!Number.isInteger(c.kind) || c.kind < 0 || c.kind > 255) throw new ValidationError('C37_FIELD_INVALID', `${p}.analogs[${i}].kind`, 'an integer 0..255', c.kind);
    if (!Number.isInteger(c.scale) || c.scale < -0x800000 || c.scale > 0x7fffff) throw new ValidationError('C37_FIELD_INVALID', `${p}.ANUNIT[${i}]`, 'a signed 24-bit integer', c.scale);
    w.u32(`${p}.ANUNIT[${i}]`, c.kind * 0x1000000 + (c.scale & 0xffffff));
  });
  pmu.digitals.forEach((d, i) => { w.u16(`${p}.DIGUNIT[${i}].normal`, d.normal); w.u16(`${p}.DIGUNIT[${i}].valid`, d.valid); });
  writeFnom(w, `${p}.FNOM`, pmu.fnomHz);
  w.u16(`${p}.CFGCNT`, pmu.cfgcnt);
}

/** Decode a complete CFG-1 or CFG-2 frame (refused with a C37_ code when malformed). */
export function decodeConfigFrame(bytes: Uint8Array): ConfigFrame {
  const { type, head, body: r } = openFrame(bytes);
  if (type !== 'cfg1' && type !== 'cfg2') throw new ValidationError('C37_FRAME_TYPE_UNKNOWN', 'SYNC.frameType', 'CFG-1 or CFG-2', type);
  const timeBase = readTimeBase(r);
  const n = readCount(r, 'NUM_PMU', MAX_PMUS);
  if (n === 0) throw new ValidationError('C37_FIELD_INVALID', 'NUM_PMU', 'at least 1', n);
  const pmus = Array.from({ length: n }, (_, i) => readPmu(r, `PMU[${i}]`));
  const dataRate = readDataRate(r);
  endBody(r, type);
  return { type, ...head, timeBase, pmus, dataRate };
}

/** Encode a CFG-1 or CFG-2 frame. */
export function encodeConfigFrame(f: ConfigFrame): Uint8Array {
  if (f.type !== 'cfg1' && f.type !== 'cfg2') throw new ValidationError('C37_FIELD_INVALID', 'type', "'cfg1' or 'cfg2'", f.type);
  const w = beginFrame(f.type, f);
  writeTimeBase(w, f.timeBase);
  if (!Array.isArray(f.pmus) || f.pmus.length < 1 || f.pmus.length > MAX_PMUS) throw new ValidationError('C37_FIELD_INVALID', 'pmus', `1..${MAX_PMUS} PMUs`, f.pmus);
  w.u16('NUM_PMU', f.pmus.length);
  f.pmus.forEach((pmu, i) => writePmu(w, pmu, `PMU[${i}]`));
  writeDataRate(w, f.dataRate);
  return closeFrame(w);
}
