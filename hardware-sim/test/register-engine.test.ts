// The register engine and the data files: word orders, int16 + scale factors, acc32, strings,
// "not implemented" sentinels, the SunSpec chain layout, and refusal of broken templates.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToWords, encodePoint, readImage, renderRegisters } from '../src/devices/register-engine.js';
import { BUNDLED_TEMPLATES, loadTemplate, validateTemplate, type PointDef } from '../src/devices/template.js';
import { ModbusException } from '../src/modbus/pdu.js';

const f32 = (name: string): PointDef => ({ name, fc: 4, address: 0, type: 'float32', source: 'voltage.L1' });

test('float32 230.0 = 0x43660000 in each word order', () => {
  const b = Buffer.alloc(4); b.writeFloatBE(230);
  assert.equal(bytesToWords(b, 'ABCD'), [0x4366, 0x0000]);
  assert.equal(bytesToWords(b, 'CDAB'), [0x0000, 0x4366]);
  assert.equal(bytesToWords(b, 'BADC'), [0x6643, 0x0000]);
  assert.equal(bytesToWords(b, 'DCBA'), [0x0000, 0x6643]);
  assert.equal(encodePoint(f32('v'), 230, 0, 'ABCD'), [0x4366, 0]);
});

test('int16 with scale factor, acc32 floor, sentinels for NaN', () => {
  const i16: PointDef = { name: 'V', fc: 3, address: 0, type: 'int16', source: 'voltage.L1' };
  assert.equal(encodePoint(i16, 231.37, -1, 'ABCD'), [2314]);
  assert.equal(encodePoint(i16, -12, 0, 'ABCD'), [0xfff4]);
  assert.equal(encodePoint(i16, 1e9, 0, 'ABCD'), [32767], 'saturates, never wraps');
  assert.equal(encodePoint(i16, NaN, 0, 'ABCD'), [0x8000]);
  const acc: PointDef = { name: 'E', fc: 3, address: 0, type: 'acc32', source: 'energyImport.total' };
  assert.equal(encodePoint(acc, 70_000.9, 0, 'ABCD'), [1, 70_000 - 65_536]);
  assert.equal(encodePoint(acc, NaN, 0, 'ABCD'), [0, 0]);
  assert.equal(encodePoint({ ...acc, type: 'uint32' }, NaN, 0, 'ABCD'), [0xffff, 0xffff]);
  assert.ok(Number.isNaN(Buffer.from(new Uint16Array(encodePoint(f32('v'), NaN, 0, 'ABCD')).buffer).swap16().readFloatBE(0)));
});

test('every bundled data file validates and renders', () => {
  for (const name of BUNDLED_TEMPLATES) {
    const t = loadTemplate(name);
    const img = renderRegisters(t, {});
    assert.ok(img.ranges.length >= 1, name);
  }
});

test('SunSpec image: SunS, models 1/203/213 with their lengths, 0xFFFF end', () => {
  const img = renderRegisters(loadTemplate('sunspec-meter'), { 'power.total': 1234, 'power.L1': 500, 'energyImport.total': 99_999 });
  const r = (a: number, n = 1) => Array.from(readImage(img, 3, a, n));
  assert.equal(r(40000, 4), [0x5375, 0x6e53, 1, 66]);
  assert.equal(r(40070, 2), [203, 105]);
  assert.equal(r(40177, 2), [213, 124]);
  assert.equal(r(40303, 2), [0xffff, 0]);
  assert.equal(r(40070 + 18), [1234], 'W with W_SF 0');
  assert.equal(r(40070 + 46, 2), [1, 99_999 - 65_536], 'TotWhImp acc32');
  assert.equal(r(40070 + 16), [0x8000], 'missing source → not implemented');
});

test('reads outside the declared ranges are exception 2', () => {
  const img = renderRegisters(loadTemplate('sdm630'), {});
  for (const [a, n] of [[0x50, 1], [0x4f, 2], [0xe8, 4], [0x166, 1]]) {
    try { readImage(img, 4, a!, n!); assert.unreachable(`${a}+${n}`); } catch (e) { assert.is((e as ModbusException).exceptionCode, 2); }
  }
  try { readImage(img, 3, 0, 2); assert.unreachable('FC03 on an FC04 map'); } catch (e) { assert.is((e as ModbusException).exceptionCode, 2); }
});

test('broken templates are refused naming the field', () => {
  const good = { model: 'x', phases: 1, ranges: [{ fc: 4, start: 0, count: 4 }], points: [{ name: 'v', fc: 4, address: 0, type: 'float32', source: 'voltage.L1', unit: 'V' }] };
  validateTemplate(good);
  const broken: [unknown, RegExp][] = [
    [{ ...good, phases: 2 }, /phases/],
    [{ ...good, wordOrder: 'ACBD' }, /wordOrder/],
    [{ ...good, points: [{ ...good.points[0], address: 3 }] }, /points\[0\]\.address/],
    [{ ...good, points: [{ ...good.points[0], source: 'voltage.L1', unit: 'kWh' }] }, /points\[0\]\.source/],
    [{ ...good, points: [{ ...good.points[0], type: 'float64' }] }, /points\[0\]\.type/],
    [{ ...good, points: [{ ...good.points[0], scaleFactor: 'nope' }] }, /scaleFactor/],
    [{ ...good, points: [good.points[0], good.points[0]] }, /points\[1\]\.name/],
  ];
  for (const [t, field] of broken) {
    try { validateTemplate(t); assert.unreachable(JSON.stringify(t)); } catch (e) {
      assert.is((e as { code: string }).code, 'SIM_TEMPLATE_INVALID');
      assert.match((e as Error).message, field);
    }
  }
});

test.run();
