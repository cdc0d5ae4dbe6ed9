// SDM630 over Modbus TCP against a real socket slave (edge/test/modbus/slave.ts): request count
// per snapshot counted on the server side, values, and each failure mode's reason code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { physicalValue, toMeasurement } from '@lightnode/shared/quantities';
import { ModbusLinePool, createModbusMeter, type ModbusMeterConfig } from '../../src/meters/modbus-factory.js';
import { loadTemplate } from '../../src/meters/template.js';
import { limitsOf, screenValues } from '../../src/meters/plausibility.js';
import { countingMetrics } from '../../src/meters/source.js';
import { encodeRegisters } from '../../src/modbus/decode.js';
import { startTcpSlave, type RunningSlave } from '../modbus/slave.js';
import { renderTemplate, sampleValues } from './images.js';

const sdm630 = loadTemplate('sdm630');
let slave: RunningSlave;
let pool: ModbusLinePool;

function cfg(unitId: number, extra: Partial<ModbusMeterConfig> = {}): ModbusMeterConfig {
  return { id: `sdm-${unitId}`, template: 'sdm630', link: { kind: 'tcp', host: '127.0.0.1', port: slave.port }, device: { unitId, timeoutMs: 300, retries: 1, backoffBaseMs: 50 }, ...extra };
}

test.before.each(async () => {
  slave = await startTcpSlave();
  pool = new ModbusLinePool();
});
test.after.each(async () => {
  await pool.closeAll();
  await slave.close();
});

test('an SDM630 snapshot of all mapped quantities costs <= 2 requests and decodes every point', async () => {
  const values = sampleValues(sdm630);
  renderTemplate(slave.units.unit(1), sdm630, values);
  const meter = createModbusMeter(cfg(1), pool);
  const draft = await meter.poll();
  assert.ok(slave.units.count(1) <= 2, `requests: ${slave.units.count(1)}`);
  assert.is(draft.values.length, sdm630.points.length);
  assert.is(draft.meter, 'sdm-1');
  assert.is(draft.source, 'modbus');
  for (const p of sdm630.points) {
    const m = draft.values.find((v) => v.quantity === p.quantity);
    assert.ok(m, p.name);
    // The slave stored float32: compare with the float32 rounding of the sample value.
    assert.equal(m, toMeasurement(p.quantity, Math.fround(values[p.name]! / p.multiplier) * p.multiplier), p.name);
  }
  // Second snapshot: same cost.
  await meter.poll();
  assert.ok(slave.units.count(1) <= 4);
});

test('a device that rejects hole reads (exception 2) gets its block split, and the split is remembered', async () => {
  const bank = slave.units.unit(2);
  bank.strictHoles = true;
  renderTemplate(bank, sdm630, sampleValues(sdm630));
  const metrics = countingMetrics();
  const meter = createModbusMeter(cfg(2), pool, { metrics });
  const first = await meter.poll();
  assert.is(first.values.length, sdm630.points.length);
  assert.ok((metrics.counts.get('EDGE_MODBUS_BLOCK_SPLIT') ?? 0) >= 1);
  const before = slave.units.count(2);
  await meter.poll();
  const second = slave.units.count(2) - before;
  assert.is(second, meter.blocks.length, 'no rejected request on the second poll');
  assert.ok(slave.units.log.slice(before).every((r) => r.count <= 125));
});

test('NaN in one register drops that point with EDGE_VALUE_INVALID and keeps the others; an implausible value is left to the gate', async () => {
  const bank = slave.units.unit(3);
  renderTemplate(bank, sdm630, sampleValues(sdm630));
  bank.set(4, 0x46, encodeRegisters(NaN, 'float32', 'ABCD')); // frequency
  bank.set(4, 0x00, encodeRegisters(5000, 'float32', 'ABCD')); // V_L1 implausible (rating 230 V: max 460 V)
  const metrics = countingMetrics();
  const issues: string[] = [];
  const meter = createModbusMeter(cfg(3), pool, { metrics, onIssue: (e) => issues.push(`${e.code}:${String(e.details.point)}`) });
  const draft = await meter.poll();
  assert.is(draft.values.length, sdm630.points.length - 1, 'only the undecodable point is dropped by the meter');
  assert.not.ok(draft.values.some((v) => v.quantity === '1-0:14.7.0'));
  assert.is(metrics.counts.get('EDGE_VALUE_INVALID'), 1);
  assert.equal(issues, ['EDGE_VALUE_INVALID:Hz']);
  // The meter declares its windows; the agent's gate (plausibility.ts) drops 5000 V with them.
  const { kept, dropped } = screenValues(draft.values, limitsOf(meter.plausibility!.rating!, meter.plausibility!.explicit));
  assert.equal(dropped.map((d) => [d.quantity, d.reason]), [['1-0:32.7.0', 'above_max']]);
  assert.is(kept.length, sdm630.points.length - 2);
  const v2 = draft.values.find((v) => v.quantity === '1-0:52.7.0')!;
  assert.ok(Math.abs(physicalValue(v2) - 230.1) < 0.01);
});

