import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../src/scheduler/clock.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { Metrics } from '../../src/ops/metrics.js';
import { isLightNodeError } from '@lightnode/shared/errors';

test('1 s and 15 min intervals fire on their boundaries, drift-free', async () => {
  const clock = new FakeClock(1_700_000_000_250);
  const s = new Scheduler({ clock });
  const fast: number[] = [];
  const slow: number[] = [];
  s.add('pmu', { intervalMs: 1000 }, (t) => { fast.push(t); });
  s.add('qh', { intervalMs: 900_000 }, (t) => { slow.push(t); });
  s.start();
  await clock.advance(1_800_000);
  s.stop();
  assert.is(fast.length, 1800);
  const boot: number[] = [];
  const s2 = new Scheduler({ clock });
  s2.add('boot', { intervalMs: 900_000 }, (t) => { boot.push(t); }, { runAtStart: true });
  s2.start();
  await clock.advance(1000);
  s2.stop();
  assert.equal(boot, [clock.now() - 1000], 'runAtStart: one run at start, the next on the boundary');
  assert.ok(fast.every((t, i) => t === 1_700_000_001_000 + i * 1000));
  assert.is(slow.length, 2);
  assert.ok(slow.every((t) => t % 900_000 === 0));
});

test('cron expressions with seconds, evaluated on the injected clock', async () => {
  const start = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
  const clock = new FakeClock(start);
  const s = new Scheduler({ clock });
  const hits: number[] = [];
  s.add('every10s', { cron: '*/10 * * * * *' }, (t) => { hits.push(t); });
  s.start();
  await clock.advance(60_000);
  s.stop();
  assert.is(hits.length, 6);
  assert.ok(hits.every((t) => new Date(t).getUTCSeconds() % 10 === 0));
  assert.throws(() => s.add('bad', { cron: '*/5 * * * *' }, () => undefined), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID'));
});

test('a busy job is skipped, counted, never overlapped; a throwing job is counted and keeps its schedule', async () => {
  const clock = new FakeClock(0 + 1_700_000_000_000);
  const metrics = new Metrics();
  const errors: string[] = [];
  const s = new Scheduler({ clock, metrics, onError: (j) => errors.push(j) });
  let release: () => void = () => undefined;
  let running = 0;
  let maxRunning = 0;
  s.add('slow', { intervalMs: 1000 }, () => new Promise<void>((r) => { running++; maxRunning = Math.max(maxRunning, running); release = () => { running--; r(); }; }));
  let n = 0;
  s.add('boom', { intervalMs: 1000 }, () => { n++; throw new Error('x'); });
  s.start();
  await clock.advance(3000);
  assert.is(maxRunning, 1);
  assert.is(metrics.value('scheduler_skipped_total', { job: 'slow' }), 2);
  release();
  await new Promise((r) => setImmediate(r)); // let the job's promise settle
  await clock.advance(1000);
  assert.is(metrics.value('scheduler_runs_total', { job: 'slow' }), 2);
  assert.is(n, 4);
  assert.is(metrics.value('scheduler_failed_total', { job: 'boom' }), 4);
  assert.is(errors.length, 4);
  s.stop();
});

test.run();
