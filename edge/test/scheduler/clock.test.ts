import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock, every, systemClock } from '../../src/scheduler/clock.js';

test('FakeClock: timers fire in time order on advance; cleared ones never; sleep resolves on time', async () => {
  const c = new FakeClock(1000);
  const fired: string[] = [];
  c.setTimeout(() => fired.push('b'), 20);
  c.setTimeout(() => fired.push('a'), 10);
  const h = c.setTimeout(() => fired.push('x'), 15);
  c.clearTimeout(h);
  let slept = false;
  void c.sleep(30).then(() => { slept = true; });
  await c.advance(25);
  assert.equal(fired, ['a', 'b']);
  assert.is(c.now(), 1025);
  assert.is(slept, false);
  await c.advance(5);
  assert.is(slept, true);
  assert.is(c.pending, 0);
});

test('every: repeats on the clock until cancelled, and keeps going when fn throws', async () => {
  const c = new FakeClock(0);
  const at: number[] = [];
  const cancel = every(c, 100, () => { at.push(c.now()); if (at.length === 2) throw new Error('job failed'); });
  await c.advance(250).catch(() => undefined);
  // the throw escapes advance's timer call; the next tick was armed before fn ran
  await c.advance(100);
  assert.equal(at, [100, 200, 300]);
  cancel();
  await c.advance(1000);
  assert.is(at.length, 3);
  assert.is(c.pending, 0);
});

test('systemClock.sleep waits at least ms; 0 resolves at once', async () => {
  const t0 = Date.now();
  await systemClock.sleep(20);
  assert.ok(Date.now() - t0 >= 19);
  await systemClock.sleep(0);
});

test.run();
