// The lab config's environment overrides follow the workspace rule SIM_<PATH> (shared config-env).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { validateLabConfig } from '../src/lab-config.js';

const lab = { tcp: [{ name: 'lan' }], devices: [{ id: 'm', type: 'sdm630', slaveId: 1, tcp: 'lan' }] };

test('SIM_TIME_ACCELERATION, SIM_CONTROL_PORT and SIM_DEVICES (JSON) override the file; others are ignored', () => {
  const c = validateLabConfig(lab, { SIM_TIME_ACCELERATION: '3600', SIM_CONTROL_PORT: '8123', SIM_CONTROL__PORT: '1', SIM_SEED: '', SIM_DEVICES: '[{"id":"x","type":"ems","slaveId":9,"tcp":"lan"}]' });
  assert.is(c.timeAcceleration, 3600);
  assert.equal(c.control, { host: '127.0.0.1', port: 8123 });
  assert.is(c.seed, 1, 'empty = unset');
  assert.is(c.devices[0]!.id, 'x');
  assert.is(validateLabConfig(lab).timeAcceleration, 1, 'no env: the file');
});

test('a bad variable names itself and the field', () => {
  try { validateLabConfig(lab, { SIM_CONTROL_PORT: 'http' }); assert.unreachable(); } catch (e) {
    assert.ok(isLightNodeError(e, 'CONFIG_INVALID'));
    assert.is(e.details['field'], 'control.port');
    assert.match(e.message, /^SIM_CONTROL_PORT \(control\.port\): expected integer 0\.\.65535, found "http"/);
  }
});

test.run();
