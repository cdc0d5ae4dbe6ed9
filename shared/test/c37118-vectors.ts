// Hand-built C37.118 frames for the codec tests, assembled field by field from the layouts of
// reference/pmu-c37118.md §1–3 (C37.118.2-2011 Tables 2, 5, 8, 10, 13) — not by the codec under
// test. The CRC is a bit-by-bit CRC-CCITT written from the definition (poly 0x1021, init 0xFFFF),
// a second implementation beside the table-driven one in src.

/** Bitwise CRC-CCITT-FALSE, straight from the definition. */
export function crcBitwise(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const top = ((crc >> 15) & 1) ^ ((byte >> bit) & 1);
      crc = (crc << 1) & 0xffff;
      if (top) crc ^= 0x1021;
    }
  }
  return crc;
}

/** Field-by-field frame builder: hex of each field, FRAMESIZE and CHK filled in by `frame()`. */
export class Fields {
  private parts: number[] = [];
  u8(v: number): this { this.parts.push(v & 0xff); return this; }
  u16(v: number): this { return this.u8(v >> 8).u8(v); }
  u32(v: number): this { return this.u16(Math.floor(v / 65536)).u16(v % 65536); }
  i16(v: number): this { return this.u16(v & 0xffff); }
  i32(v: number): this { return this.u32(v >>> 0); }
  f32(v: number): this { const d = new DataView(new ArrayBuffer(4)); d.setFloat32(0, v); for (let i = 0; i < 4; i++) this.u8(d.getUint8(i)); return this; }
  /** 16-byte space-padded ASCII (CFG-1/2 names). */
  s16(s: string): this { for (let i = 0; i < 16; i++) this.u8(i < s.length ? s.charCodeAt(i) : 0x20); return this; }
  /** length byte + ASCII (CFG-3 names). */
  s8(s: string): this { this.u8(s.length); for (const c of s) this.u8(c.charCodeAt(0)); return this; }
  bytes(bs: number[]): this { this.parts.push(...bs); return this; }
  /** SYNC (0xAA, type<<4 | version), FRAMESIZE, IDCODE, SOC, FRACSEC, this body, CHK. */
  frame(type: number, version: number, idcode: number, soc: number, fracsec: number, timeQuality = 0): Uint8Array {
    const size = 14 + this.parts.length + 2;
    const head = new Fields().u8(0xaa).u8((type << 4) | version).u16(size).u16(idcode).u32(soc).u8(timeQuality).u8(fracsec >> 16).u16(fracsec & 0xffff);
    const body = Uint8Array.from([...head.parts, ...this.parts]);
    const crc = crcBitwise(body);
    return Uint8Array.from([...body, crc >> 8, crc & 0xff]);
  }
}

export const SOC = 1_700_000_000; // 2023-11-14T22:13:20Z
const NAMES16 = (prefix: string) => Array.from({ length: 16 }, (_, i) => `${prefix}${i}`);

// ---- Vector A: 2011 CFG-2, one PMU, float polar phasors, float FREQ, 1 float analog, 1 digital word, 50 Hz, 50 fps
export const cfgA = {
  type: 'cfg2', version: 2, idcode: 7, soc: SOC, fracsec: 0, timeQuality: 0, timeBase: 1_000_000, dataRate: 50,
  pmus: [{
    stn: 'SUB_A_PMU1', idcode: 7,
    format: { polar: true, phasorFloat: true, analogFloat: true, freqFloat: true },
    phasors: [
      { name: 'VA', kind: 'V', unit: 0 }, { name: 'VB', kind: 'V', unit: 0 }, { name: 'VC', kind: 'V', unit: 0 },
      { name: 'IA', kind: 'A', unit: 0 }, { name: 'IB', kind: 'A', unit: 0 }, { name: 'IC', kind: 'A', unit: 0 },
    ],
    analogs: [{ name: 'P_TOTAL', kind: 1, scale: 1 }],
    digitals: [{ names: NAMES16('BRK'), normal: 0x0000, valid: 0x0003 }],
    fnomHz: 50, cfgcnt: 3,
  }],
} as const;
const fA = new Fields().u32(1_000_000).u16(1) // TIME_BASE, NUM_PMU
  .s16('SUB_A_PMU1').u16(7).u16(0b1111).u16(6).u16(1).u16(1) // STN IDCODE FORMAT PHNMR ANNMR DGNMR
  .s16('VA').s16('VB').s16('VC').s16('IA').s16('IB').s16('IC').s16('P_TOTAL');
for (const n of NAMES16('BRK')) fA.s16(n);
fA.u32(0x00000000).u32(0x00000000).u32(0x00000000).u32(0x01000000).u32(0x01000000).u32(0x01000000) // PHUNIT
  .u32(0x01000001) // ANUNIT: RMS, scale 1
  .u16(0x0000).u16(0x0003) // DIGUNIT
  .u16(1).u16(3) // FNOM 50 Hz, CFGCNT
  .i16(50); // DATA_RATE
export const cfgABytes = fA.frame(3, 2, 7, SOC, 0);

export const dataA = {
  type: 'data', version: 2, idcode: 7, soc: SOC, fracsec: 20_000, timeQuality: 0,
  pmus: [{
    stat: 0x0000,
    phasors: [[230.5, 0.5], [230.25, -1.5], [229.75, 2.5], [10.5, 0.25], [10.25, -1.75], [10, 2.25]],
    freq: 50.0, dfreq: 0.125, analogs: [7250.5], digitals: [0x0001],
  }],
} as const;
export const dataABytes = new Fields().u16(0x0000)
  .f32(230.5).f32(0.5).f32(230.25).f32(-1.5).f32(229.75).f32(2.5).f32(10.5).f32(0.25).f32(10.25).f32(-1.75).f32(10).f32(2.25)
  .f32(50.0).f32(0.125).f32(7250.5).u16(0x0001)
  .frame(0, 2, 7, SOC, 20_000);

