// Every injected fault is observed by a modbus-serial client as the fault it is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTemplate } from '../src/devices/template.js';
import { SimMeter } from '../src/devices/sim-meter.js';
import { validateFaults } from '../src/faults.js';
import type { ModbusTcpServer } from '../src/modbus/tcp-server.js';
import { FakeClock, SimClock } from '../src/physics/clock.js';
import { closeClient, reader, tcpClient, type Client } from './helpers/client.js';
import { decodePoints, readAll } from './helpers/decode.js';
import { serveOverRtuAndTcp, type Served } from './helpers/served.js';

const clock = new SimClock({ startMs: Date.UTC(2026, 2, 1, 12), real: new FakeClock(0) });
const sdm = new SimMeter({ id: 'sdm', template: loadTemplate('sdm630'), clock, profile: { kind: 'household' } });
const sun = new SimMeter({ id: 'sun', template: loadTemplate('sunspec-meter'), clock, profile: { kind: 'household' } });
let served: Served, tcp: ModbusTcpServer, rc: Client, tc: Client, port: number;

test.before(async () => {
  served = await serveOverRtuAndTcp(new Map([[1, sdm], [2, sun]]), new Map([[1, sdm]]));
  ({ tcp, rc, tc, port } = served);
});
test.after.each(async () => {
  sdm.faults = {};
  sun.faults = {};
  await tcp.refresh();
  rc.setTimeout(1000);
  tc.setTimeout(1000);
});
// the recovery test reconnects `tc`: close the current one
test.after(async () => { if (served) { served.tc = tc; await served.stop(); } });

async function failure(c: Client, id: number, fc: 3 | 4 = 4): Promise<{ errno?: string; modbusCode?: number; message: string }> {
  try {
    await reader(c, id)(fc, 0x48, 2);
  } catch (e) {
    return e as { errno?: string; modbusCode?: number; message: string };
  }
  throw new Error('read unexpectedly succeeded');
}

test('timeout: no response on RTU and TCP', async () => {
  sdm.faults = { timeout: true };
  rc.setTimeout(200); tc.setTimeout(200);
  assert.is((await failure(rc, 1)).errno, 'ETIMEDOUT');
  assert.is((await failure(tc, 1)).errno, 'ETIMEDOUT');
  sdm.faults = {};
  assert.is((await reader(rc, 1)(4, 0, 2)).length, 2, 'answers again');
});

test('exceptions 2, 4 and 6 arrive as those codes on both transports', async () => {
  for (const code of [2, 4, 6] as const) {
    sdm.faults = { exception: code };
    assert.is((await failure(rc, 1)).modbusCode, code);
    assert.is((await failure(tc, 1)).modbusCode, code);
  }
});

test('a bounded exception (exceptionRequests) answers that many requests, then the device recovers', async () => {
  sdm.faults = validateFaults({ exception: 6, exceptionRequests: 2 });
  assert.is((await failure(tc, 1)).modbusCode, 6);
  assert.is((await failure(rc, 1)).modbusCode, 6);
  assert.is((await reader(tc, 1)(4, 0, 2)).length, 2, 'recovered after 2 requests');
  assert.equal(sdm.faults, { exception: 0 }, 'the fault cleared itself');
  sdm.faults = { exception: 4 };
  for (let i = 0; i < 3; i++) assert.is((await failure(tc, 1)).modbusCode, 4, 'without exceptionRequests: every request');
});

test('corrupted CRC is reported as a CRC error; the other slave on the line is unaffected', async () => {
  sdm.faults = { corruptCrc: true };
  assert.match((await failure(rc, 1)).message, /CRC/);
  assert.is((await reader(rc, 2)(3, 40000, 2))[0], 0x5375);
});

test('slow response: late answers time out a short-timeout client and satisfy a patient one', async () => {
  sdm.faults = { delayMs: 400 };
  rc.setTimeout(100);
  assert.is((await failure(rc, 1)).errno, 'ETIMEDOUT');
  await new Promise((r) => setTimeout(r, 500)); // let the late answer drain off the line
  rc.setTimeout(3000);
  assert.is((await reader(rc, 1)(4, 0, 2)).length, 2);
  tc.setTimeout(3000);
  assert.is((await reader(tc, 1)(4, 0, 2)).length, 2);
});

test('wrong word order: ABCD decode is garbage, CDAB decode is right', async () => {
  sdm.faults = { wordOrder: 'CDAB' };
  const words = await readAll(sdm.template, reader(tc, 1));
  const asAbcd = decodePoints(sdm.template, words);
  const asCdab = decodePoints(sdm.template, words, 'CDAB');
  assert.ok(Math.abs(asCdab.voltageL1! - 230) < 5, `CDAB ${asCdab.voltageL1}`);
  assert.not.ok(Math.abs(asAbcd.voltageL1! - 230) < 50, `ABCD ${asAbcd.voltageL1}`);
});

test('device disappears and comes back: TCP connection refused, RTU silent', async () => {
  sdm.faults = { offline: true };
  await tcp.refresh();
  const c2 = await tcpClient(port).then(() => 'connected', (e) => (e as { code?: string }).code);
  assert.is(c2, 'ECONNREFUSED');
  rc.setTimeout(200);
  assert.is((await failure(rc, 1)).errno, 'ETIMEDOUT');
  sdm.faults = {};
  await tcp.refresh();
  const c3 = await tcpClient(port);
  c3.setID(1);
  assert.is((await c3.readInputRegisters(0, 2)).data.length, 2, 'same port listens again');
  await closeClient(c3);
  await closeClient(tc);
  tc = await tcpClient(port);
});

test('NaN values: float32 NaN on the SDM, "not implemented" sentinels on SunSpec 203', async () => {
  sdm.faults = { values: 'nan' };
  sun.faults = { values: 'nan' };
  const v = decodePoints(sdm.template, await readAll(sdm.template, reader(rc, 1)));
  assert.ok(Number.isNaN(v.voltageL1) && Number.isNaN(v.importEnergy), 'SDM NaN');
  const words = await reader(rc, 2)(3, 40070 + 8, 1); // 203 PhVphA
  assert.is(words[0], 0x8000);
  const energy = await reader(rc, 2)(3, 40070 + 46, 2); // 203 TotWhImp (acc32: 0 = not implemented)
  assert.equal(energy, [0, 0]);
});

test('out-of-range values: 9999 V and 99 Hz; counters are not polluted', async () => {
  const before = decodePoints(sdm.template, await readAll(sdm.template, reader(tc, 1)));
  sdm.faults = { values: 'outOfRange' };
  const v = decodePoints(sdm.template, await readAll(sdm.template, reader(tc, 1)));
  assert.is(Math.round(v.voltageL1!), 9999);
  assert.is(Math.round(v.frequency!), 99);
  sdm.faults = {};
  const after = decodePoints(sdm.template, await readAll(sdm.template, reader(tc, 1)));
  assert.is(after.importEnergy, before.importEnergy);
});

test('fault settings are validated with the field named', () => {
  assert.equal(validateFaults({ exception: 6, delayMs: 10 }), { exception: 6, delayMs: 10 });
  for (const bad of [{ exception: 3 }, { exception: 6, exceptionRequests: 0 }, { delayMs: -1 }, { wordOrder: 'XYZW' }, { nope: true }, { values: 'weird' }, []]) {
    try { validateFaults(bad); assert.unreachable(JSON.stringify(bad)); } catch (e) { assert.is((e as { code?: string }).code, 'SIM_FAULT_INVALID'); }
  }
});

test.run();
