// IEEE C37.118.2 codec (shared/src/c37118): three ways — bytes → object with nothing left over,
// object → exact bytes, round trip — on hand-built vectors of both versions (2005, 2011), CFG-1,
// CFG-2, CFG-3, data with several PMUs, int and float formats, commands and header; the CRC
// against a second implementation; physical values and the FREQ trap; timestamps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crcCcitt } from '../src/c37118/crc-ccitt.js';
import { decodeConfigFrame, encodeConfigFrame, type ConfigFrame } from '../src/c37118/config-frame.js';
import { decodeConfig3Frame, encodeConfig3Frame, type Config3Frame } from '../src/c37118/config3-frame.js';
import { decodeDataFrame, encodeDataFrame, dataFrameBytes, type DataFrame } from '../src/c37118/data-frame.js';
import { decodeCommandFrame, encodeCommandFrame, decodeHeaderFrame, encodeHeaderFrame, commandName, COMMANDS } from '../src/c37118/command-frame.js';
import { decodeFrame } from '../src/c37118/decode-frame.js';
import { frameLengthAt } from '../src/c37118/frame.js';
import { decodeStat, encodeStat } from '../src/c37118/stat.js';
import { pmuValues, frameTimeMs } from '../src/c37118/pmu-values.js';
import { pmuMeasurements } from '../src/c37118/pmu-measurements.js';
import { validateReading } from '../src/reading.js';
import { prng } from './prng.js';
import * as V from './c37118-vectors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x, (_k, v) => (v === Infinity ? 'Infinity' : v)), (_k, v) => (v === 'Infinity' ? Infinity : v));
const cfgA = plain(V.cfgA) as unknown as ConfigFrame;
const cfgB = plain(V.cfgB) as unknown as ConfigFrame;
const cfgC = plain(V.cfgC) as unknown as ConfigFrame;
const cfgD = plain(V.cfgD) as unknown as Config3Frame;
const dataA = plain(V.dataA) as unknown as DataFrame;
const dataB = plain(V.dataB) as unknown as DataFrame;
const dataD = plain(V.dataD) as unknown as DataFrame;

test('CRC-CCITT: check value 0x29B1 for "123456789", and the table agrees with a bitwise implementation', () => {
  const ascii = new TextEncoder().encode('123456789');
  assert.is(crcCcitt(ascii), 0x29b1);
  assert.is(V.crcBitwise(ascii), 0x29b1);
  const rnd = prng(14);
  for (let n = 0; n < 200; n++) {
    const b = Uint8Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256));
    assert.is(crcCcitt(b), V.crcBitwise(b));
  }
});

const configCases: [string, Uint8Array, ConfigFrame][] = [
  ['2011 CFG-2, 1 PMU, float polar, analog and digital', V.cfgABytes, cfgA],
  ['2005 CFG-2, 2 PMUs, int rectangular + int polar/float FREQ', V.cfgBBytes, cfgB],
  ['2005 CFG-1', V.cfgCBytes, cfgC],
];
for (const [name, bytes, obj] of configCases) {
  test(`config three ways: ${name}`, () => {
    assert.equal(decodeConfigFrame(bytes), obj, 'bytes → object');
    assert.is(hex(encodeConfigFrame(obj)), hex(bytes), 'object → bytes');
    assert.equal(decodeConfigFrame(encodeConfigFrame(decodeConfigFrame(bytes))), obj, 'round trip');
    assert.equal(decodeFrame(bytes), obj, 'decodeFrame dispatches');
  });
}

test('CFG-3 three ways (2011: UTF-8 names, G_PMU_ID, PHSCALE, location +∞, negative DATA_RATE)', () => {
  assert.equal(decodeConfig3Frame(V.cfgDBytes), cfgD);
  assert.is(hex(encodeConfig3Frame(cfgD)), hex(V.cfgDBytes));
  assert.equal(decodeFrame(V.cfgDBytes), cfgD);
});

const dataCases: [string, Uint8Array, DataFrame, ConfigFrame | Config3Frame][] = [
  ['2011, float polar, analog + digital', V.dataABytes, dataA, cfgA],
  ['2005, two PMUs, int rectangular/int FREQ and int polar/float FREQ, time quality byte', V.dataBBytes, dataB, cfgB],
  ['2011 under CFG-3, int polar', V.dataDBytes, dataD, cfgD],
];
for (const [name, bytes, obj, cfg] of dataCases) {
  test(`data three ways: ${name}`, () => {
    assert.is(bytes.length, dataFrameBytes(cfg));
    assert.equal(decodeDataFrame(bytes, cfg), obj, 'bytes → object');
    assert.is(hex(encodeDataFrame(obj, cfg)), hex(bytes), 'object → bytes');
    assert.equal(decodeDataFrame(encodeDataFrame(obj, cfg), cfg), obj, 'round trip');
    assert.equal(decodeFrame(bytes, cfg), obj);
  });
}

