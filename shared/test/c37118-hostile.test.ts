// Hostile C37.118 input: every malformed frame is refused with its C37_ code, never a crash —
// a table of named cases (truncated, bad SYNC, bad CRC, FRAMESIZE lies, NaN/∞, unknown type,
// configuration mismatch, lying counts) against every decoder, then a seeded mutation loop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeConfigFrame, type ConfigFrame } from '../src/c37118/config-frame.js';
import { decodeConfig3Frame, type Config3Frame } from '../src/c37118/config3-frame.js';
import { decodeDataFrame, encodeDataFrame, type DataFrame } from '../src/c37118/data-frame.js';
import { decodeCommandFrame, decodeHeaderFrame } from '../src/c37118/command-frame.js';
import { decodeFrame } from '../src/c37118/decode-frame.js';
import { encodeConfigFrame } from '../src/c37118/config-frame.js';
import { LightNodeError, type ErrorCode } from '../src/errors.js';
import { prng } from './prng.js';
import * as V from './c37118-vectors.js';
import { Fields, crcBitwise } from './c37118-vectors.js';

const cfgA = V.cfgA as unknown as ConfigFrame;
const cfgB = V.cfgB as unknown as ConfigFrame;
const cfgD = JSON.parse(JSON.stringify(V.cfgD, (_k, v) => (v === Infinity ? 1e999 : v))) as Config3Frame;

/** Re-seal a tampered frame with a correct CRC, so the test reaches the check behind the CRC. */
function reseal(b: Uint8Array): Uint8Array {
  const out = b.slice();
  const c = crcBitwise(out.subarray(0, out.length - 2));
  out[out.length - 2] = c >> 8;
  out[out.length - 1] = c & 0xff;
  return out;
}
function patch(b: Uint8Array, at: number, bytes: number[], seal = true): Uint8Array {
  const out = b.slice();
  out.set(bytes, at);
  return seal ? reseal(out) : out;
}
const f32 = (v: number) => { const d = new DataView(new ArrayBuffer(4)); d.setFloat32(0, v); return [...new Uint8Array(d.buffer)]; };
/** Data frame A with its body replaced (FRAMESIZE rewritten, resealed). */
const withSize = (b: Uint8Array, size: number) => patch(b, 2, [size >> 8, size & 0xff]);

