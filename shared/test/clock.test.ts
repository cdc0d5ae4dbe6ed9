// The clock seam: FakeClock fires due timers in time order (and timers they schedule), clears,
// sleeps and settles between timers; hostClock unrefs timers unless keepAlive and never a sleep.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock, hostClock } from '../src/clock.js';

test('FakeClock: due timers in time order, nested ones too, cleared ones never', async () => {
  const c = new FakeClock(1_000);
  const fired: string[] = [];
  c.setTimeout(() => fired.push(`b@${c.now()}`), 20);
  c.setTimeout(() => { fired.push(`a@${c.now()}`); c.setTimeout(() => fired.push(`a2@${c.now()}`), 5); }, 10);
  const h = c.setTimeout(() => fired.push('never'), 15);
  c.clearTimeout(h);
  c.setTimeout(() => fired.push('late'), 31);
  assert.is(c.pending, 3);
  await c.advance(30);
  assert.equal(fired, ['a@1010', 'a2@1015', 'b@1020']);
  assert.is(c.now(), 1_030);
  assert.is(c.pending, 1);
});

test('FakeClock: sleep resolves when time reaches it; settle runs after each timer', async () => {
  let settles = 0;
  const c = new FakeClock(0, async () => { settles++; });
  let woke = -1;
  void c.sleep(100).then(() => { woke = c.now(); });
  await c.sleep(0);
  await c.advance(99);
  assert.is(woke, -1);
  await c.advance(1);
  assert.is(woke, 100);
  assert.is(settles, 1);
});

test('hostClock: timers unref\'d unless keepAlive, sleep ref\'d, time from the host', async () => {
  const unrefs: number[] = [];
  const pending: (() => void)[] = [];
  let cleared: unknown = null;
  const host = {
    now: () => 42,
    setTimeout: (fn: () => void, ms: number) => { pending.push(fn); return { ms, unref: () => unrefs.push(ms) }; },
    clearTimeout: (h: unknown) => { cleared = h; },
  };
  const clock = hostClock(host);
  assert.is(clock.now(), 42);
  const h = clock.setTimeout(() => {}, 1);
  clock.setTimeout(() => {}, 2, { keepAlive: true });
  const slept = clock.sleep(3);
  assert.equal(unrefs, [1], 'only the plain timer is unref\'d');
  clock.clearTimeout(h);
  assert.is(cleared, h);
  pending[2]!();
  await slept;
  await clock.sleep(0);
});

test.run();
