/**
 * Configuration frame 3 (C37.118.2-2011 §6.4 Table 10, names Table 12): like CFG-2 but with
 * length-prefixed UTF-8 names, a 16-byte global PMU id, float phasor scaling with an angle
 * offset (PHSCALE), float analog scaling (ANSCALE), the PMU's location, service class, window
 * and group delay. Fragmented CFG-3 (CONT_IDX ≠ 0) is refused: reassembly is not implemented.
 */
import { ValidationError } from '../errors.js';
import type { ByteReader, ByteWriter } from './bytes.js';
import { beginFrame, closeFrame, endBody, openFrame, type FrameHead } from './frame.js';
import { MAX_PMUS, readCount, readDataRate, readFnom, readFormat, readTimeBase, writeDataRate, writeFnom, writeFormat, writeTimeBase, type DataFormat, type DigitalWord } from './config-frame.js';

/** One CFG-3 phasor channel: name and PHSCALE (three 4-byte words). */
export interface Phasor3Channel {
  name: string;
  /** PHSCALE word 1 bits 15–0: data modification flags (0 when none is applied). */
  modFlags: number;
  /** Phasor type byte bit 3: voltage or current. */
  kind: 'V' | 'A';
  /** Phasor type byte bits 2–0: 0 zero, 1 positive, 2 negative sequence, 4/5/6 phase A/B/C. */
  component: number;
  /** Byte left for user designation. */
  user: number;
  /** Magnitude scale factor Y (float32): primary V or A per unit of an int16 phasor; 1 for scaled floats. */
  scale: number;
  /** Angle adjustment θ in radians (float32), added to the measured angle. */
  angleOffset: number;
}

/** One CFG-3 analog channel: name and ANSCALE (value = M × raw + B). */
export interface Analog3Channel { name: string; scale: number; offset: number }

/** One PMU of a CFG-3 frame. */
export interface PmuConfig3 {
  stn: string;
  idcode: number;
  /** G_PMU_ID: 16 bytes assigned by the user, as 32 lower-case hex digits. */
  gPmuId: string;
  format: DataFormat;
  phasors: Phasor3Channel[];
  analogs: Analog3Channel[];
  digitals: DigitalWord[];
  /** Degrees (WGS 84); +Infinity when unspecified, as the standard prescribes. */
  latDeg: number;
  lonDeg: number;
  /** Metres above mean sea level; +Infinity when unspecified. */
  elevM: number;
  /** SVC_CLASS: 'M' or 'P' (C37.118.1). */
  svcClass: string;
  windowUs: number;
  groupDelayUs: number;
  fnomHz: 50 | 60;
  cfgcnt: number;
}

/** A decoded CFG-3 frame. */
export interface Config3Frame extends FrameHead {
  type: 'cfg3';
  /** CONT_IDX: 0 for an unfragmented configuration (the only kind accepted). */
  contIdx: 0;
  timeBase: number;
  pmus: PmuConfig3[];
  dataRate: number;
}

const HEX_RE = /^[0-9a-f]{32}$/;