// Offsets in data frame A: header 14, STAT 2, phasor 0 magnitude at 16, angle at 20, FREQ at 64.
const hostile: [name: string, bytes: Uint8Array, cfg: ConfigFrame | Config3Frame | undefined, code: ErrorCode][] = [
  ['empty', new Uint8Array(0), cfgA, 'C37_FRAME_TRUNCATED'],
  ['one byte', Uint8Array.of(0xaa), cfgA, 'C37_FRAME_TRUNCATED'],
  ['header only (15 bytes)', V.dataABytes.subarray(0, 15), cfgA, 'C37_FRAME_TRUNCATED'],
  ['truncated data frame', V.dataABytes.subarray(0, V.dataABytes.length - 1), cfgA, 'C37_FRAME_TRUNCATED'],
  ['truncated config frame', V.cfgABytes.subarray(0, 100), undefined, 'C37_FRAME_TRUNCATED'],
  ['bad SYNC byte', patch(V.dataABytes, 0, [0xab]), cfgA, 'C37_SYNC_INVALID'],
  ['SYNC reserved bit 7 set', patch(V.dataABytes, 1, [0x82]), cfgA, 'C37_SYNC_INVALID'],
  ['version 0', patch(V.dataABytes, 1, [0x00]), cfgA, 'C37_SYNC_INVALID'],
  ['version 3 (not 2005/2011)', patch(V.dataABytes, 1, [0x03]), cfgA, 'C37_SYNC_INVALID'],
  ['frame type 6', patch(V.dataABytes, 1, [0x62]), cfgA, 'C37_FRAME_TYPE_UNKNOWN'],
  ['frame type 7', patch(V.dataABytes, 1, [0x72]), cfgA, 'C37_FRAME_TYPE_UNKNOWN'],
  ['CFG-3 in a 2005 stream', patch(V.cfgDBytes, 1, [0x51]), undefined, 'C37_FRAME_TYPE_UNKNOWN'],
  ['bad CRC (flipped bit in the body)', patch(V.dataABytes, 30, [V.dataABytes[30]! ^ 1], false), cfgA, 'C37_CRC_MISMATCH'],
  ['bad CRC (CHK zeroed)', patch(V.dataABytes, V.dataABytes.length - 2, [0, 0], false), cfgA, 'C37_CRC_MISMATCH'],
  ['FRAMESIZE below 16', withSize(V.dataABytes, 15), cfgA, 'C37_FRAMESIZE_INVALID'],
  ['FRAMESIZE claims more than sent', withSize(V.dataABytes, V.dataABytes.length + 10), cfgA, 'C37_FRAME_TRUNCATED'],
  ['FRAMESIZE claims less than sent (bytes left over)', patch(V.dataABytes, 2, [0, 70], false), cfgA, 'C37_FRAMESIZE_INVALID'],
  ['two frames in one buffer', Uint8Array.from([...V.cmdCfg2Bytes, ...V.cmdCfg2Bytes]), undefined, 'C37_FRAMESIZE_INVALID'],
  ['config: PHNMR lies (more channels than bytes)', patch(V.cfgABytes, 40, [0x00, 0x07]), undefined, 'C37_FRAMESIZE_INVALID'],
  ['config: NUM_PMU lies', patch(V.cfgABytes, 18, [0x00, 0x02]), undefined, 'C37_FRAMESIZE_INVALID'],
  ['config: NUM_PMU 65535', patch(V.cfgABytes, 18, [0xff, 0xff]), undefined, 'C37_FRAMESIZE_INVALID'],
  ['config: NUM_PMU 0', new Fields().u32(1_000_000).u16(0).i16(50).frame(3, 2, 7, V.SOC, 0), undefined, 'C37_FIELD_INVALID'],
  ['config: FORMAT unused bits set', patch(V.cfgABytes, 38, [0x00, 0x1f]), undefined, 'C37_FIELD_INVALID'],
  ['config: TIME_BASE 0', patch(V.cfgABytes, 14, [0, 0, 0, 0]), undefined, 'C37_FIELD_INVALID'],
  ['config: TIME_BASE flag bits', patch(V.cfgABytes, 14, [0x80]), undefined, 'C37_FIELD_INVALID'],
  ['config: DATA_RATE 0', patch(V.cfgABytes, V.cfgABytes.length - 4, [0, 0]), undefined, 'C37_FIELD_INVALID'],
  ['config: FNOM reserved bits', patch(V.cfgABytes, V.cfgABytes.length - 8, [0x80, 0x01]), undefined, 'C37_FIELD_INVALID'],
  ['config: PHUNIT type 7', patch(V.cfgABytes, 20 + 16 + 10 + 16 * 23, [0x07]), undefined, 'C37_FIELD_INVALID'],
  ['config: control character in a name', patch(V.cfgABytes, 20, [0x07]), undefined, 'C37_FIELD_INVALID'],
  ['config: trailing garbage inside FRAMESIZE', new Fields().u32(1000).u16(1).s16('X').u16(7).u16(0).u16(0).u16(0).u16(0).u16(1).u16(0).i16(1).u16(0xbeef).frame(3, 2, 7, V.SOC, 0), undefined, 'C37_FRAMESIZE_INVALID'],
  ['IDCODE 0 (reserved)', patch(V.cmdCfg2Bytes, 4, [0, 0]), undefined, 'C37_FIELD_INVALID'],
  ['IDCODE 65535 (reserved)', patch(V.cmdCfg2Bytes, 4, [0xff, 0xff]), undefined, 'C37_FIELD_INVALID'],
  ['CFG-3 fragmented (CONT_IDX 1)', patch(V.cfgDBytes, 14, [0, 1]), undefined, 'C37_FIELD_INVALID'],
  ['CFG-3 name not UTF-8', patch(V.cfgDBytes, 23, [0xff]), undefined, 'C37_FIELD_INVALID'],
  ['CFG-3 NaN scale factor', patch(V.cfgDBytes, 14 + 2 + 4 + 2 + 13 + 2 + 16 + 2 + 6 + 3 + 4, f32(NaN)), undefined, 'C37_VALUE_NOT_FINITE'],
  ['data: NaN phasor magnitude', patch(V.dataABytes, 16, f32(NaN)), cfgA, 'C37_VALUE_NOT_FINITE'],
  ['data: +∞ phasor magnitude', patch(V.dataABytes, 16, f32(Infinity)), cfgA, 'C37_VALUE_NOT_FINITE'],
  ['data: −∞ FREQ', patch(V.dataABytes, 64, f32(-Infinity)), cfgA, 'C37_VALUE_NOT_FINITE'],
  ['data: NaN analog', patch(V.dataABytes, 72, f32(NaN)), cfgA, 'C37_VALUE_NOT_FINITE'],
  ['data: float angle beyond π', patch(V.dataABytes, 20, f32(3.2)), cfgA, 'C37_FIELD_INVALID'],
  ['data: negative float magnitude', patch(V.dataABytes, 16, f32(-1)), cfgA, 'C37_FIELD_INVALID'],
  ['data: int angle 0x8000 (missing-data marker)', patch(V.dataBBytes, 14 + 12 + 4, [0x80, 0x00]), cfgB, 'C37_FIELD_INVALID'],
  ['data: FRACSEC not below TIME_BASE', patch(V.dataABytes, 11, [0x0f, 0x42, 0x40]), cfgA, 'C37_FIELD_INVALID'],
  ['data without a configuration', V.dataABytes, undefined, 'C37_CONFIG_MISMATCH'],
  ['data under another stream\'s configuration (IDCODE)', V.dataABytes, cfgB, 'C37_CONFIG_MISMATCH'],
  ['data of another layout (CFGCNT changed, size differs)', V.dataABytes, { ...cfgA, pmus: [{ ...cfgA.pmus[0]!, analogs: [] }] }, 'C37_CONFIG_MISMATCH'],
  ['data of another layout, same IDCODE, CFG-3', patch(V.dataDBytes, 4, [0, 7]), cfgA, 'C37_CONFIG_MISMATCH'],
];

