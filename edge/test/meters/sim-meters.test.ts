// The agent's Modbus acquisition against the hardware simulators (@lightnode/hardware-sim):
// SDM630/SDM120 and a SunSpec meter over Modbus TCP, SDM630 over RTU on a socat pty, and each
// injected fault giving its reason code. Request counts come from the simulators' own counters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { physicalValue } from '@lightnode/shared/quantities';
import { loadTemplate as loadSimTemplate } from '@lightnode/hardware-sim/devices/template';
import { SimMeter } from '@lightnode/hardware-sim/devices/sim-meter';
import { ModbusTcpServer } from '@lightnode/hardware-sim/modbus/tcp-server';
import { ModbusRtuServer } from '@lightnode/hardware-sim/modbus/rtu-server';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';
import { ModbusLinePool, createModbusMeter, type ModbusMeterConfig } from '../../src/meters/modbus-factory.js';
import { loadTemplate } from '../../src/meters/template.js';
import { limitsOf, screenValues } from '../../src/meters/plausibility.js';
import { countingMetrics } from '../../src/meters/source.js';
import type { ReadingDraft } from '../../src/meters/source.js';
import { startPtyPair } from '@lightnode/test-kit/pty-pair';

const clock = new SimClock({ startMs: Date.UTC(2026, 5, 1, 12, 0, 0) });
const meters = {
  sdm630: new SimMeter({ id: 'm630', template: loadSimTemplate('sdm630'), clock, profile: { kind: 'constant', powerW: 2300 }, initialImportWh: 1_234_000 }),
  sdm120: new SimMeter({ id: 'm120', template: loadSimTemplate('sdm120'), clock, profile: { kind: 'constant', powerW: 1200 } }),
  sunspec: new SimMeter({ id: 'sun', template: loadSimTemplate('sunspec-meter'), clock, profile: { kind: 'constant', powerW: -3000 }, initialExportWh: 50_000 }),
};
const server = new ModbusTcpServer({ devices: new Map<number, SimMeter>([[1, meters.sdm630], [2, meters.sdm120], [3, meters.sunspec]]) });
let port = 0;
let pool: ModbusLinePool;

test.before(async () => {
  ({ port } = await server.start());
});
test.after(async () => {
  await server.stop();
});
test.before.each(() => {
  pool = new ModbusLinePool();
  for (const m of Object.values(meters)) m.faults = {};
});
test.after.each(async () => {
  await pool.closeAll();
});

const tcp = (id: string, unitId: number, template: string): ModbusMeterConfig => ({
  id,
  template,
  link: { kind: 'tcp', host: '127.0.0.1', port },
  device: { unitId, timeoutMs: 300, retries: 0, backoffBaseMs: 1 },
});
const value = (d: ReadingDraft, q: string) => {
  const m = d.values.find((v) => v.quantity === q);
  assert.ok(m, `${q} in snapshot`);
  return physicalValue(m!);
};

test('SDM630 over TCP (simulator): every mapped quantity in <= 2 requests, plausible values', async () => {
  const meter = createModbusMeter(tcp('sdm630', 1, 'sdm630'), pool);
  const before = server.counters.requests;
  const d = await meter.poll();
  const used = server.counters.requests - before;
  assert.ok(used <= 2, `requests per snapshot: ${used}`);
  assert.is(d.values.length, loadTemplate('sdm630').points.length);
  assert.ok(Math.abs(value(d, '1-0:32.7.0') - 230) < 10);
  assert.ok(Math.abs(value(d, '1-0:14.7.0') - 50) < 0.5);
  assert.ok(Math.abs(value(d, '1-0:16.7.0') - 2300) < 50, `total power ${value(d, '1-0:16.7.0')}`);
  assert.ok(Math.abs(value(d, '1-0:1.8.0') - 1_234_000) < 1000, 'import energy in Wh (kWh × 1000)');
  const phases = value(d, '1-0:21.8.0') + value(d, '1-0:41.8.0') + value(d, '1-0:61.8.0');
  assert.ok(Math.abs(phases - value(d, '1-0:1.8.0')) < 5);
});

test('SDM630 with THD on the simulator: the rejected hole read is split once and remembered', async () => {
  const metrics = countingMetrics();
  const meter = createModbusMeter(tcp('sdm630-thd', 1, 'sdm630-thd'), pool, { metrics });
  const d = await meter.poll();
  assert.is(d.values.length, loadTemplate('sdm630-thd').points.length);
  assert.is(metrics.counts.get('EDGE_MODBUS_BLOCK_SPLIT'), 1);
  const before = server.counters.requests;
  await meter.poll();
  assert.is(server.counters.requests - before, 3);
});

