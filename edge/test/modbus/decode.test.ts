// Register decoding three ways (registers → value, value → exact registers, round trip) for every
// type and word order, cross-checked against Node's Buffer readers, plus hostile inputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRegisters, encodeRegisters, registersToBytesBE, REGISTER_TYPES, WORD_ORDERS, type RegisterType, type WordOrder } from '../../src/modbus/decode.js';

// 230.5 V as IEEE-754 float32 is 0x43668000 (A=43 B=66 C=80 D=00).
const VECTORS: { type: RegisterType; order: WordOrder; regs: number[]; value: number }[] = [
  { type: 'float32', order: 'ABCD', regs: [0x4366, 0x8000], value: 230.5 },
  { type: 'float32', order: 'CDAB', regs: [0x8000, 0x4366], value: 230.5 },
  { type: 'float32', order: 'BADC', regs: [0x6643, 0x0080], value: 230.5 },
  { type: 'float32', order: 'DCBA', regs: [0x0080, 0x6643], value: 230.5 },
  { type: 'int32', order: 'ABCD', regs: [0xffff, 0xfffe], value: -2 },
  { type: 'int32', order: 'CDAB', regs: [0x5678, 0x1234], value: 0x12345678 },
  { type: 'uint32', order: 'ABCD', regs: [0x8000, 0x0001], value: 0x80000001 },
  { type: 'uint32', order: 'DCBA', regs: [0x7856, 0x3412], value: 0x12345678 },
  { type: 'acc32', order: 'ABCD', regs: [0x0001, 0x0000], value: 65536 },
  { type: 'int16', order: 'ABCD', regs: [0xff38], value: -200 },
  { type: 'int16', order: 'BADC', regs: [0x38ff], value: -200 },
  { type: 'uint16', order: 'ABCD', regs: [0x1234], value: 0x1234 },
  { type: 'uint16', order: 'DCBA', regs: [0x3412], value: 0x1234 },
  { type: 'sunssf', order: 'ABCD', regs: [0xfffe], value: -2 },
];

for (const v of VECTORS) {
  test(`registers → value: ${v.type} ${v.order}`, () => {
    assert.equal(decodeRegisters(v.regs, 0, v.type, v.order, false), { kind: 'value', value: v.value });
    // Nothing left over / offset honoured: decode from the middle of a longer array.
    assert.equal(decodeRegisters([0xdead, ...v.regs, 0xbeef], 1, v.type, v.order, false), { kind: 'value', value: v.value });
  });
  test(`value → exact registers: ${v.type} ${v.order}`, () => {
    assert.equal(encodeRegisters(v.value, v.type, v.order), v.regs);
  });
}

test('round trip for every type × order, checked against Buffer readers', () => {
  const samples: Record<RegisterType, number[]> = {
    float32: [0, 1.5, -1234.25, 3.4e38, 1e-30],
    int32: [0, -1, 2147483647, -2147483647],
    uint32: [0, 1, 4294967294],
    acc32: [1, 123456789],
    int16: [0, -1, 32767, -32767],
    uint16: [0, 65534],
    sunssf: [-10, 0, 10],
  };
  for (const type of REGISTER_TYPES) {
    for (const order of WORD_ORDERS) {
      for (const x of samples[type]) {
        const regs = encodeRegisters(x, type, order);
        const d = decodeRegisters(regs, 0, type, order, false);
        assert.equal(d, { kind: 'value', value: type === 'float32' ? Math.fround(x) : x }, `${type} ${order} ${x}`);
        const be = Buffer.from(registersToBytesBE(regs, 0, type, order));
        const ref = type === 'float32' ? be.readFloatBE(0) : type === 'int32' ? be.readInt32BE(0) : type === 'uint32' || type === 'acc32' ? be.readUInt32BE(0) : type === 'uint16' ? be.readUInt16BE(0) : be.readInt16BE(0);
        assert.is(ref, type === 'float32' ? Math.fround(x) : x);
      }
    }
  }
});

test('not-implemented sentinels are recognised only when asked (SunSpec)', () => {
  const cases: [RegisterType, number[]][] = [
    ['int16', [0x8000]],
    ['uint16', [0xffff]],
    ['int32', [0x8000, 0x0000]],
    ['uint32', [0xffff, 0xffff]],
    ['acc32', [0, 0]],
    ['float32', [0x7fc0, 0x0000]],
  ];
  for (const [type, regs] of cases) {
    assert.equal(decodeRegisters(regs, 0, type, 'ABCD', true), { kind: 'not-implemented' }, type);
    assert.is(decodeRegisters(regs, 0, type, 'ABCD', false).kind, 'value', type);
  }
  // A missing scale factor is always "not available".
  assert.equal(decodeRegisters([0x8000], 0, 'sunssf', 'ABCD', false), { kind: 'not-implemented' });
});

test('hostile: short arrays, non-uint16 registers, negative offsets are refused', () => {
  const bad: [ArrayLike<number>, number][] = [
    [[0x4366], 0],
    [[], 0],
    [[0x4366, 0x8000], 1],
    [[0x10000, 0], 0],
    [[-1, 0], 0],
    [[1.5, 0], 0],
    [[NaN, 0], 0],
    [[0x4366, 0x8000], -1],
  ];
  for (const [regs, off] of bad) assert.throws(() => decodeRegisters(regs, off, 'float32', 'ABCD', false), RangeError, JSON.stringify([regs, off]));
});

test.run();
