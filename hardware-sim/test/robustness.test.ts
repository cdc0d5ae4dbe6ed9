// Hostile bytes on the wire never crash the servers: they are refused (exception, silence or a
// closed connection), counted, and the next good request is served.
import { connect, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeRtuFrame, encodeTcpFrame, rtuCrcValid } from '../src/modbus/adu.js';
import { encodeRequestPdu } from '../src/modbus/pdu.js';
import { loadTemplate } from '../src/devices/template.js';
import { SimMeter } from '../src/devices/sim-meter.js';
import { ModbusRtuServer } from '../src/modbus/rtu-server.js';
import { ModbusTcpServer } from '../src/modbus/tcp-server.js';
import { FakeClock, SimClock } from '../src/physics/clock.js';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';

const clock = new SimClock({ startMs: 0, real: new FakeClock(0) });
const devices = new Map([[1, new SimMeter({ id: 'm', template: loadTemplate('sdm120'), clock, profile: { kind: 'constant', powerW: 100 } })]]);
let tcp: ModbusTcpServer, rtu: ModbusRtuServer, pty: PtyPair, port: number, line: SerialPort;
const lineBytes: Buffer[] = [];

test.before(async () => {
  tcp = new ModbusTcpServer({ devices });
  port = (await tcp.start()).port;
  pty = await startPtyPair();
  rtu = new ModbusRtuServer({ path: pty.a, devices });
  await rtu.start();
  line = new SerialPort({ path: pty.b, baudRate: 9600, lock: false });
  line.on('data', (d: Buffer) => lineBytes.push(d));
  await new Promise((r) => line.once('open', r));
});
test.after(async () => {
  await tcp.stop();
  await rtu.stop();
  await new Promise((r) => line.close(r));
  await pty.close();
});

function rawTcp(): Promise<{ s: Socket; got: Buffer[]; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.on('connect', () => resolve({ s, got, closed }));
  });
}
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

test('TCP: bad MBAP header closes that connection only; others keep working', async () => {
  const bad = await rawTcp();
  bad.s.write(Buffer.from('474554202f20485454502f312e310d0a0d0a', 'hex')); // "GET / HTTP/1.1"
  await bad.closed;
  assert.is(tcp.counters.badFrames, 1);
  const good = await rawTcp();
  good.s.write(encodeTcpFrame({ transactionId: 9, unitId: 1, pdu: encodeRequestPdu({ fc: 4, address: 0, quantity: 2 }) }));
  await settle();
  assert.is(Buffer.concat(good.got).subarray(0, 9).toString('hex'), '000900000007010404');
  good.s.destroy();
});

test('TCP: unsupported function → exception 1, unknown unit → exception 11, split frames reassembled', async () => {
  const c = await rawTcp();
  c.s.write(encodeTcpFrame({ transactionId: 1, unitId: 1, pdu: Uint8Array.of(0x2b, 0x0e, 0x01, 0x00) }));
  const f = encodeTcpFrame({ transactionId: 2, unitId: 42, pdu: encodeRequestPdu({ fc: 4, address: 0, quantity: 2 }) });
  c.s.write(f.subarray(0, 4));
  await settle(50);
  c.s.write(f.subarray(4));
  await settle();
  assert.is(Buffer.concat(c.got).toString('hex'), '00010000000301ab01' + '0002000000032a840b');
  c.s.destroy();
});

test('RTU: garbage, a bad-CRC frame, then a good request: only the good one is answered', async () => {
  lineBytes.length = 0;
  const before = { ...rtu.counters };
  line.write(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
  await settle(100);
  const badCrc = Buffer.from(encodeRtuFrame(1, encodeRequestPdu({ fc: 4, address: 0, quantity: 2 }), true));
  line.write(badCrc);
  await settle(100);
  line.write(Buffer.from(encodeRtuFrame(1, encodeRequestPdu({ fc: 4, address: 0x48, quantity: 2 }))));
  await settle();
  const reply = Buffer.concat(lineBytes);
  assert.is(reply.length, 9, `one 9-byte answer, got ${reply.toString('hex')}`);
  assert.ok(rtuCrcValid(reply));
  assert.is(reply.subarray(0, 3).toString('hex'), '010404');
  assert.ok(rtu.counters.badCrc + rtu.counters.dropped > before.badCrc + before.dropped, 'refusals counted');
});

test('RTU: unsupported function with a valid CRC → exception 1 after the silence', async () => {
  lineBytes.length = 0;
  line.write(Buffer.from(encodeRtuFrame(1, Uint8Array.of(0x2b, 0x0e, 0x01, 0x00))));
  await settle();
  assert.is(Buffer.concat(lineBytes).subarray(0, 3).toString('hex'), '01ab01');
});

test.run();