test('word order: a CDAB device read with a CDAB template gives the same values as ABCD', async () => {
  const abcd = await createModbusMeter(tcp('sdm120', 2, 'sdm120'), pool).poll();
  const t = loadTemplate('sdm120');
  const cdab = { ...t, points: t.points.map((p) => ({ ...p, wordOrder: 'CDAB' as const })) };
  meters.sdm120.faults = { wordOrder: 'CDAB' };
  const metrics = countingMetrics();
  // The ABCD template on the swapped device decodes garbage: implausible points are refused.
  const wrong = await createModbusMeter(tcp('sdm120-wrong', 2, 'sdm120'), pool, { metrics }).poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(wrong, 'EDGE_VALUE_INVALID') || (metrics.counts.get('EDGE_VALUE_INVALID') ?? 0) > 0, 'word-order confusion detected');
  const d = await createModbusMeter(tcp('sdm120-cdab', 2, 'sdm120'), pool, { template: cdab }).poll();
  for (const q of ['1-0:32.7.0', '1-0:14.7.0', '1-0:1.8.0']) assert.ok(Math.abs(value(d, q) - value(abcd, q)) <= Math.max(1, value(abcd, q) * 0.01), q);
});

test('SDM120 over TCP (simulator)', async () => {
  const d = await createModbusMeter(tcp('sdm120', 2, 'sdm120'), pool).poll();
  assert.is(d.values.length, loadTemplate('sdm120').points.length);
  assert.ok(Math.abs(value(d, '1-0:16.7.0') - 1200) < 30);
});

test('SunSpec 203 and 213 over TCP (simulator): model chain discovered, export power negative', async () => {
  for (const template of ['sunspec-203', 'sunspec-213']) {
    const meter = createModbusMeter(tcp(template, 3, template), pool);
    const d = await meter.poll();
    assert.ok(meter.modelAddress !== undefined && meter.modelAddress > 40000, `${template} found at ${meter.modelAddress}`);
    assert.ok(d.values.length >= 10, `${template}: ${d.values.length} values`);
    assert.ok(Math.abs(value(d, '1-0:16.7.0') + 3000) < 100, `${template} W ${value(d, '1-0:16.7.0')}`);
    assert.ok(Math.abs(value(d, '1-0:32.7.0') - 230) < 10);
    assert.ok(value(d, '1-0:2.8.0') >= 49_000, `${template} export energy`);
  }
});

test('SunSpec discovery on the simulator: busy (exception 6) is retried and recovers; persistent busy and device failure (4) get their own codes, not NOT_FOUND', async () => {
  const metrics = countingMetrics();
  // Busy for the first two requests, then answering: discovery waits it out.
  meters.sunspec.faults = { exception: 6, exceptionRequests: 2 };
  const meter = createModbusMeter(tcp('ss-busy', 3, 'sunspec-203'), pool, { metrics });
  const d = await meter.poll();
  assert.ok(meter.modelAddress !== undefined && meter.modelAddress > 40000, `model found at ${meter.modelAddress}`);
  assert.ok(d.values.length >= 10);
  assert.is(metrics.counts.get('EDGE_SUNSPEC_RETRY'), 2, 'two busy answers, two retries');
  assert.is(metrics.counts.get('EDGE_SUNSPEC_NOT_FOUND'), undefined);

  for (const [code, expected] of [[6, 'EDGE_SUNSPEC_DEVICE_BUSY'], [4, 'EDGE_SUNSPEC_DEVICE_FAILURE']] as const) {
    const m = countingMetrics();
    meters.sunspec.faults = { exception: code };
    const fresh = createModbusMeter(tcp(`ss-${code}`, 3, 'sunspec-203'), pool, { metrics: m });
    const err = await fresh.poll().catch((e: unknown) => e);
    assert.ok(isLightNodeError(err, expected), String(err));
    assert.is(err.details.exceptionCode, code);
    assert.is(m.counts.get(expected), 1, `${expected} counted`);
    assert.is(m.counts.get('EDGE_SUNSPEC_NOT_FOUND'), undefined, 'not counted as absent');
    assert.ok((m.counts.get('EDGE_SUNSPEC_RETRY') ?? 0) >= 2, 'retried before giving up');
    // The device recovers: the next poll discovers afresh.
    meters.sunspec.faults = {};
    assert.ok((await fresh.poll()).values.length >= 10);
  }
});

