// The whole acquisition half against one simulator lab (`startLab(config)` of @lightnode/hardware-sim):
// SDM630 + SunSpec over Modbus TCP, SDM630 + SDM120 + a dead meter on one RTU line (socat pty),
// a Chain 2 gateway over WebSocket; request counts from the lab's own counters; faults via the lab.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { startLab, type Lab } from '@lightnode/hardware-sim/lab';
import { ModbusLinePool, createModbusMeter, type ModbusMeterConfig } from '../../src/meters/modbus-factory.js';
import { createChain2Source } from '../../src/chain2/chain2-decoder.js';
import { countingMetrics, type ReadingDraft } from '../../src/meters/source.js';
import { loadTemplate } from '../../src/meters/template.js';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';

const POD = 'IT001E12345678';
let lab: Lab;
let pty: PtyPair;
let pool: ModbusLinePool;

test.before(async () => {
  pty = await startPtyPair();
  lab = await startLab({
    timeAcceleration: 1800, // a CF1 (quarter hour) every 0.5 s
    control: { port: 0 },
    tcp: [{ name: 'gw', port: 0 }],
    serial: [{ name: 'bus', path: pty.b }],
    devices: [
      { id: 'm1', type: 'sdm630', tcp: 'gw', slaveId: 1, profile: { kind: 'constant', powerW: 2500 }, initialImportWh: 5_000_000 },
      { id: 'pv', type: 'sunspec-meter', tcp: 'gw', slaveId: 2, profile: { kind: 'constant', powerW: -2000 } },
      { id: 'r1', type: 'sdm630', rtu: 'bus', slaveId: 1 },
      { id: 'r2', type: 'sdm120', rtu: 'bus', slaveId: 2 },
      { id: 'r3', type: 'sdm630', rtu: 'bus', slaveId: 3, faults: { offline: true } },
      { id: 'c2', type: 'chain2', pod: POD, ws: { port: 0 } },
    ],
  });
  pool = new ModbusLinePool();
});
test.after(async () => {
  await pool?.closeAll();
  await lab?.stop();
  await pty?.close();
});

const tcp = (id: string, unitId: number, template: string): ModbusMeterConfig => ({
  id,
  template,
  link: { kind: 'tcp', host: lab.endpoints.tcp.gw!.host, port: lab.endpoints.tcp.gw!.port },
  device: { unitId, timeoutMs: 500, retries: 0, backoffBaseMs: 1 },
});
const rtu = (id: string, unitId: number, template: string): ModbusMeterConfig => ({
  id,
  template,
  link: { kind: 'rtu', path: pty.a },
  line: { interFrameGapMs: 5, slaveSwitchPauseMs: 20 },
  device: { unitId, timeoutMs: 300, retries: 1, backoffBaseMs: 5000 },
});

test('SDM630 over TCP: <= 2 requests per snapshot (lab counters), SunSpec discovered', async () => {
  const m = createModbusMeter(tcp('m1', 1, 'sdm630'), pool);
  const before = lab.counters().tcp.gw!.requests;
  const d = await m.poll();
  assert.ok(lab.counters().tcp.gw!.requests - before <= 2);
  assert.is(d.values.length, loadTemplate('sdm630').points.length);
  const pv = createModbusMeter(tcp('pv', 2, 'sunspec-203'), pool);
  const p = await pv.poll();
  assert.ok(p.values.some((v) => v.quantity === '1-0:16.7.0' && v.value < 0), 'export as negative net power');
});

test('RTU line with a dead meter: live meters read, dead one times out then backs off; faults give their codes', async () => {
  const metrics = countingMetrics();
  const r1 = createModbusMeter(rtu('r1', 1, 'sdm630'), pool, { metrics });
  const r2 = createModbusMeter(rtu('r2', 2, 'sdm120'), pool, { metrics });
  const r3 = createModbusMeter(rtu('r3', 3, 'sdm630'), pool, { metrics });
  const before = lab.counters().rtu.bus!.requests;
  const [a, b, c] = await Promise.allSettled([r1.poll(), r2.poll(), r3.poll()]);
  assert.is(a.status, 'fulfilled');
  assert.is(b.status, 'fulfilled');
  assert.ok(c.status === 'rejected' && isLightNodeError(c.reason, 'EDGE_MODBUS_TIMEOUT'));
  const again = await r3.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(again, 'EDGE_MODBUS_BACKOFF'));
  assert.ok(lab.counters().rtu.bus!.requests - before >= 4);
  await lab.setFault('r2', { corruptCrc: true });
  assert.ok(isLightNodeError(await r2.poll().catch((e: unknown) => e), 'EDGE_MODBUS_CRC'));
  await lab.setFault('r1', { exception: 6 });
  const ex = await r1.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(ex, 'EDGE_MODBUS_EXCEPTION') && ex.details.exceptionCode === 6);
  await lab.setFault('r1', { values: 'nan' });
  assert.ok(isLightNodeError(await r1.poll().catch((e: unknown) => e), 'EDGE_VALUE_INVALID'));
  await lab.setFault('r1', {});
  assert.is((await r1.poll()).values.length, loadTemplate('sdm630').points.length);
  for (const code of ['EDGE_MODBUS_TIMEOUT', 'EDGE_MODBUS_CRC', 'EDGE_MODBUS_EXCEPTION', 'EDGE_VALUE_INVALID']) assert.ok((metrics.counts.get(code) ?? 0) >= 1, code);
});

test('Chain 2 gateway over WebSocket: drafts arrive; malformed frames are refused and counted', async () => {
  const metrics = countingMetrics();
  const src = createChain2Source({ id: 'chain2', url: lab.endpoints.devices.c2!.ws! }, { pod: POD, metrics });
  const drafts: ReadingDraft[] = [];
  const codes: string[] = [];
  try {
    src.start((d) => drafts.push(d), (e) => codes.push(isLightNodeError(e) ? e.code : e.message));
    const until = async (cond: () => boolean) => {
      for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(cond(), 'timed out');
    };
    await until(() => drafts.length >= 1 && src.podCheck(`${POD}-2G`) === 'ok');
    await lab.setFault('c2', { malformed: true });
    await until(() => codes.filter((c) => c === 'EDGE_CHAIN2_FRAME_INVALID').length >= 1);
    await lab.setFault('c2', {});
    const n = drafts.length;
    await until(() => drafts.length > n);
  } finally {
    await src.close();
  }
});

test.run();
