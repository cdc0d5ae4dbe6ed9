// The BAL's logger adapter: exact lines (the bytes written before the core moved to shared):
// errors flattened to { code, message }, BigInt as string, no redaction, newline added by the
// default sink only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import { createLogger, silentLogger } from '../../src/log.js';

const TS = '2025-11-22T01:46:40.123Z';
const now = () => 1_763_776_000_123;

test('exact lines: errors, BigInt, nested values, bound and child fields', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', now, write: (l) => lines.push(l) }, { bound: 1 });
  log.debug('hidden');
  log.info('fields', { big: 12345678901234567890n, nested: { key: 'k', b: new Uint8Array([1, 2]) } });
  log.warn('errors', { err: new LightNodeError('BAL_X' as ErrorCode, 'bad', { key: 's' }), plain: new Error('oops'), coded: Object.assign(new Error('c'), { code: 'E_C' }) });
  log.child({ component: 'c1' }).error('child', { component: 'override', extra: [new Error('e')] });
  log.error('big deep', { arr: [1n] });
  assert.equal(lines, [
    `{"ts":"${TS}","level":"info","msg":"fields","bound":1,"big":"12345678901234567890","nested":{"key":"k","b":{"0":1,"1":2}}}`,
    `{"ts":"${TS}","level":"warn","msg":"errors","bound":1,"err":{"code":"BAL_X","message":"bad"},"plain":{"code":"Error","message":"oops"},"coded":{"code":"E_C","message":"c"}}`,
    `{"ts":"${TS}","level":"error","msg":"child","bound":1,"component":"override","extra":[{}]}`,
    `{"ts":"${TS}","level":"error","msg":"big deep","note":"unserialisable fields"}`,
  ]);
});

test('silentLogger and its children write nothing', () => {
  silentLogger.child({ a: 1 }).error('x');
});

test.run();
