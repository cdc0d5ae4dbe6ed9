// Frame codec three ways (bytes → object, object → exact bytes, round trip) with spec examples,
// plus hostile frames (truncated, bad CRC, wrong protocol id, oversized).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameError, crc16, decodeReadPdu, decodeResponsePdu, decodeRtu, decodeTcp, encodeReadPdu, encodeResponsePdu, encodeRtu, encodeTcp } from '../../src/modbus/frame.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

// Modbus over Serial Line §6.2.2 / common example: 01 03 00 00 00 0A → CRC C5CD (sent CD C5).
test('CRC-16/MODBUS of known frames', () => {
  assert.is(crc16(hex('01 03 00 00 00 0A')), 0xcdc5);
  assert.is(crc16(hex('11 03 00 6B 00 03')), 0x8776);
  assert.is(crc16(new Uint8Array(0)), 0xffff);
});

test('RTU read request: object → exact bytes → object', () => {
  const bytes = encodeRtu(0x11, encodeReadPdu({ functionCode: 3, address: 0x6b, count: 3 }));
  assert.equal(Buffer.from(bytes).toString('hex'), '1103006b00037687');
  const { unitId, pdu } = decodeRtu(bytes);
  assert.equal(decodeReadPdu(pdu, unitId), { unitId: 0x11, functionCode: 3, address: 0x6b, count: 3 });
});

test('response PDU: registers and exceptions, with nothing left over', () => {
  const pdu = encodeResponsePdu({ kind: 'registers', unitId: 1, functionCode: 4, registers: [0x4366, 0x8000] });
  assert.equal(Buffer.from(pdu).toString('hex'), '040443668000');
  assert.equal(decodeResponsePdu(pdu, 1), { kind: 'registers', unitId: 1, functionCode: 4, registers: [0x4366, 0x8000] });
  const ex = encodeResponsePdu({ kind: 'exception', unitId: 1, functionCode: 4, exceptionCode: 2 });
  assert.equal(Buffer.from(ex).toString('hex'), '8402');
  assert.equal(decodeResponsePdu(ex, 1), { kind: 'exception', unitId: 1, functionCode: 4, exceptionCode: 2 });
});

test('TCP ADU: MBAP header exact bytes and round trip; partial input needs more bytes', () => {
  const adu = encodeTcp(0x1234, 7, encodeReadPdu({ functionCode: 4, address: 0, count: 80 }));
  assert.equal(Buffer.from(adu).toString('hex'), '123400000006070400000050');
  const d = decodeTcp(adu)!;
  assert.equal([d.transactionId, d.unitId, d.consumed], [0x1234, 7, 12]);
  assert.equal(decodeReadPdu(d.pdu, d.unitId), { unitId: 7, functionCode: 4, address: 0, count: 80 });
  assert.is(decodeTcp(adu.subarray(0, 11)), null);
  const two = Buffer.concat([adu, adu]);
  assert.is(decodeTcp(two)!.consumed, 12);
});

test('round trip: random register payloads survive RTU framing', () => {
  for (let n = 1; n <= 125; n += 31) {
    const regs = Array.from({ length: n }, (_, i) => (i * 2654435761) & 0xffff);
    const adu = encodeRtu(9, encodeResponsePdu({ kind: 'registers', unitId: 9, functionCode: 3, registers: regs }));
    const { unitId, pdu } = decodeRtu(adu);
    assert.equal(decodeResponsePdu(pdu, unitId), { kind: 'registers', unitId: 9, functionCode: 3, registers: regs });
  }
});

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof FrameError ? e.reason : `other: ${String(e)}`;
  }
  return 'accepted';
};

test('hostile frames are refused with a reason', () => {
  const good = encodeRtu(1, encodeReadPdu({ functionCode: 3, address: 0, count: 2 }));
  const badCrc = Uint8Array.from(good);
  badCrc[7]! ^= 1;
  assert.is(reason(() => decodeRtu(badCrc)), 'crc');
  assert.is(reason(() => decodeRtu(good.subarray(0, 3))), 'short');
  assert.is(reason(() => decodeReadPdu(hex('03 00 00'), 1)), 'short');
  assert.is(reason(() => decodeReadPdu(hex('03 00 00 00 01 00'), 1)), 'length');
  assert.is(reason(() => decodeReadPdu(hex('10 00 00 00 01'), 1)), 'function');
  assert.is(reason(() => decodeResponsePdu(hex('03 04 00 01'), 1)), 'length');
  assert.is(reason(() => decodeResponsePdu(hex('03 03 00 01 02'), 1)), 'length');
  assert.is(reason(() => decodeResponsePdu(hex('83'), 1)), 'short');
  assert.is(reason(() => decodeResponsePdu(hex('83 02 00'), 1)), 'length');
  assert.is(reason(() => decodeResponsePdu(hex('05 02 00 01'), 1)), 'function');
  assert.is(reason(() => decodeTcp(hex('0001 0001 0006 01 0300000001'))), 'protocol');
  assert.is(reason(() => decodeTcp(hex('0001 0000 0001 01'))), 'length');
  assert.is(reason(() => decodeTcp(hex('0001 0000 ffff 01'))), 'length');
  assert.is(reason(() => encodeReadPdu({ functionCode: 3, address: 0, count: 126 })), 'range');
  assert.is(reason(() => encodeReadPdu({ functionCode: 3, address: 65535, count: 2 })), 'range');
  assert.is(reason(() => encodeResponsePdu({ kind: 'registers', unitId: 1, functionCode: 3, registers: new Array(126).fill(0) })), 'range');
});

test.run();