function readPmu3(r: ByteReader, p: string): PmuConfig3 {
  const stn = r.name8(`${p}.STN`);
  const idcode = r.u16(`${p}.IDCODE`);
  const gPmuId = [...r.raw(16, `${p}.G_PMU_ID`)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const format = readFormat(r, `${p}.FORMAT`);
  const phnmr = readCount(r, `${p}.PHNMR`, 0xffff);
  const annmr = readCount(r, `${p}.ANNMR`, 0xffff);
  const dgnmr = readCount(r, `${p}.DGNMR`, 0xffff);
  const phNames = Array.from({ length: phnmr }, (_, i) => r.name8(`${p}.CHNAM.phasor[${i}]`));
  const anNames = Array.from({ length: annmr }, (_, i) => r.name8(`${p}.CHNAM.analog[${i}]`));
  const dgNames = Array.from({ length: dgnmr }, (_, i) => Array.from({ length: 16 }, (_, b) => r.name8(`${p}.CHNAM.digital[${i}][${b}]`)));
  const phasors = phNames.map((name, i): Phasor3Channel => {
    const f = `${p}.PHSCALE[${i}]`;
    const modFlags = r.u16(`${f}.flags`);
    const type = r.u8(`${f}.type`);
    if (type & 0xf0) throw new ValidationError('C37_FIELD_INVALID', `${f}.type`, 'bits 7–4 clear (reserved)', type);
    const user = r.u8(`${f}.user`);
    return { name, modFlags, kind: type & 8 ? 'A' : 'V', component: type & 7, user, scale: r.f32(`${f}.scale`), angleOffset: r.f32(`${f}.angleOffset`) };
  });
  const analogs = anNames.map((name, i): Analog3Channel => ({ name, scale: r.f32(`${p}.ANSCALE[${i}].scale`), offset: r.f32(`${p}.ANSCALE[${i}].offset`) }));
  const digitals = dgNames.map((names, i): DigitalWord => ({ names, normal: r.u16(`${p}.DIGUNIT[${i}].normal`), valid: r.u16(`${p}.DIGUNIT[${i}].valid`) }));
  // Location fields use +∞ for "unspecified" (Table 10), so infinities are values here; NaN is not.
  const latDeg = r.f32(`${p}.PMU_LAT`, true);
  const lonDeg = r.f32(`${p}.PMU_LON`, true);
  const elevM = r.f32(`${p}.PMU_ELEV`, true);
  const svc = r.u8(`${p}.SVC_CLASS`);
  if (svc < 0x21 || svc > 0x7e) throw new ValidationError('C37_FIELD_INVALID', `${p}.SVC_CLASS`, "one printable ASCII character ('M' or 'P')", svc);
  const windowUs = r.i32(`${p}.WINDOW`);
  const groupDelayUs = r.i32(`${p}.GRP_DLY`);
  const fnomHz = readFnom(r, `${p}.FNOM`);
  const cfgcnt = r.u16(`${p}.CFGCNT`);
  return { stn, idcode, gPmuId, format, phasors, analogs, digitals, latDeg, lonDeg, elevM, svcClass: String.fromCharCode(svc), windowUs, groupDelayUs, fnomHz, cfgcnt };
}

function writePmu3(w: ByteWriter, pmu: PmuConfig3, p: string): void {
  w.name8(`${p}.STN`, pmu.stn);
  w.u16(`${p}.IDCODE`, pmu.idcode);
  if (typeof pmu.gPmuId !== 'string' || !HEX_RE.test(pmu.gPmuId)) throw new ValidationError('C37_FIELD_INVALID', `${p}.gPmuId`, '32 lower-case hex digits', pmu.gPmuId);
  w.raw(`${p}.G_PMU_ID`, Uint8Array.from(pmu.gPmuId.match(/../g)!.map((h) => parseInt(h, 16))), 16);
  writeFormat(w, `${p}.FORMAT`, pmu.format);
  w.u16(`${p}.PHNMR`, pmu.phasors.length);
  w.u16(`${p}.ANNMR`, pmu.analogs.length);
  w.u16(`${p}.DGNMR`, pmu.digitals.length);
  pmu.phasors.forEach((c, i) => w.name8(`${p}.CHNAM.phasor[${i}]`, c.name));
  pmu.analogs.forEach((c, i) => w.name8(`${p}.CHNAM.analog[${i}]`, c.name));
  pmu.digitals.forEach((d, i) => {
    if (!Array.isArray(d.names) || d.names.length !== 16) throw new ValidationError('C37_FIELD_INVALID', `${p}.digitals[${i}].names`, '16 names (bit 0 first)', d.names);
    d.names.forEach((n, b) => w.name8(`${p}.CHNAM.digital[${i}][${b}]`, n));
  });
  pmu.phasors.forEach((c, i) => {
    const f = `${p}.PHSCALE[${i}]`;
    if (c.kind !== 'V' && c.kind !== 'A') throw new ValidationError('C37_FIELD_INVALID', `${f}.kind`, "'V' or 'A'", c.kind);
    if (!Number.isInteger(c.component) || c.component < 0 || c.component > 7) throw new ValidationError('C37_FIELD_INVALID', `${f}.component`, 'an integer 0..7', c.component);
    w.u16(`${f}.flags`, c.modFlags);
    w.u8(`${f}.type`, (c.kind === 'A' ? 8 : 0) | c.component);
    w.u8(`${f}.user`, c.user);
    w.f32(`${f}.scale`, c.scale);
    w.f32(`${f}.angleOffset`, c.angleOffset);
  });
  pmu.analogs.forEach((c, i) => { w.f32(`${p}.ANSCALE[${i}].scale`, c.scale); w.f32(`${p}.ANSCALE[${i}].offset`, c.offset); });
  pmu.digitals.forEach((d, i) => { w.u16(`${p}.DIGUNIT[${i}].normal`, d.normal); w.u16(`${p}.DIGUNIT[${i}].valid`, d.valid); });
  w.f32(`${p}.PMU_LAT`, pmu.latDeg, true);
  w.f32(`${p}.PMU_LON`, pmu.lonDeg, true);
  w.f32(`${p}.PMU_ELEV`, pmu.elevM, true);
  if (typeof pmu.svcClass !== 'string' || !/^[\x21-\x7e]$/.test(pmu.svcClass)) throw new ValidationError('C37_FIELD_INVALID', `${p}.SVC_CLASS`, "one printable ASCII character ('M' or 'P')", pmu.svcClass);
  w.u8(`${p}.SVC_CLASS`, pmu.svcClass.charCodeAt(0));
  w.i32(`${p}.WINDOW`, pmu.windowUs);
  w.i32(`${p}.GRP_DLY`, pmu.groupDelayUs);
  writeFnom(w, `${p}.FNOM`, pmu.fnomHz);
  w.u16(`${p}.CFGCNT`, pmu.cfgcnt);
}

/** Decode a complete, unfragmented CFG-3 frame. */
export function decodeConfig3Frame(bytes: Uint8Array): Config3Frame {
  const { type, head, body: r } = openFrame(bytes);
  if (type !== 'cfg3') throw new ValidationError('C37_FRAME_TYPE_UNKNOWN', 'SYNC.frameType', 'CFG-3', type);
  const contIdx = r.u16('CONT_IDX');
  if (contIdx !== 0) throw new ValidationError('C37_FIELD_INVALID', 'CONT_IDX', '0 (fragmented CFG-3 is not supported)', contIdx);
  const timeBase = readTimeBase(r);
  const n = readCount(r, 'NUM_PMU', MAX_PMUS);
  if (n === 0) throw new ValidationError('C37_FIELD_INVALID', 'NUM_PMU', 'at least 1', n);
  const pmus = Array.from({ length: n }, (_, i) => readPmu3(r, `PMU[${i}]`));
  const dataRate = readDataRate(r);
  endBody(r, 'cfg3');
  return { type, ...head, contIdx: 0, timeBase, pmus, dataRate };
}

/** Encode an unfragmented CFG-3 frame. */
export function encodeConfig3Frame(f: Config3Frame): Uint8Array {
  const w = beginFrame('cfg3', f);
  w.u16('CONT_IDX', 0);
  writeTimeBase(w, f.timeBase);
  if (!Array.isArray(f.pmus) || f.pmus.length < 1 || f.pmus.length > MAX_PMUS) throw new ValidationError('C37_FIELD_INVALID', 'pmus', `1..${MAX_PMUS} PMUs`, f.pmus);
  w.u16('NUM_PMU', f.pmus.length);
  f.pmus.forEach((pmu, i) => writePmu3(w, pmu, `PMU[${i}]`));
  writeDataRate(w, f.dataRate);
  return closeFrame(w);
}
