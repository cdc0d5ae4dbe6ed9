// The anchorer's timing on a FakeClock (no real waits): passes every interval after the last
// one ended, never overlapping; stop cancels the timer; a flush repeats until done or times out;
// window closure and the size-probe throttle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '@lightnode/shared/clock';
import { isLightNodeError } from '@lightnode/shared/errors';
import { repeatUntilDone, startPollLoop } from '../../src/anchor/poll-loop.js';
import { createSizeProbe, sizeProbeIntervalMs, windowClosed } from '../../src/anchor/window.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('passes run every interval after the previous one ended; a slow pass stretches the cycle', async () => {
  const clock = new FakeClock(0, turn);
  const starts: number[] = [];
  let slow = false;
  const loop = startPollLoop(clock, 1_000, async () => {
    starts.push(clock.now());
    if (slow) { slow = false; await clock.sleep(2_500); }
  });
  await clock.advance(3_000);
  assert.equal(starts, [1_000, 2_000, 3_000]);
  slow = true;
  await clock.advance(10_000);
  assert.equal(starts, [1_000, 2_000, 3_000, 4_000, 7_500, 8_500, 9_500, 10_500, 11_500, 12_500], '4,000 took 2.5 s: next at 7,500');
  await loop.stop();
  assert.is(clock.pending, 0, 'stop clears the timer');
  await clock.advance(10_000);
  assert.is(starts.length, 10, 'no pass after stop');
});

test('run joins the running pass; stop waits for it', async () => {
  const clock = new FakeClock(0, turn);
  let release!: () => void;
  let passes = 0;
  const forced: boolean[] = [];
  const loop = startPollLoop(clock, 60_000, (force) => { passes++; forced.push(force); return new Promise<void>((r) => { release = r; }); });
  const a = loop.run(true);
  const b = loop.run(false);
  assert.is(passes, 1, 'second run joined the first');
  let stopped = false;
  const s = loop.stop().then(() => { stopped = true; });
  await turn();
  assert.not.ok(stopped, 'stop waits for the running pass');
  release();
  await Promise.all([a, b, s]);
  assert.ok(stopped);
  assert.equal(forced, [true]);
  await loop.idle();
});

test('repeatUntilDone: steps every interval until done, BAL_TIMEOUT after the deadline', async () => {
  const clock = new FakeClock(0, turn);
  const at: number[] = [];
  let left = 3;
  const done = repeatUntilDone(clock, 10_000, 200, 'flush', async () => { at.push(clock.now()); return --left === 0 ? null : `${left} open`; });
  await turn(); // the first step runs before its first sleep is set
  await clock.advance(1_000);
  await done;
  assert.equal(at, [0, 200, 400]);

  const err = repeatUntilDone(clock, 1_000, 200, 'anchorer flush', async () => '2 pending, 0 unconfirmed').catch((e: unknown) => e);
  await turn();
  await clock.advance(2_000);
  const e = await err;
  assert.ok(isLightNodeError(e, 'BAL_TIMEOUT'));
  assert.is((e as Error).message, 'anchorer flush timed out: 2 pending, 0 unconfirmed');
});

test('window closes by size or by age; the size probe runs at most every interval unless forced', () => {
  assert.not.ok(windowClosed(3, 1_000, 60_999, 60_000, 4), 'open: 3 of 4, 59.999 s old');
  assert.ok(windowClosed(3, 1_000, 61_000, 60_000, 4), 'aged');
  assert.ok(windowClosed(4, 1_000, 1_000, 60_000, 4), 'full');
  assert.is(sizeProbeIntervalMs(1_000, 60_000), 5_000);
  assert.is(sizeProbeIntervalMs(1_000, 20_000), 2_000);
  assert.is(sizeProbeIntervalMs(1_000, 0), 1_000);
  const probe = createSizeProbe(5_000);
  assert.ok(probe.take(0, false), 'first probe');
  assert.not.ok(probe.take(4_999, false), 'throttled');
  assert.ok(probe.take(4_999, true), 'forced (aged window)');
  assert.not.ok(probe.take(9_998, false), 'the forced probe counts');
  assert.ok(probe.take(9_999, false));
  probe.reset();
  assert.ok(probe.take(10_000, false), 'reset: probe again at once');
});

test.run();
