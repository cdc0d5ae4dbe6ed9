// The anchor lease on a fake clock (store and candidates on the same clock, a real SQLite file):
// one leader at a time; a leader cut off from the store stops counting itself leader at its
// renew deadline, before its lease ends; the other candidate takes over once it has ended, with
// the next epoch; a stopped leader releases the lease at once. Timing rules are checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@lightnode/shared/clock';
import { isLightNodeError } from '@lightnode/shared/errors';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { checkLeaseTiming, startLease } from '../../src/anchor/lease.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-lease-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const TIMING = { ttlMs: 5000, renewMs: 1500, renewDeadlineMs: 4000 };
const STEP = 50;

function cuttable(store: BalStore): { store: BalStore; cut(on: boolean): void } {
  let cut = false;
  return {
    store: new Proxy(store, {
      get(t, p, r) {
        const v = Reflect.get(t, p, r) as unknown;
        return typeof v === 'function' ? (...a: unknown[]) => (cut ? Promise.reject(new Error('connection refused (cut)')) : (v as (...x: unknown[]) => unknown).apply(t, a)) : v;
      },
    }),
    cut: (on) => { cut = on; },
  };
}

test('a cut-off leader stops before its lease ends; the other takes over after it ended, with the next epoch', async () => {
  const clock = new FakeClock(1_800_000_000_000, () => new Promise((r) => setImmediate(r)));
  const path = join(dir, 'cut.db');
  const rawA = openSqliteStore({ path, now: () => clock.now() });
  const storeB = openSqliteStore({ path, now: () => clock.now() });
  const a = cuttable(rawA);
  const metricsA = new MetricsRegistry();
  const la = startLease({ store: a.store, holder: 'a', clock, log: silentLogger, metrics: metricsA, timing: TIMING });
  await la.renew();
  const lb = startLease({ store: storeB, holder: 'b', clock, log: silentLogger, metrics: new MetricsRegistry(), timing: TIMING });
  await lb.renew();
  assert.equal(la.status(), { role: 'leader', epoch: 1, holder: 'a' });
  assert.equal(lb.status(), { role: 'follower', epoch: null, holder: 'b' });
  assert.equal(la.fence(), { name: 'anchor', epoch: 1 });
  assert.is(lb.fence(), null);

  for (let t = 0; t < 6000; t += STEP) { await clock.advance(STEP); assert.ok(la.isLeader(), 'a renews and stays leader'); assert.not.ok(lb.isLeader()); }

  a.cut(true);
  const endOfLease = (await storeB.readLease('anchor'))!.expiresAtMs; // a's last renewal + ttl, on the store clock
  let aStopped: number | null = null;
  let bLeads: number | null = null;
  for (let t = 0; t < 20_000 && bLeads === null; t += STEP) {
    await clock.advance(STEP);
    if (aStopped === null && !la.isLeader()) aStopped = clock.now();
    if (lb.isLeader()) bLeads = clock.now();
    assert.not.ok(la.isLeader() && lb.isLeader(), 'never two leaders');
  }
  assert.ok(aStopped !== null && bLeads !== null, 'a stopped and b took over');
  assert.ok(aStopped! < endOfLease, `a stopped (${aStopped! - endOfLease} ms) before its lease ended`);
  assert.ok(endOfLease - aStopped! >= TIMING.ttlMs - TIMING.renewDeadlineMs - STEP, 'about ttl - renewDeadline before');
  assert.ok(bLeads! >= endOfLease, 'b only after the lease ended');
  assert.ok(bLeads! - (endOfLease - TIMING.ttlMs) <= TIMING.ttlMs + TIMING.renewMs + STEP, 'b within ttl + renew period of a\'s last renewal');
  assert.is(lb.status().epoch, 2);
  assert.ok(metricsA.counter('bal_lease_renew_errors_total', '', ['lease']).get({ lease: 'anchor' }) >= 1);
  assert.is(metricsA.counter('bal_lease_lost_total', '', ['lease']).get({ lease: 'anchor' }), 1);

  // a is back: it stays follower while b renews.
  a.cut(false);
  for (let t = 0; t < 5000; t += STEP) { await clock.advance(STEP); assert.not.ok(la.isLeader()); assert.ok(lb.isLeader()); }

  // b stops (SIGTERM): it releases, a takes over at its next attempt without waiting for the TTL.
  await lb.stop();
  await clock.advance(TIMING.renewMs + STEP);
  assert.equal(la.status(), { role: 'leader', epoch: 3, holder: 'a' });
  await la.stop();
  await rawA.close();
  await storeB.close();
});

test('lease timing must satisfy renewMs < renewDeadlineMs < ttlMs', () => {
  for (const bad of [{ ttlMs: 5000, renewMs: 1500, renewDeadlineMs: 5000 }, { ttlMs: 5000, renewMs: 4000, renewDeadlineMs: 4000 }]) {
    try { checkLeaseTiming(bad); assert.unreachable('accepted'); } catch (err) { assert.ok(isLightNodeError(err, 'BAL_LEASE_TIMING'), String(err)); }
  }
  assert.equal(checkLeaseTiming(TIMING), TIMING);
});

test.run();

