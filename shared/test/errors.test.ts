import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LightNodeError, ValidationError, isLightNodeError, describe } from '../src/errors.js';

test('LightNodeError keeps a stable code and frozen details', () => {
  const err = new LightNodeError('EDGE_MODBUS_TIMEOUT', 'meter 3 did not answer', { meter: 'm3' });
  assert.is(err.code, 'EDGE_MODBUS_TIMEOUT');
  assert.ok(err instanceof Error);
  assert.ok(Object.isFrozen(err.details));
  assert.equal(err.toJSON(), { code: 'EDGE_MODBUS_TIMEOUT', message: 'meter 3 did not answer', details: { meter: 'm3' } });
});

test('isLightNodeError matches on code, not on message text', () => {
  const err = new ValidationError('PROTO_READING_INVALID', 'seq', 'a non-negative safe integer', -1);
  assert.ok(isLightNodeError(err));
  assert.ok(isLightNodeError(err, 'PROTO_READING_INVALID'));
  assert.not.ok(isLightNodeError(err, 'PROTO_HEX_INVALID'));
  assert.not.ok(isLightNodeError(new Error('PROTO_READING_INVALID')));
  assert.match(err.message, /seq: expected a non-negative safe integer, found number -1/);
});

test('describe truncates long strings and tags types', () => {
  assert.is(describe('x'.repeat(100)).startsWith('string(100)'), true);
  assert.is(describe(new Uint8Array(3)), 'bytes(3)');
  assert.is(describe([1, 2]), 'array(2)');
  assert.is(describe(null), 'null');
});

test.run();
