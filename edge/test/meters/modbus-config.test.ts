// Modbus meter config entries: good ones pass through, hostile ones fail naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { validateModbusMeterConfig } from '../../src/meters/modbus-config.js';
import { ModbusLinePool, createModbusMeter } from '../../src/meters/modbus-factory.js';

const good = () => ({
  id: 'main',
  kind: 'modbus',
  intervalMs: 1000,
  template: 'sdm630',
  link: { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'none' },
  line: { interFrameGapMs: 5, slaveSwitchPauseMs: 200 },
  device: { unitId: 1, timeoutMs: 500, retries: 1, backoffBaseMs: 1000, backoffMaxMs: 60000 },
  maxHoleFill: 20,
});

test('a full entry is accepted; agent-owned keys are ignored', () => {
  const c = validateModbusMeterConfig(good());
  assert.equal(c, {
    id: 'main',
    template: 'sdm630',
    link: { kind: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'none' },
    line: { interFrameGapMs: 5, slaveSwitchPauseMs: 200 },
    device: { unitId: 1, timeoutMs: 500, retries: 1, backoffBaseMs: 1000, backoffMaxMs: 60000 },
    maxHoleFill: 20,
  });
  assert.equal(validateModbusMeterConfig({ id: 'x', template: 'sdm120', link: { kind: 'tcp', host: 'h', port: 502 }, device: { unitId: 3 } }).link, { kind: 'tcp', host: 'h', port: 502 });
});

const HOSTILE: [string, (c: any) => void, string][] = [
  ['bad id', (c) => (c.id = 'a b'), 'm.id'],
  ['unknown key', (c) => (c.baud = 1), 'm.baud'],
  ['no link', (c) => delete c.link, 'm.link'],
  ['link kind', (c) => (c.link.kind = 'udp'), 'm.link.kind'],
  ['tcp without port', (c) => (c.link = { kind: 'tcp', host: 'h' }), 'm.link.port'],
  ['port 70000', (c) => (c.link = { kind: 'tcp', host: 'h', port: 70000 }), 'm.link.port'],
  ['parity', (c) => (c.link.parity = 'mark'), 'm.link.parity'],
  ['unit id 300', (c) => (c.device.unitId = 300), 'm.device.unitId'],
  ['no unit id', (c) => delete c.device.unitId, 'm.device.unitId'],
  ['timeout 0', (c) => (c.device.timeoutMs = 0), 'm.device.timeoutMs'],
  ['retries "2"', (c) => (c.device.retries = '2'), 'm.device.retries'],
  ['negative gap', (c) => (c.line.interFrameGapMs = -1), 'm.line.interFrameGapMs'],
  ['hole fill 500', (c) => (c.maxHoleFill = 500), 'm.maxHoleFill'],
];
for (const [name, mutate, field] of HOSTILE) {
  test(`hostile config: ${name} → CONFIG_INVALID naming ${field}`, () => {
    const c = good();
    mutate(c);
    try {
      validateModbusMeterConfig(c, 'm');
    } catch (e) {
      assert.ok(isLightNodeError(e, 'CONFIG_INVALID'), String(e));
      assert.is(e.details.field, field);
      return;
    }
    assert.unreachable('accepted');
  });
}

test('createModbusMeter validates raw entries and refuses disagreeing options on one line', async () => {
  const pool = new ModbusLinePool();
  assert.throws(() => createModbusMeter({ ...good(), device: { unitId: 999 } } as never, pool), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID'));
  const a = createModbusMeter(good() as never, pool);
  assert.throws(() => createModbusMeter({ ...good(), id: 'b', line: { interFrameGapMs: 50 } } as never, pool), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID'));
  await a.close();
  await pool.closeAll();
});

test.run();
