// The agent's own Modbus TCP client (src/modbus/tcp-link.ts) against a scripted raw socket server:
// good answers (also split across segments), late answers after a timeout, hostile answers, refused
// connections; and a TCP-only meter never loads modbus-serial / serialport.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net, { type AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isLightNodeError } from '@lightnode/shared/errors';
import { ModbusTcpLink } from '../../src/modbus/tcp-link.js';
import { decodeReadPdu, decodeTcp, encodeResponsePdu, encodeTcp } from '../../src/modbus/frame.js';
import type { LinkRequest } from '../../src/modbus/link.js';

type Reply = (tid: number, unitId: number, fc: number, count: number, sock: net.Socket) => void;

interface Server { port: number; requests: number; connections: number; reply: Reply; close(): Promise<void> }

const regs = (n: number, base = 100) => Array.from({ length: n }, (_, i) => base + i);
const good: Reply = (tid, unitId, fc, count, sock) => { sock.write(encodeTcp(tid, unitId, encodeResponsePdu({ kind: 'registers', unitId, functionCode: fc as 3 | 4, registers: regs(count) }))); };

async function startServer(): Promise<Server> {
  const sockets = new Set<net.Socket>();
  const srv: Server = { port: 0, requests: 0, connections: 0, reply: good, close: async () => {} };
  const server = net.createServer((sock) => {
    srv.connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = new Uint8Array(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let adu = decodeTcp(buf); adu; adu = decodeTcp(buf)) {
        buf = buf.subarray(adu.consumed);
        const r = decodeReadPdu(adu.pdu, adu.unitId);
        srv.requests++;
        srv.reply(adu.transactionId, adu.unitId, r.functionCode, r.count, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  srv.port = (server.address() as AddressInfo).port;
  srv.close = async () => { for (const s of sockets) s.destroy(); await new Promise<void>((r) => server.close(() => r())); };
  return srv;
}

const req = (over: Partial<LinkRequest> = {}): LinkRequest => ({ unitId: 1, functionCode: 4, address: 0, count: 10, timeoutMs: 300, ...over });

async function code(p: Promise<unknown>): Promise<string> {
  try { await p; return 'resolved'; } catch (e) { return isLightNodeError(e) ? e.code : `not a LightNodeError: ${String(e)}`; }
}

let srv: Server;
let link: ModbusTcpLink;
test.before.each(async () => { srv = await startServer(); link = new ModbusTcpLink({ kind: 'tcp', host: '127.0.0.1', port: srv.port }); });
test.after.each(async () => { await link.close(); await srv.close(); });

test('reads registers over one connection; FC03 and FC04; an answer split into single bytes still decodes', async () => {
  assert.equal(await link.read(req()), regs(10));
  assert.equal(await link.read(req({ functionCode: 3, count: 3, unitId: 7 })), regs(3));
  srv.reply = (tid, unitId, fc, count, sock) => {
    const bytes = encodeTcp(tid, unitId, encodeResponsePdu({ kind: 'registers', unitId, functionCode: fc as 3 | 4, registers: regs(count, 7) }));
    bytes.forEach((b, i) => setTimeout(() => sock.write(Uint8Array.of(b)), i));
  };
  assert.equal(await link.read(req({ count: 5 })), regs(5, 7));
  assert.is(srv.connections, 1);
  assert.is(link.name, `tcp://127.0.0.1:${srv.port}`);
});

test('a late answer to a timed-out request is discarded, not taken for the next answer', async () => {
  srv.reply = (tid, unitId, fc, count, sock) => {
    const bytes = encodeTcp(tid, unitId, encodeResponsePdu({ kind: 'registers', unitId, functionCode: fc as 3 | 4, registers: regs(count, 900) }));
    setTimeout(() => sock.write(bytes), 250); // after the 100 ms timeout
    srv.reply = good;
  };
  assert.is(await code(link.read(req({ timeoutMs: 100 }))), 'EDGE_MODBUS_TIMEOUT');
  await new Promise((r) => setTimeout(r, 50));
  // The stale answer (900…) arrives while this request waits; it must be skipped by transaction id.
  assert.equal(await link.read(req({ timeoutMs: 1000 })), regs(10));
  assert.is(srv.connections, 1, 'a timeout keeps the connection');
});

test('exception answer → EDGE_MODBUS_EXCEPTION with its code', async () => {
  srv.reply = (tid, unitId, fc, _c, sock) => { sock.write(encodeTcp(tid, unitId, encodeResponsePdu({ kind: 'exception', unitId, functionCode: fc, exceptionCode: 2 }))); };
  try { await link.read(req()); assert.unreachable(); } catch (e) {
    assert.ok(isLightNodeError(e));
    assert.is(e.code, 'EDGE_MODBUS_EXCEPTION');
    assert.is(e.details.exceptionCode, 2);
  }
});

test('hostile answers → EDGE_MODBUS_FRAME; a garbage stream drops the connection and the next read reconnects', async () => {
  const cases: [string, Reply][] = [
    ['other unit id', (tid, _u, fc, count, sock) => good(tid, 9, fc, count, sock)],
    ['other function code', (tid, unitId, _fc, count, sock) => good(tid, unitId, 3, count, sock)],
    ['odd byte count', (tid, unitId, fc, _c, sock) => { sock.write(encodeTcp(tid, unitId, Uint8Array.of(fc, 3, 0, 1, 2))); }],
    ['byte count disagrees with length', (tid, unitId, fc, _c, sock) => { sock.write(encodeTcp(tid, unitId, Uint8Array.of(fc, 4, 0, 1))); }],
  ];
  for (const [name, reply] of cases) {
    srv.reply = reply;
    assert.is(await code(link.read(req({ functionCode: 4 }))), 'EDGE_MODBUS_FRAME', name);
  }
  srv.reply = (tid, unitId, _fc, _c, sock) => { const b = encodeTcp(tid, unitId, Uint8Array.of(4, 2, 0, 1)); b[2] = 0x12; sock.write(b); }; // protocol id ≠ 0
  const before = srv.connections;
  assert.is(await code(link.read(req())), 'EDGE_MODBUS_FRAME', 'non-Modbus protocol id');
  srv.reply = good;
  assert.equal(await link.read(req()), regs(10));
  assert.is(srv.connections, before + 1, 'reconnected after the garbage stream');
});

test('endpoint closes mid-request → EDGE_MODBUS_CONNECTION; nobody listening → EDGE_MODBUS_CONNECTION; closed link refuses', async () => {
  srv.reply = (_t, _u, _f, _c, sock) => sock.destroy();
  assert.is(await code(link.read(req())), 'EDGE_MODBUS_CONNECTION');
  srv.reply = good;
  assert.equal(await link.read(req()), regs(10), 'reopens');
  const port = srv.port;
  await srv.close();
  const dead = new ModbusTcpLink({ kind: 'tcp', host: '127.0.0.1', port });
  assert.is(await code(dead.read(req())), 'EDGE_MODBUS_CONNECTION');
  await dead.close();
  assert.is(await code(dead.read(req())), 'EDGE_MODBUS_CONNECTION');
  srv = await startServer(); // for after.each
});

test('a TCP-only meter never loads modbus-serial or serialport; an RTU meter does', () => {
  const factory = fileURLToPath(new URL('../../src/meters/modbus-factory.ts', import.meta.url));
  const script = (link: string) => `
    const { ModbusLinePool, createModbusMeter } = await import(${JSON.stringify(factory)});
    const { createRequire } = await import('node:module');
    const pool = new ModbusLinePool();
    const m = createModbusMeter({ id: 'm', template: 'sdm630', link: ${link}, device: { unitId: 1, timeoutMs: 100, retries: 0 } }, pool);
    await m.poll().catch(() => {});
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /modbus-serial|serialport/.test(k));
    await pool.closeAll();
    console.log(JSON.stringify(loaded.length));`;
  const run = (link: string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(link)], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    return Number(r.stdout.trim().split('\n').pop());
  };
  assert.is(run(`{ kind: 'tcp', host: '127.0.0.1', port: ${srv.port} }`), 0, 'TCP loads neither');
  assert.ok(run(`{ kind: 'rtu', path: '/dev/ln-test-no-such-port' }`) > 0, 'RTU loads modbus-serial (the check can see it)');
});

test.run();