test('command and header frames three ways', () => {
  const c = decodeCommandFrame(V.cmdCfg2Bytes);
  assert.equal(c, { type: 'cmd', version: 2, idcode: 7, soc: V.SOC, fracsec: 0, timeQuality: 0, cmd: 5, extended: '' });
  assert.is(commandName(c.cmd), 'sendCfg2');
  assert.is(hex(encodeCommandFrame({ version: 2, idcode: 7, soc: V.SOC, fracsec: 0, timeQuality: 0, cmd: COMMANDS.sendCfg2 })), hex(V.cmdCfg2Bytes));
  const on = decodeCommandFrame(V.cmdDataOnBytes);
  assert.is(on.cmd, COMMANDS.dataOn);
  assert.is(on.version, 1);
  assert.is(on.fracsec, 500_000);
  assert.is(hex(encodeCommandFrame(on)), hex(V.cmdDataOnBytes));
  const ext = decodeCommandFrame(V.cmdExtBytes);
  assert.is(ext.extended, 'dead');
  assert.is(hex(encodeCommandFrame(ext)), hex(V.cmdExtBytes));
  assert.is(commandName(0x7777), null);
  const h = decodeHeaderFrame(V.headerBytes);
  assert.is(h.text, 'Lab PMU, 3V+3I, 50 Hz');
  assert.is(hex(encodeHeaderFrame(h)), hex(V.headerBytes));
  assert.equal(decodeFrame(V.headerBytes), h);
});

test('STAT decodes every field and encodes back', () => {
  const s = decodeStat(0x2400);
  assert.equal({ ...s }, { dataError: 0, sync: false, sorting: 'timestamp', trigger: false, cfgChange: true, modified: false, timeQuality: 0, unlocked: 0, triggerReason: 0, raw: 0x2400 });
  const all = decodeStat(0xffff);
  assert.equal([all.dataError, all.sync, all.sorting, all.trigger, all.cfgChange, all.modified, all.timeQuality, all.unlocked, all.triggerReason], [3, false, 'arrival', true, true, true, 7, 3, 15]);
  for (const raw of [0, 0x2400, 0x8000, 0x4000, 0x01c0, 0x0030, 0x000f, 0xffff, 0x1234]) assert.is(encodeStat(decodeStat(raw)), raw);
});

test('physical values: float polar as sent; FREQ float is absolute Hz (the FREQ trap)', () => {
  const v = pmuValues(cfgA.pmus[0]!, dataA.pmus[0]!);
  assert.equal(v.phasors[0], { name: 'VA', kind: 'V', magnitude: 230.5, angleRad: 0.5 });
  assert.is(v.phasors[3]!.kind, 'A');
  assert.is(v.freqHz, 50, 'float FREQ is the frequency, not FNOM + FREQ');
  assert.is(v.rocofHzPerS, 0.125);
});

test('physical values: int FREQ is mHz from nominal, int DFREQ Hz/s × 100, PHUNIT 10⁻⁵ per bit, rectangular → polar', () => {
  const a = pmuValues(cfgB.pmus[0]!, dataB.pmus[0]!);
  assert.ok(Math.abs(a.freqHz - 59.975) < 1e-12, `60 Hz - 25 mHz, got ${a.freqHz}`);
  assert.ok(Math.abs(a.rocofHzPerS - 0.12) < 1e-12);
  const mag = Math.hypot(14635, -8450) * 915527e-5;
  assert.ok(Math.abs(a.phasors[0]!.magnitude - mag) < 1e-6);
  assert.ok(Math.abs(a.phasors[0]!.angleRad - Math.atan2(-8450, 14635)) < 1e-12);
  const b = pmuValues(cfgB.pmus[1]!, dataB.pmus[1]!);
  assert.ok(Math.abs(b.phasors[0]!.magnitude - 230) < 1e-9, 'polar int magnitude × PHUNIT 1000 × 10⁻⁵');
  assert.ok(Math.abs(b.phasors[1]!.magnitude - 65535 * 50e-5) < 1e-9, 'uint16 magnitude (not int16)');
  assert.ok(Math.abs(b.phasors[0]!.angleRad - 3.1416 + 2 * Math.PI * (3.1416 > Math.PI ? 1 : 0)) < 1e-9, 'angle in 10⁻⁴ rad, wrapped to (−π, π]');
  assert.is(b.freqHz, 49.96875, 'float FREQ with FNOM 50: absolute');
  const d = pmuValues(cfgD.pmus[0]!, dataD.pmus[0]!);
  assert.ok(Math.abs(d.phasors[0]!.magnitude - 23010 * Math.fround(0.01)) < 1e-9, 'CFG-3 scale factor');
  assert.ok(Math.abs(d.freqHz - 50.012) < 1e-12);
  assert.ok(Math.abs(d.rocofHzPerS + 0.03) < 1e-12);
});