test('a Modbus exception gives EDGE_MODBUS_EXCEPTION with the exception code', async () => {
  const bank = slave.units.unit(4);
  bank.exception = 4;
  const metrics = countingMetrics();
  const meter = createModbusMeter(cfg(4), pool, { metrics });
  const err = await meter.poll().then(() => undefined, (e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_MODBUS_EXCEPTION'), String(err));
  assert.is(err.details.exceptionCode, 4);
  assert.ok((metrics.counts.get('EDGE_MODBUS_EXCEPTION') ?? 0) >= 1);
});

test('an overlapping poll is refused with EDGE_POLL_OVERLAP; the first completes', async () => {
  renderTemplate(slave.units.unit(6), sdm630, sampleValues(sdm630));
  const metrics = countingMetrics();
  const meter = createModbusMeter(cfg(6), pool, { metrics });
  const [a, b] = await Promise.allSettled([meter.poll(), meter.poll()]);
  assert.is(a.status, 'fulfilled');
  assert.ok(b.status === 'rejected' && isLightNodeError(b.reason, 'EDGE_POLL_OVERLAP'));
  assert.is(metrics.counts.get('EDGE_POLL_OVERLAP'), 1);
  assert.is((await meter.poll()).values.length, sdm630.points.length);
});

test('a device that refused every block (exception 2) is planned afresh once it answers again', async () => {
  const bank = slave.units.unit(7);
  renderTemplate(bank, sdm630, sampleValues(sdm630));
  bank.exception = 2;
  const meter = createModbusMeter(cfg(7), pool);
  const err = await meter.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_MODBUS_EXCEPTION'));
  bank.exception = undefined;
  const d = await meter.poll();
  assert.is(d.values.length, sdm630.points.length);
  assert.ok(meter.blocks.length <= 2);
});

test('a silent device gives EDGE_MODBUS_TIMEOUT, then EDGE_MODBUS_BACKOFF without touching the wire', async () => {
  slave.units.unit(5).silent = true;
  const meter = createModbusMeter(cfg(5, { device: { unitId: 5, timeoutMs: 150, retries: 1, backoffBaseMs: 60_000 } }), pool);
  const err = await meter.poll().then(() => undefined, (e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_MODBUS_TIMEOUT'), String(err));
  assert.is(slave.units.count(5), 2, 'one try + one retry');
  const err2 = await meter.poll().then(() => undefined, (e: unknown) => e);
  assert.ok(isLightNodeError(err2, 'EDGE_MODBUS_BACKOFF'), String(err2));
  assert.is(slave.units.count(5), 2, 'skipped while in backoff');
});

test('the endpoint drops a live connection: no crash, the meter reconnects', async () => {
  renderTemplate(slave.units.unit(1), sdm630, sampleValues(sdm630));
  const meter = createModbusMeter({ ...cfg(1), device: { unitId: 1, timeoutMs: 300, retries: 0, backoffBaseMs: 1 } }, pool);
  assert.is((await meter.poll()).values.length, sdm630.points.length);
  const port = slave.port;
  await slave.close();
  slave = await startTcpSlave(undefined, port);
  renderTemplate(slave.units.unit(1), sdm630, sampleValues(sdm630));
  const codes: string[] = [];
  let recovered = false;
  for (let i = 0; i < 5 && !recovered; i++) {
    try {
      const d = await meter.poll();
      assert.is(d.values.length, sdm630.points.length);
      recovered = true;
    } catch (e) {
      codes.push((e as { code: string }).code);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assert.ok(recovered, `not recovered: ${codes.join(',')}`);
  assert.ok(slave.units.count(1) >= 1);
  assert.ok(codes.every((c) => c === 'EDGE_MODBUS_CONNECTION' || c === 'EDGE_MODBUS_TIMEOUT' || c === 'EDGE_MODBUS_BACKOFF'), codes.join(','));
});

test('no listener: EDGE_MODBUS_CONNECTION, and the meter recovers when the endpoint comes back', async () => {
  const port = slave.port;
  await slave.close();
  const metrics = countingMetrics();
  const meter = createModbusMeter({ ...cfg(1), device: { unitId: 1, timeoutMs: 200, backoffBaseMs: 1 } }, pool, { metrics });
  const err = await meter.poll().then(() => undefined, (e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_MODBUS_CONNECTION'), String(err));
  // Same port again: the meter reopens its link on the next poll.
  slave = await startTcpSlave(undefined, port);
  renderTemplate(slave.units.unit(1), sdm630, sampleValues(sdm630));
  await new Promise((r) => setTimeout(r, 5)); // backoff of 1 ms has expired
  const draft = await meter.poll();
  assert.is(draft.values.length, sdm630.points.length);
});

test.run();