test('hostile table: each case refused by decodeFrame with its code', () => {
  for (const [name, bytes, cfg, code] of hostile) {
    try {
      decodeFrame(bytes, cfg);
      assert.unreachable(`${name}: accepted`);
    } catch (e) {
      if (!(e instanceof LightNodeError)) throw e; // an assertion, or a crash: both fail the test
      assert.is(e.code, code, `${name}: ${e.message}`);
    }
  }
});

const DECODERS: [string, (b: Uint8Array) => unknown][] = [
  ['decodeFrame', (b) => decodeFrame(b, cfgA)],
  ['decodeDataFrame A', (b) => decodeDataFrame(b, cfgA)],
  ['decodeDataFrame B', (b) => decodeDataFrame(b, cfgB)],
  ['decodeDataFrame D', (b) => decodeDataFrame(b, cfgD)],
  ['decodeConfigFrame', decodeConfigFrame],
  ['decodeConfig3Frame', decodeConfig3Frame],
  ['decodeCommandFrame', decodeCommandFrame],
  ['decodeHeaderFrame', decodeHeaderFrame],
];

function survives(name: string, fn: () => unknown): void {
  try { fn(); } catch (e) {
    if (!(e instanceof LightNodeError) || !/^C37_[A-Z_]+$/.test(e.code)) assert.unreachable(`${name} threw a non-coded error: ${String(e)}`);
  }
}

