// The periodic retention pass of `bal run`: one pass at a time, again after each interval; stop
// waits for a running pass and starts no other.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startRetentionTimer, type PassResult, type Retention } from '../../src/retention/retention.js';

function fakeRetention(passMs: number): Retention & { passes: number; running: number; maxRunning: number } {
  const r = {
    passes: 0, running: 0, maxRunning: 0,
    async pass(): Promise<PassResult> {
      r.passes++; r.running++; r.maxRunning = Math.max(r.maxRunning, r.running);
      await new Promise((ok) => setTimeout(ok, passMs));
      r.running--;
      return { cutoffMs: 0, days: [], waiting: [], errors: [] };
    },
    archiveDays: () => Promise.reject(new Error('unused')),
    restoreDays: () => Promise.reject(new Error('unused')),
  };
  return r;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 10));
  }
}

test('passes repeat, never overlap, and stop waits for the running one', async () => {
  const r = fakeRetention(30);
  const timer = startRetentionTimer(r, 5, 5);
  await until(() => r.passes >= 3, 'three passes');
  await until(() => r.running === 1, 'a pass in progress');
  await timer.stop();
  assert.is(r.running, 0, 'stop returned after the running pass ended');
  const after = r.passes;
  await new Promise((ok) => setTimeout(ok, 100));
  assert.is(r.passes, after, 'no pass after stop');
  assert.is(r.maxRunning, 1);
});

test.run();
