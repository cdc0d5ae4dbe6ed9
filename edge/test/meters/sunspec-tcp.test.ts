// SunSpec meters (model 203 int+SF, model 213 float) over Modbus TCP: the model chain is walked
// on the first poll (no hard-coded addresses), sentinels drop points silently.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { physicalValue } from '@lightnode/shared/quantities';
import { ModbusLinePool, createModbusMeter } from '../../src/meters/modbus-factory.js';
import { loadTemplate } from '../../src/meters/template.js';
import { countingMetrics } from '../../src/meters/source.js';
import { encodeRegisters } from '../../src/modbus/decode.js';
import { startTcpSlave, type RegisterBank, type RunningSlave } from '../modbus/slave.js';
import { renderTemplate, sampleValues } from './images.js';

let slave: RunningSlave;
let pool: ModbusLinePool;
test.before.each(async () => {
  slave = await startTcpSlave();
  pool = new ModbusLinePool();
});
test.after.each(async () => {
  await pool.closeAll();
  await slave.close();
});

/** SunS + Common (L=66) + optional extra model + meter model + end marker; returns the model address. */
function layChain(bank: RegisterBank, base: number, modelId: number, length: number, extra?: [number, number]): number {
  bank.set(3, base, [0x5375, 0x6e53]);
  let a = base + 2;
  bank.set(3, a, [1, 66, ...new Array(66).fill(0x2020)]);
  a += 68;
  if (extra) {
    bank.set(3, a, [extra[0], extra[1], ...new Array(extra[1]).fill(0)]);
    a += 2 + extra[1];
  }
  const model = a;
  bank.set(3, a, [modelId, length, ...new Array(length).fill(0)]);
  a += 2 + length;
  bank.set(3, a, [0xffff, 0]);
  return model;
}

const cfg = (unitId: number, template: string) => ({ id: `ss-${unitId}`, template, link: { kind: 'tcp' as const, host: '127.0.0.1', port: slave.port }, device: { unitId, timeoutMs: 500 } });

test('model 203 at base 40000 behind another model: discovery, scale factors, values', async () => {
  const t = loadTemplate('sunspec-203');
  const bank = slave.units.unit(1);
  bank.strictHoles = true;
  const model = layChain(bank, 40000, 203, 105, [120, 26]);
  const values = sampleValues(t);
  renderTemplate(bank, t, values, model, -2);
  // TotWh_SF = 0: energy registers carry Wh directly.
  bank.set(3, model + 54, encodeRegisters(0, 'sunssf', 'ABCD'));
  for (const p of t.points.filter((p) => p.scaleFactorAddress === 54)) bank.set(3, model + p.address, encodeRegisters(values[p.name]!, 'acc32', 'ABCD'));
  bank.set(3, model + 71, [0x8000]); // TotVAh_SF "not available"
  const meter = createModbusMeter(cfg(1, 'sunspec-203'), pool);
  const draft = await meter.poll();
  assert.is(meter.modelAddress, model);
  assert.is(draft.values.length, t.points.length - 2, 'TotVAh_SF = 0x8000 → the two apparent-energy points are dropped');
  const volts = draft.values.find((v) => v.quantity === '1-0:32.7.0')!;
  assert.ok(Math.abs(physicalValue(volts) - values.PhVphA!) <= 0.01);
  const wh = draft.values.find((v) => v.quantity === '1-0:1.8.0')!;
  assert.is(physicalValue(wh), values.TotWhImp);
  const pf = draft.values.find((v) => v.quantity === '1-0:13.7.0')!;
  assert.ok(Math.abs(physicalValue(pf) - 0.95) < 0.001);
  // A later poll needs no discovery: only the data blocks.
  const before = slave.units.count(1);
  await meter.poll();
  assert.is(slave.units.count(1) - before, meter.blocks.length);
});

test('model 213 at base 0: float values, NaN = not implemented (dropped, not an error)', async () => {
  const t = loadTemplate('sunspec-213');
  const bank = slave.units.unit(2);
  bank.strictHoles = true;
  bank.set(3, 40000, [0, 0]); // something else lives at 40000
  const model = layChain(bank, 0, 213, 124);
  const values = sampleValues(t);
  renderTemplate(bank, t, values, model);
  bank.set(3, model + 26, encodeRegisters(NaN, 'float32', 'ABCD')); // Hz not implemented
  const metrics = countingMetrics();
  const meter = createModbusMeter(cfg(2, 'sunspec-213'), pool, { metrics });
  const draft = await meter.poll();
  assert.is(meter.modelAddress, model);
  assert.is(draft.values.length, t.points.length - 1);
  assert.not.ok(draft.values.some((v) => v.quantity === '1-0:14.7.0'));
  assert.is(metrics.counts.get('EDGE_VALUE_INVALID'), undefined);
  const w = draft.values.find((v) => v.quantity === '1-0:16.7.0')!;
  assert.ok(Math.abs(physicalValue(w) - values.W!) < 0.1);
});

test('no SunSpec marker anywhere → EDGE_SUNSPEC_NOT_FOUND, counted', async () => {
  const bank = slave.units.unit(3);
  bank.strictHoles = true;
  bank.set(3, 0, [1, 2, 3]);
  const metrics = countingMetrics();
  const meter = createModbusMeter(cfg(3, 'sunspec-203'), pool, { metrics });
  const err = await meter.poll().catch((e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_SUNSPEC_NOT_FOUND'), String(err));
  assert.is(metrics.counts.get('EDGE_SUNSPEC_NOT_FOUND'), 1);
});

test.run();
