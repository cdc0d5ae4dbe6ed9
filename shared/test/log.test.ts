// The shared JSON-lines logger core: field order, level filter, bound fields and children,
// the injected field policy, and the fallback line for unserialisable fields.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createJsonLogger, nullLogger, parseLogLevel } from '../src/log.js';

const now = () => 1_763_776_000_123;
const TS = '2025-11-22T01:46:40.123Z';

function capture(level?: 'debug' | 'info' | 'warn' | 'error', field: (k: string, v: unknown) => unknown = (_k, v) => v) {
  const lines: string[] = [];
  return { lines, log: createJsonLogger({ level, now, write: (l) => lines.push(l), field }) };
}

test('line: ts, level, msg first, then fields in call order; no newline given to the sink', () => {
  const { lines, log } = capture();
  log.info('hello', { b: 2, a: 1 });
  assert.equal(lines, [`{"ts":"${TS}","level":"info","msg":"hello","b":2,"a":1}`]);
});

test('level filter: default info; below the minimum nothing is written', () => {
  const c = capture();
  c.log.debug('no');
  assert.equal(c.lines, []);
  const w = capture('warn');
  w.log.info('no'); w.log.warn('yes'); w.log.error('yes');
  assert.equal(w.lines.map((l) => JSON.parse(l).level), ['warn', 'error']);
});

test('child: bound fields before call fields; a call field replaces a bound one in place', () => {
  const { lines, log } = capture();
  log.child({ component: 'x', k: 1 }).child({ sub: 2 }).info('m', { k: 9, extra: true });
  assert.equal(lines, [`{"ts":"${TS}","level":"info","msg":"m","component":"x","k":9,"sub":2,"extra":true}`]);
});

test('the field policy sees each top-level name and value', () => {
  const seen: string[] = [];
  const { lines, log } = capture('info', (k, v) => { seen.push(k); return k === 'secret' ? '[redacted]' : v; });
  log.child({ secret: 's' }).warn('m', { n: 1 });
  assert.equal(seen, ['secret', 'n']);
  assert.equal(lines, [`{"ts":"${TS}","level":"warn","msg":"m","secret":"[redacted]","n":1}`]);
});

test('unserialisable fields: one fallback line, never a throw', () => {
  const { lines, log } = capture();
  const circ: Record<string, unknown> = {}; circ.self = circ;
  log.error('boom', { circ, big: 1n });
  assert.equal(lines, [`{"ts":"${TS}","level":"error","msg":"boom","note":"unserialisable fields"}`]);
});

test('nullLogger writes nothing; parseLogLevel defaults to info', () => {
  nullLogger.child({ a: 1 }).error('x');
  assert.is(parseLogLevel('debug'), 'debug');
  assert.is(parseLogLevel('verbose'), 'info');
  assert.is(parseLogLevel(undefined), 'info');
});

test.run();
