// The pure Modbus codec three ways (bytes → object, object → exact bytes, round trip) plus hostile input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc16Modbus } from '../src/modbus/crc16.js';
import { decodeRtuRequest, decodeTcpFrames, encodeRtuFrame, encodeTcpFrame, rtuCrcValid } from '../src/modbus/adu.js';
import { decodeRequestPdu, encodeExceptionPdu, encodeRequestPdu, encodeResponsePdu, ModbusException, type ModbusRequest } from '../src/modbus/pdu.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('CRC-16/MODBUS check value and a known frame', () => {
  assert.is(crc16Modbus(new TextEncoder().encode('123456789')), 0x4b37); // catalogue check value
  // Read 2 input registers at 0 from slave 1: 01 04 00 00 00 02 71 CB (widely published example).
  assert.is(hex(encodeRtuFrame(1, encodeRequestPdu({ fc: 4, address: 0, quantity: 2 }))), '01040000000271cb');
});

test('request PDUs: bytes → object → bytes', () => {
  const cases: [string, ModbusRequest][] = [
    ['0300010002', { fc: 3, address: 1, quantity: 2 }],
    ['04004a0002', { fc: 4, address: 0x4a, quantity: 2 }],
    ['060000ff9c', { fc: 6, address: 0, value: 0xff9c }],
    ['1000010002040001e240', { fc: 16, address: 1, values: [1, 0xe240] }],
  ];
  for (const [h, obj] of cases) {
    assert.equal(decodeRequestPdu(Buffer.from(h, 'hex')), obj);
    assert.is(hex(encodeRequestPdu(obj)), h);
  }
});

test('response and exception PDUs encode to exact bytes', () => {
  assert.is(hex(encodeResponsePdu({ fc: 4, registers: [0x4366, 0x0000] })), '040443660000');
  assert.is(hex(encodeResponsePdu({ fc: 16, address: 1, quantity: 2 })), '1000010002');
  assert.is(hex(encodeExceptionPdu(3, 2)), '8302');
});

test('TCP MBAP: split stream, partial frame kept, round trip', () => {
  const a = encodeTcpFrame({ transactionId: 7, unitId: 2, pdu: Uint8Array.of(3, 0, 0, 0, 1) });
  const b = encodeTcpFrame({ transactionId: 8, unitId: 3, pdu: Uint8Array.of(4, 0, 0, 0, 2) });
  assert.is(hex(a), '000700000006020300000001');
  const stream = Buffer.concat([a, b.subarray(0, 5)]);
  const r = decodeTcpFrames(stream);
  assert.is(r.frames.length, 1);
  assert.equal({ ...r.frames[0]!, pdu: hex(r.frames[0]!.pdu) }, { transactionId: 7, unitId: 2, pdu: '0300000001' });
  assert.is(r.rest.length, 5);
  assert.ok(decodeTcpFrames(Uint8Array.of(0, 1, 0, 9, 0, 6, 1, 3, 0, 0, 0, 1)).error, 'protocol id ≠ 0 refused');
});

test('RTU: frame, incomplete, bad CRC, corrupted CRC flag', () => {
  const f = encodeRtuFrame(5, encodeRequestPdu({ fc: 16, address: 0, values: [1, 2, 3] }));
  const r = decodeRtuRequest(Buffer.concat([f, Buffer.from([9])]));
  assert.is(r.kind, 'frame');
  if (r.kind === 'frame') { assert.is(r.unitId, 5); assert.is(r.rest.length, 1); }
  assert.is(decodeRtuRequest(f.subarray(0, 7)).kind, 'incomplete');
  const bad = Uint8Array.from(f); bad[3] ^= 1;
  assert.is(decodeRtuRequest(bad).kind, 'bad-crc');
  assert.not.ok(rtuCrcValid(encodeRtuFrame(1, Uint8Array.of(0x84, 2), true)));
  assert.ok(rtuCrcValid(encodeRtuFrame(1, Uint8Array.of(0x84, 2))));
  assert.is(decodeRtuRequest(Uint8Array.of(1, 0x2b, 0, 0)).kind, 'unknown-length');
});

test('hostile request PDUs give the right exception code', () => {
  const hostile: [string, number][] = [
    ['2b0e01', 1], // unsupported FC (read device id)
    ['0300000000', 3], // zero quantity
    ['030000007e', 3], // 126 registers
    ['03000000', 3], // truncated
    ['100000000204000100', 3], // byte count mismatch
    ['10000000', 3], // truncated FC16
    ['1000000080ff' + '00'.repeat(255), 3], // 128 registers
  ];
  for (const [h, code] of hostile) {
    try {
      decodeRequestPdu(Buffer.from(h, 'hex'));
      assert.unreachable(h);
    } catch (e) {
      assert.instance(e, ModbusException, h);
      assert.is((e as ModbusException).exceptionCode, code, h);
    }
  }
});

test.run();
