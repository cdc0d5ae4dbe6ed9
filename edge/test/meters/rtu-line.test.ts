// Modbus RTU over a socat pty pair: SDM630 snapshot, CRC errors, and a dead meter on a shared
// line that must not push the other meters' polls past their interval.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { ModbusLinePool, createModbusMeter, type ModbusMeterConfig } from '../../src/meters/modbus-factory.js';
import { loadTemplate } from '../../src/meters/template.js';
import { countingMetrics } from '../../src/meters/source.js';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';
import { startRtuSlave, SlaveUnits } from '../modbus/slave.js';
import { renderTemplate, sampleValues } from './images.js';

const sdm630 = loadTemplate('sdm630');
const sdm120 = loadTemplate('sdm120');
let pty: PtyPair;
let slave: { units: SlaveUnits; close(): Promise<void> };
let pool: ModbusLinePool;

test.before.each(async () => {
  pty = await startPtyPair();
  slave = await startRtuSlave(pty.b);
  pool = new ModbusLinePool();
});
test.after.each(async () => {
  await pool.closeAll();
  await slave.close();
  await pty.close();
});

const cfg = (id: string, unitId: number, template: string, device: Partial<ModbusMeterConfig['device']> = {}): ModbusMeterConfig => ({
  id,
  template,
  link: { kind: 'rtu', path: pty.a, baudRate: 9600 },
  line: { interFrameGapMs: 5, slaveSwitchPauseMs: 20 },
  device: { unitId, timeoutMs: 300, retries: 1, backoffBaseMs: 2000, ...device },
});

test('SDM630 over RTU: full snapshot in <= 2 requests', async () => {
  const values = sampleValues(sdm630);
  renderTemplate(slave.units.unit(1), sdm630, values);
  const meter = createModbusMeter(cfg('sdm630-rtu', 1, 'sdm630'), pool);
  const draft = await meter.poll();
  assert.ok(slave.units.count(1) <= 2, `requests: ${slave.units.count(1)}`);
  assert.is(draft.values.length, sdm630.points.length);
  await meter.close();
});

test('a serial port that does not exist gives EDGE_MODBUS_CONNECTION', async () => {
  const meter = createModbusMeter({ ...cfg('nope', 1, 'sdm120'), link: { kind: 'rtu', path: `${pty.a}-missing` } }, pool);
  const err = await meter.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_MODBUS_CONNECTION'), String(err));
});

test('CRC errors give EDGE_MODBUS_CRC after the retry, counted per attempt', async () => {
  const bank = slave.units.unit(2);
  renderTemplate(bank, sdm120, sampleValues(sdm120));
  bank.corruptCrc = true;
  const metrics = countingMetrics();
  const meter = createModbusMeter(cfg('sdm120-crc', 2, 'sdm120'), pool, { metrics });
  const err = await meter.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_MODBUS_CRC'), String(err));
  assert.is(metrics.counts.get('EDGE_MODBUS_CRC'), 2, 'first try + one retry');
  assert.is(slave.units.count(2), 2);
});

test('a dead meter on a shared RTU line does not push the other meters past their interval', async () => {
  // Three meters on one line: 1 and 2 alive, 3 dead (never answers).
  renderTemplate(slave.units.unit(1), sdm630, sampleValues(sdm630));
  renderTemplate(slave.units.unit(2), sdm120, sampleValues(sdm120));
  const metrics = countingMetrics();
  const a = createModbusMeter(cfg('a', 1, 'sdm630'), pool, { metrics });
  const b = createModbusMeter(cfg('b', 2, 'sdm120'), pool, { metrics });
  // Dead meter: 4 attempts × 300 ms = 1.2 s if it held the line for all of them — longer than the
  // interval, so a line without per-attempt queueing and backoff would make the others late.
  const dead = createModbusMeter(cfg('dead', 3, 'sdm630', { timeoutMs: 300, retries: 3, backoffBaseMs: 2000, backoffMaxMs: 8000 }), pool, { metrics });
  const intervalMs = 1000;
  const ticks = 5;
  const late: string[] = [];
  const ok = { a: 0, b: 0 };
  const deadCodes: string[] = [];
  const t0 = Date.now();
  for (let i = 0; i < ticks; i++) {
    const tickAt = t0 + i * intervalMs;
    await new Promise((r) => setTimeout(r, Math.max(0, tickAt - Date.now())));
    // Every meter is polled at each tick, dead one first so it is ahead in the line's queue.
    const pd = dead.poll().then(
      () => deadCodes.push('ok'),
      (e: { code: string }) => deadCodes.push(e.code),
    );
    const done = (name: 'a' | 'b') => () => {
      ok[name]++;
      if (Date.now() > tickAt + intervalMs) late.push(`${name}@${i}`);
    };
    await Promise.all([a.poll().then(done('a')), b.poll().then(done('b')), pd]);
  }
  assert.equal(late, [], 'every poll of a live meter finished within its interval');
  assert.equal(ok, { a: ticks, b: ticks });
  assert.is(deadCodes[0], 'EDGE_MODBUS_TIMEOUT');
  assert.ok(deadCodes.filter((c) => c === 'EDGE_MODBUS_BACKOFF').length >= 2, deadCodes.join(','));
  // The dead meter cost the wire only its probes: 4 on the first tick, then one per expired backoff.
  assert.ok(slave.units.count(3) <= 6, `dead-meter requests: ${slave.units.count(3)}`);
});

test.run();