test('frameTimeMs: SOC + FRACSEC/TIME_BASE in integer ms plus the ns below, exact for TIME_BASE 10⁶', () => {
  assert.equal(frameTimeMs(V.SOC, 20_000, 1_000_000), { ms: V.SOC * 1000 + 20, subMsNs: 0 });
  assert.equal(frameTimeMs(V.SOC, 33_333, 1_000_000), { ms: V.SOC * 1000 + 33, subMsNs: 333_000 });
  assert.equal(frameTimeMs(V.SOC, 999_999, 1_000_000), { ms: V.SOC * 1000 + 999, subMsNs: 999_000 });
  assert.equal(frameTimeMs(V.SOC, 1, 3), { ms: V.SOC * 1000 + 333, subMsNs: 333_333 }, 'a third of a second, ns rounded down');
  assert.equal(frameTimeMs(0xffffffff, 0xffffff - 1, 0xffffff), { ms: 0xffffffff * 1000 + 999, subMsNs: 999_940 });
});

test('frameLengthAt finds FRAMESIZE for stream reassembly and flags a lost SYNC', () => {
  assert.is(frameLengthAt(V.dataABytes), V.dataABytes.length);
  assert.is(frameLengthAt(V.dataABytes.subarray(0, 3)), null);
  assert.is(frameLengthAt(Uint8Array.of(0x00, 0x01, 0x00, 0x20)), -1);
  assert.is(frameLengthAt(Uint8Array.of(0xaa, 0x01, 0x00, 0x02)), -1);
});

test('pmuMeasurements: per-phase magnitudes and angles, mHz frequency, ROCOF, STAT, exact time; a valid reading', () => {
  const a = pmuMeasurements(cfgA.pmus[0]!, dataA.pmus[0]!, { ...dataA, timeBase: cfgA.timeBase });
  assert.is(a.timestampMs, V.SOC * 1000 + 20);
  const by = Object.fromEntries(a.values.map((m) => [m.quantity, m]));
  assert.equal(by['1-0:32.7.0'], { quantity: '1-0:32.7.0', value: 23050, scale: -2, unit: 'V' });
  assert.equal(by['1-0:72.7.0'], { quantity: '1-0:72.7.0', value: 22975, scale: -2, unit: 'V' });
  assert.equal(by['1-0:31.7.0'], { quantity: '1-0:31.7.0', value: 10500, scale: -3, unit: 'A' });
  assert.equal(by['1-0:128.11.1'], { quantity: '1-0:128.11.1', value: Math.round((0.5 * 180_000) / Math.PI), scale: -3, unit: 'deg' });
  assert.equal(by['1-0:128.12.2']!.value, Math.round((-1.75 * 180_000) / Math.PI));
  assert.equal(by['1-0:14.7.0'], { quantity: '1-0:14.7.0', value: 50_000, scale: -3, unit: 'Hz' });
  assert.equal(by['1-0:128.13.0'], { quantity: '1-0:128.13.0', value: 125, scale: -3, unit: 'Hz/s' });
  assert.equal(by['0-0:128.15.0'], { quantity: '0-0:128.15.0', value: 0, scale: 0, unit: '1' });
  assert.not.ok('0-0:128.14.0' in by, 'no sub-ms rest at 20 ms');
  validateReading({ pod: 'IT001E12345678', meter: 'pmu1', seq: 1, timestamp: a.timestampMs, source: `c37118:${'ab'.repeat(32)}`, values: a.values });
  // 2005 multi-PMU: 60 Hz int FREQ −25 mHz; TIME_BASE 1000, FRACSEC 900 → 900 ms
  const b = pmuMeasurements(cfgB.pmus[0]!, dataB.pmus[0]!, { ...dataB, timeBase: cfgB.timeBase });
  assert.is(b.timestampMs, (V.SOC + 1) * 1000 + 900);
  assert.is(b.values.find((m) => m.quantity === '1-0:14.7.0')!.value, 59_975);
  assert.is(b.values.find((m) => m.quantity === '0-0:128.15.0')!.value, 0x2400);
  // CFG-3 positive sequence: not a phase, not mapped
  const d = pmuMeasurements(cfgD.pmus[0]!, dataD.pmus[0]!, { ...dataD, timeBase: cfgD.timeBase });
  assert.not.ok(d.values.some((m) => m.unit === 'V'));
  const t = pmuMeasurements(cfgA.pmus[0]!, dataA.pmus[0]!, { soc: V.SOC, fracsec: 33_333, timeBase: 1_000_000 });
  assert.equal(t.values.at(-1), { quantity: '0-0:128.14.0', value: 333_000, scale: -9, unit: 's' });
});

test.run();
