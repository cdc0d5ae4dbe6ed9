import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { Backoff } from '../../src/scheduler/backoff.js';
import { reconnectBackoff } from '../../src/chain2/transport.js';

test("'tenth' (Chain 2 links): delays double up to the ceiling, ± 10 % jitter, and reset", () => {
  const d = reconnectBackoff({ reconnectMinMs: 100, reconnectMaxMs: 1000 }, () => 0.5);
  assert.equal([d.next(), d.next(), d.next(), d.next(), d.next(), d.next()], [100, 200, 400, 800, 1000, 1000]);
  d.reset();
  assert.is(d.next(), 100);
  const lo = reconnectBackoff({ reconnectMinMs: 100 }, () => 0);
  const hi = reconnectBackoff({ reconnectMinMs: 100 }, () => 0.999999);
  assert.is(lo.next(), 90);
  assert.is(hi.next(), 110);
  assert.throws(() => reconnectBackoff({ reconnectMinMs: 0 }), (e: unknown) => isLightNodeError(e, 'EDGE_BACKOFF_INVALID'));
});

test("'full' (uplink): uniform in [min, cap], cap doubling to max; attempts counted and reset", () => {
  const lo = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0 });
  const hi = new Backoff({ minMs: 100, maxMs: 1000, random: () => 1 });
  assert.equal([lo.next(), lo.next(), lo.next()], [100, 100, 100]);
  assert.equal([hi.next(), hi.next(), hi.next(), hi.next(), hi.next(), hi.next()], [100, 200, 400, 800, 1000, 1000]);
  assert.is(hi.attempts, 6);
  hi.reset();
  assert.is(hi.attempts, 0);
  assert.is(hi.next(), 100);
  const mid = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0.5 });
  mid.next();
  assert.is(mid.next(), 150, 'half way between min and the doubled cap');
});

test('max below min, a zero min and NaN are refused (the agent config refuses max < min first)', () => {
  assert.throws(() => new Backoff({ minMs: 1000, maxMs: 500 }), (e: unknown) => isLightNodeError(e, 'EDGE_BACKOFF_INVALID'));
  const b = new Backoff({ minMs: 1000, maxMs: 1000, random: () => 1 });
  assert.equal([b.next(), b.next()], [1000, 1000]);
  assert.throws(() => new Backoff({ minMs: 0, maxMs: 10 }), (e: unknown) => isLightNodeError(e, 'EDGE_BACKOFF_INVALID'));
  assert.throws(() => new Backoff({ minMs: Number.NaN, maxMs: 10 }), (e: unknown) => isLightNodeError(e, 'EDGE_BACKOFF_INVALID'));
});

test.run();
