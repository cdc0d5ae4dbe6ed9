// The agent's logger adapter: exact lines (the bytes written before the core moved to shared):
// secret-named fields redacted at any depth, errors reduced to code/message (+details), bytes
// summarised, depth capped, and each line handed to the sink with its newline.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import { createLogger, nullLogger } from '../../src/ops/logger.js';

const TS = '2025-11-22T01:46:40.123Z';
const now = () => 1_763_776_000_123;

test('exact lines: redaction, errors, bytes, BigInt, bound and child fields, depth cap', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', now, write: (l) => lines.push(l), fields: { bound: 1 } });
  log.debug('hidden');
  log.info('fields', { big: 12345678901234567890n, nested: { key: 'k', deep: { password: 'p', b: new Uint8Array([1, 2]) } } });
  log.warn('errors', { err: new LightNodeError('EDGE_X' as ErrorCode, 'bad', { field: 'f', key: 's' }), plain: new Error('oops') });
  log.child({ component: 'c1', key: 'bound' }).error('child', { component: 'override', arr: [1, 2n, { seed: 's' }] });
  const circ: Record<string, unknown> = { a: 1 }; circ.self = circ;
  log.warn('circular', { circ });
  assert.equal(lines, [
    `{"ts":"${TS}","level":"info","msg":"fields","bound":1,"big":"12345678901234567890","nested":{"key":"[redacted]","deep":{"password":"[redacted]","b":"[bytes 2]"}}}\n`,
    `{"ts":"${TS}","level":"warn","msg":"errors","bound":1,"err":{"code":"EDGE_X","message":"bad","details":{"field":"f","key":"[redacted]"}},"plain":{"name":"Error","message":"oops"}}\n`,
    `{"ts":"${TS}","level":"error","msg":"child","bound":1,"component":"override","key":"[redacted]","arr":[1,"2",{"seed":"[redacted]"}]}\n`,
    `{"ts":"${TS}","level":"warn","msg":"circular","bound":1,"circ":{"a":1,"self":{"a":1,"self":{"a":1,"self":{"a":1,"self":{"a":1,"self":{"a":"[depth]","self":"[depth]"}}}}}}}\n`,
  ]);
});

test('nullLogger and its children write nothing', () => {
  nullLogger.child({ a: 1 }).error('x');
});

test.run();