// ---- Vector B: 2005 CFG-2 with two PMUs: int rectangular + int FREQ (60 Hz), and int polar + float FREQ (50 Hz)
export const cfgB = {
  type: 'cfg2', version: 1, idcode: 100, soc: SOC, fracsec: 0, timeQuality: 0, timeBase: 1000, dataRate: 10,
  pmus: [
    {
      stn: 'PMU_RECT', idcode: 101, format: { polar: false, phasorFloat: false, analogFloat: false, freqFloat: false },
      phasors: [{ name: 'V1', kind: 'V', unit: 915527 }], analogs: [{ name: 'AN1', kind: 0, scale: -2 }], digitals: [],
      fnomHz: 60, cfgcnt: 0,
    },
    {
      stn: 'PMU_POLAR', idcode: 102, format: { polar: true, phasorFloat: false, analogFloat: false, freqFloat: true },
      phasors: [{ name: 'V1', kind: 'V', unit: 1000 }, { name: 'I1', kind: 'A', unit: 50 }], analogs: [], digitals: [],
      fnomHz: 50, cfgcnt: 65535,
    },
  ],
} as const;
export const cfgBBytes = new Fields().u32(1000).u16(2)
  .s16('PMU_RECT').u16(101).u16(0b0000).u16(1).u16(1).u16(0).s16('V1').s16('AN1').u32(915527).u32(0x00fffffe).u16(0).u16(0)
  .s16('PMU_POLAR').u16(102).u16(0b1001).u16(2).u16(0).u16(0).s16('V1').s16('I1').u32(1000).u32(0x01000032).u16(1).u16(65535)
  .i16(10)
  .frame(3, 1, 100, SOC, 0);

export const dataB = {
  type: 'data', version: 1, idcode: 100, soc: SOC + 1, fracsec: 900, timeQuality: 0x0a,
  pmus: [
    { stat: 0x2400, phasors: [[14635, -8450]], freq: -25, dfreq: 12, analogs: [-300], digitals: [] },
    { stat: 0x0000, phasors: [[23000, 31416], [65535, -31416]], freq: 49.96875, dfreq: -0.5, analogs: [], digitals: [] },
  ],
} as const;
export const dataBBytes = new Fields()
  .u16(0x2400).i16(14635).i16(-8450).i16(-25).i16(12).i16(-300)
  .u16(0x0000).u16(23000).i16(31416).u16(65535).i16(-31416).f32(49.96875).f32(-0.5)
  .frame(0, 1, 100, SOC + 1, 900, 0x0a);

// ---- Vector C: 2005 CFG-1 (same layout as CFG-2, type 2)
export const cfgC = { ...cfgB, type: 'cfg1' } as const;
export const cfgCBytes = (() => { const b = cfgBBytes.slice(); b[1] = (2 << 4) | 1; const c = crcBitwise(b.subarray(0, b.length - 2)); b[b.length - 2] = c >> 8; b[b.length - 1] = c & 0xff; return b; })();

// ---- Vector D: 2011 CFG-3, one PMU, int polar, int FREQ, location unspecified (+∞)
export const cfgD = {
  type: 'cfg3', version: 2, idcode: 9, soc: SOC, fracsec: 0, timeQuality: 0, contIdx: 0, timeBase: 1_000_000, dataRate: -5,
  pmus: [{
    stn: 'Feeder 7 PMU', idcode: 9, gPmuId: '00112233445566778899aabbccddeeff',
    format: { polar: true, phasorFloat: false, analogFloat: false, freqFloat: false },
    phasors: [{ name: 'V+', modFlags: 0, kind: 'V', component: 1, user: 0, scale: Math.fround(0.01), angleOffset: 0 }],
    analogs: [], digitals: [],
    latDeg: Infinity, lonDeg: Infinity, elevM: Infinity, svcClass: 'M', windowUs: 40_000, groupDelayUs: -20_000,
    fnomHz: 50, cfgcnt: 1,
  }],
} as const;
export const cfgDBytes = new Fields().u16(0).u32(1_000_000).u16(1)
  .s8('Feeder 7 PMU').u16(9).bytes([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
  .u16(0b0001).u16(1).u16(0).u16(0).s8('V+')
  .u16(0).u8(0b0001).u8(0).f32(0.01).f32(0)
  .f32(Infinity).f32(Infinity).f32(Infinity).u8('M'.charCodeAt(0)).i32(40_000).i32(-20_000).u16(1).u16(1)
  .i16(-5)
  .frame(5, 2, 9, SOC, 0);

export const dataD = {
  type: 'data', version: 2, idcode: 9, soc: SOC, fracsec: 0, timeQuality: 0,
  pmus: [{ stat: 0, phasors: [[23010, 10472]], freq: 12, dfreq: -3, analogs: [], digitals: [] }],
} as const;
export const dataDBytes = new Fields().u16(0).u16(23010).i16(10472).i16(12).i16(-3).frame(0, 2, 9, SOC, 0);

// ---- Vector E: commands and a header frame
export const cmdCfg2Bytes = new Fields().u16(5).frame(4, 2, 7, SOC, 0);
export const cmdDataOnBytes = new Fields().u16(2).frame(4, 1, 7, SOC, 500_000);
export const cmdExtBytes = new Fields().u16(8).bytes([0xde, 0xad]).frame(4, 2, 7, SOC, 0);
export const headerBytes = new Fields().bytes([...'Lab PMU, 3V+3I, 50 Hz'].map((c) => c.charCodeAt(0))).frame(1, 2, 7, SOC, 0);