test('every hostile case against every decoder: a value or a C37_ error, never a crash', () => {
  for (const [name, bytes] of hostile) for (const [dn, d] of DECODERS) survives(`${dn}(${name})`, () => d(bytes));
  for (const [dn, d] of DECODERS) for (const x of [null, undefined, 'aa01', [0xaa, 0x01], {}]) survives(`${dn}(${String(x)})`, () => d(x as unknown as Uint8Array));
});

test('fuzz: seeded mutations of every vector, resealed or not, never crash a decoder', () => {
  const seeds = [V.cfgABytes, V.cfgBBytes, V.cfgCBytes, V.cfgDBytes, V.dataABytes, V.dataBBytes, V.dataDBytes, V.cmdCfg2Bytes, V.cmdExtBytes, V.headerBytes];
  const rnd = prng(37118);
  let accepted = 0;
  for (let n = 0; n < 3000; n++) {
    let b: Uint8Array = seeds[Math.floor(rnd() * seeds.length)]!.slice();
    const r = rnd();
    if (r < 0.2) b = b.subarray(0, Math.floor(rnd() * b.length));
    else if (r < 0.3) b = Uint8Array.from([...b, ...Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256))]);
    else for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    if (b.length >= 16 && rnd() < 0.7) {
      // Half the time keep FRAMESIZE honest and reseal, so mutations reach the body checks.
      if (rnd() < 0.5) { b[2] = b.length >> 8; b[3] = b.length & 0xff; }
      b = reseal(b);
    }
    for (const [dn, d] of DECODERS) {
      try { d(b); accepted++; } catch (e) {
        if (!(e instanceof LightNodeError) || !/^C37_[A-Z_]+$/.test(e.code)) assert.unreachable(`${dn} on mutation ${n} (${Buffer.from(b).toString('hex')}) threw ${String(e)}`);
      }
    }
  }
  assert.ok(accepted > 0, 'some mutations are still valid frames (the loop reaches the decoders’ success path)');
});

test('encoders refuse what cannot be sent, with C37_ codes', () => {
  const cases: [string, () => unknown, ErrorCode][] = [
    ['NaN phasor', () => encodeDataFrame({ ...(V.dataA as unknown as DataFrame), pmus: [{ ...(V.dataA.pmus[0] as never as DataFrame['pmus'][0]), freq: NaN }] }, cfgA), 'C37_VALUE_NOT_FINITE'],
    ['wrong phasor count', () => encodeDataFrame({ ...(V.dataA as unknown as DataFrame), pmus: [{ ...(V.dataA.pmus[0] as never as DataFrame['pmus'][0]), phasors: [] }] }, cfgA), 'C37_CONFIG_MISMATCH'],
    ['int16 overflow', () => encodeDataFrame({ ...(V.dataB as unknown as DataFrame), pmus: [{ ...(V.dataB.pmus[0] as never as DataFrame['pmus'][0]), freq: 40000 }, V.dataB.pmus[1] as never] }, cfgB), 'C37_FIELD_INVALID'],
    ['IDCODE 0', () => encodeConfigFrame({ ...cfgA, idcode: 0 }), 'C37_FIELD_INVALID'],
    ['name too long', () => encodeConfigFrame({ ...cfgA, pmus: [{ ...cfgA.pmus[0]!, stn: 'X'.repeat(17) }] }), 'C37_FIELD_INVALID'],
    ['frame over 65535 bytes', () => encodeConfigFrame({ ...cfgA, pmus: Array.from({ length: 300 }, () => cfgA.pmus[0]!) }), 'C37_FIELD_INVALID'],
  ];
  for (const [name, fn, code] of cases) {
    try { fn(); assert.unreachable(name); } catch (e) { assert.ok(e instanceof LightNodeError, name); assert.is((e as LightNodeError).code, code, name); }
  }
});

test.run();