test('simulator faults over TCP: exception, timeout, NaN and out-of-range each give their code', async () => {
  const metrics = countingMetrics();
  const meter = createModbusMeter(tcp('sdm630', 1, 'sdm630'), pool, { metrics });
  meters.sdm630.faults = { exception: 4 };
  const e1 = await meter.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(e1, 'EDGE_MODBUS_EXCEPTION') && e1.details.exceptionCode === 4, String(e1));
  meters.sdm630.faults = { timeout: true };
  const e2 = await meter.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(e2, 'EDGE_MODBUS_TIMEOUT'), String(e2));
  await new Promise((r) => setTimeout(r, 5)); // let the 1 ms backoff expire
  meters.sdm630.faults = { values: 'nan' };
  const e3 = await meter.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(e3, 'EDGE_VALUE_INVALID'), `all points NaN → no value: ${String(e3)}`);
  meters.sdm630.faults = { values: 'outOfRange' };
  const raw = await meter.poll();
  // Plausibility is the agent's gate's job (test/agent/plausibility.test.ts): with the meter's windows it drops 9999 V, 99 Hz, 10 MW.
  const { kept, dropped } = screenValues(raw.values, limitsOf(meter.plausibility!.rating!, meter.plausibility!.explicit));
  for (const q of ['1-0:32.7.0', '1-0:14.7.0', '1-0:16.7.0', '1-0:31.7.0']) assert.ok(dropped.some((x) => x.quantity === q && x.reason === 'above_max'), `${q} dropped`);
  assert.ok(kept.some((v) => v.quantity === '1-0:1.8.0'), 'energy counters are kept');
  assert.ok((metrics.counts.get('EDGE_VALUE_INVALID') ?? 0) >= 36, 'the NaN snapshot');
  assert.ok((metrics.counts.get('EDGE_MODBUS_TIMEOUT') ?? 0) >= 1);
});

test('SDM630 over RTU on a pty (simulator): snapshot in <= 2 requests; CRC fault gives EDGE_MODBUS_CRC', async () => {
  const pty = await startPtyPair();
  const rtu = new ModbusRtuServer({ path: pty.b, devices: new Map<number, SimMeter>([[1, meters.sdm630], [2, meters.sdm120]]) });
  try {
    await rtu.start();
    const cfg = (id: string, unitId: number, template: string): ModbusMeterConfig => ({
      id,
      template,
      link: { kind: 'rtu', path: pty.a, baudRate: 9600 },
      line: { interFrameGapMs: 5, slaveSwitchPauseMs: 20 },
      device: { unitId, timeoutMs: 500, retries: 1, backoffBaseMs: 1 },
    });
    const metrics = countingMetrics();
    const a = createModbusMeter(cfg('sdm630', 1, 'sdm630'), pool, { metrics });
    const b = createModbusMeter(cfg('sdm120', 2, 'sdm120'), pool, { metrics });
    const before = rtu.counters.requests;
    const d = await a.poll();
    assert.ok(rtu.counters.requests - before <= 2, `requests: ${rtu.counters.requests - before}`);
    assert.is(d.values.length, loadTemplate('sdm630').points.length);
    assert.ok((await b.poll()).values.length > 0);
    meters.sdm120.faults = { corruptCrc: true };
    const e = await b.poll().catch((x: unknown) => x);
    assert.ok(isLightNodeError(e, 'EDGE_MODBUS_CRC'), String(e));
    // The other meter on the line is unaffected.
    assert.is((await a.poll()).values.length, loadTemplate('sdm630').points.length);
    assert.ok((metrics.counts.get('EDGE_MODBUS_CRC') ?? 0) >= 1);
  } finally {
    await pool.closeAll();
    await rtu.stop();
    await pty.close();
  }
});

test('dead meter on a shared RTU line (simulator, offline fault): the live meters keep their 1 s interval', async () => {
  const pty = await startPtyPair();
  const deadSim = new SimMeter({ id: 'dead', template: loadSimTemplate('sdm630'), clock, profile: { kind: 'constant', powerW: 100 }, faults: { offline: true } });
  const rtu = new ModbusRtuServer({ path: pty.b, devices: new Map<number, SimMeter>([[1, meters.sdm630], [2, meters.sdm120], [3, deadSim]]) });
  try {
    await rtu.start();
    const cfg = (id: string, unitId: number, template: string): ModbusMeterConfig => ({
      id,
      template,
      link: { kind: 'rtu', path: pty.a },
      line: { interFrameGapMs: 5, slaveSwitchPauseMs: 20 },
      // 4 attempts × 300 ms would exceed the interval if the dead meter held the line for all of them.
      device: { unitId, timeoutMs: 300, retries: 3, backoffBaseMs: 2000, backoffMaxMs: 8000 },
    });
    const live = [createModbusMeter(cfg('a', 1, 'sdm630'), pool), createModbusMeter(cfg('b', 2, 'sdm120'), pool)];
    const dead = createModbusMeter(cfg('dead', 3, 'sdm630'), pool);
    const intervalMs = 1000;
    const late: string[] = [];
    let ok = 0;
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      const tickAt = t0 + i * intervalMs;
      await new Promise((r) => setTimeout(r, Math.max(0, tickAt - Date.now())));
      const d = dead.poll().catch(() => {});
      await Promise.all([
        ...live.map((m) =>
          m.poll().then(() => {
            ok++;
            if (Date.now() > tickAt + intervalMs) late.push(`${m.id}@${i}`);
          }),
        ),
        d,
      ]);
    }
    assert.equal(late, []);
    assert.is(ok, 8);
  } finally {
    await pool.closeAll();
    await rtu.stop();
    await pty.close();
  }
});

test.run();
