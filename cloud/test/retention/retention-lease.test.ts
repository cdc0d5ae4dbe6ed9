// Retention is a singleton job: two instances (each its own store connection on one SQLite file,
// each its own retention timer and archive directory) compete for the `retention` lease. Only
// the leader runs passes; the other skips them (counted); when the leader dies (its store cut
// off, renewals fail) the other takes over after the lease ended and runs the passes. A pass that
// started as leader stops at the next day once the lease is lost (`active`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { systemClock } from '../../src/clock.js';
import { RETENTION_LEASE, startLease, type Lease } from '../../src/anchor/lease.js';
import { createRetention, startRetentionTimer, type PassResult, type Retention } from '../../src/retention/retention.js';
import { DAY_MS } from '../../src/retention/archive-record.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-retention-lease-'));
const TIMING = { ttlMs: 1000, renewMs: 200, renewDeadlineMs: 700 };
const stops: (() => Promise<void>)[] = [];
test.after(async () => { for (const s of stops.reverse()) await s().catch(() => {}); rmSync(dir, { recursive: true, force: true }); });

function cuttable(store: BalStore): { store: BalStore; cut(on: boolean): void } {
  let cut = false;
  return {
    store: new Proxy(store, {
      get(t, p, r) {
        const v = Reflect.get(t, p, r) as unknown;
        if (typeof v !== 'function' || p === 'close') return v;
        return (...a: unknown[]) => (cut ? Promise.reject(new Error('connection refused (cut)')) : (v as (...x: unknown[]) => unknown).apply(t, a));
      },
    }),
    cut: (on) => { cut = on; },
  };
}

/** A retention whose passes are counted (what a pass does is tested in retention-suite.ts). */
function countingRetention(): Retention & { passes: number } {
  const r = {
    passes: 0,
    async pass(): Promise<PassResult> { r.passes++; return { cutoffMs: 0, days: [], waiting: [], errors: [] }; },
    archiveDays: () => Promise.reject(new Error('unused')),
    restoreDays: () => Promise.reject(new Error('unused')),
  };
  return r;
}

interface Instance { name: string; lease: Lease; retention: ReturnType<typeof countingRetention>; metrics: MetricsRegistry; cut(on: boolean): void }

function instance(name: string, path: string): Instance {
  const raw = openSqliteStore({ path });
  const c = cuttable(raw);
  const metrics = new MetricsRegistry({ constLabels: { instance_id: name, roles: 'ingest' } });
  const lease = startLease({ store: c.store, holder: name, name: RETENTION_LEASE, clock: systemClock, log: silentLogger, metrics, timing: TIMING });
  const retention = countingRetention();
  const timer = startRetentionTimer(retention, 50, 50, { lease, metrics });
  stops.push(async () => { await timer.stop(); c.cut(false); await lease.stop(); await raw.close(); });
  return { name, lease, retention, metrics, cut: c.cut };
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const skippedOf = (i: Instance): number => i.metrics.counter('bal_retention_skipped_passes_total', '', ['reason']).get({ reason: 'follower' });

test('only the retention lease holder runs passes; the other takes over when it dies', async () => {
  const path = join(dir, 'two.db');
  const a = instance('bal-a', path);
  await until('a leads', () => a.lease.isLeader());
  const b = instance('bal-b', path);
  await until('both ran their timers a while', () => a.retention.passes >= 5 && skippedOf(b) >= 5);
  assert.is(b.retention.passes, 0, 'b (follower) ran no pass');
  assert.not.ok(b.lease.isLeader());
  assert.match(a.metrics.render(), /bal_lease_leader\{instance_id="bal-a",roles="ingest",lease="retention"\} 1/);
  assert.match(b.metrics.render(), /bal_retention_skipped_passes_total\{instance_id="bal-b",roles="ingest",reason="follower"\} [1-9]/);

  // a dies for the store: its renewals fail; it stops before its lease ends, b takes over after.
  const cutAt = Date.now();
  a.cut(true);
  await until('a stopped counting itself leader', () => !a.lease.isLeader());
  const aStopped = Date.now() - cutAt;
  const passesOfA = a.retention.passes;
  await until('b leads', () => b.lease.isLeader());
  const bLeads = Date.now() - cutAt;
  process.stdout.write(`retention lease: a stopped ${aStopped} ms after the cut, b led ${bLeads} ms after (ttl ${TIMING.ttlMs} ms)\n`);
  assert.ok(aStopped <= TIMING.renewDeadlineMs + 100, 'a stopped within its renew deadline');
  assert.ok(bLeads >= aStopped, 'never two leaders');
  await until('b runs passes', () => b.retention.passes >= 3);
  await sleep(300);
  assert.is(a.retention.passes, passesOfA, 'a, cut off, runs no more passes');
  assert.ok(skippedOf(a) > 0, 'a skips its passes now');
});

test('a pass that lost the lease stops at the next day', async () => {
  const store = openSqliteStore({ path: join(dir, 'days.db') });
  stops.push(() => store.close());
  let leader = true;
  const asked: number[] = [];
  // Two due days with unconfirmed readings would only wait; here the store says two days are due and
  // all confirmed, and the retention's `active` answers false after the first day's attempt.
  const fake: BalStore = new Proxy(store, {
    get(t, p, r) {
      if (p === 'retentionDays') return async () => [{ dayMs: 10 * DAY_MS, readings: 1, unconfirmed: 0 }, { dayMs: 11 * DAY_MS, readings: 1, unconfirmed: 0 }];
      if (p === 'readingsOfDay') return async (dayMs: number) => { asked.push(dayMs); leader = false; return []; };
      return Reflect.get(t, p, r) as unknown;
    },
  });
  const retention = createRetention({ days: 5, archiveDir: join(dir, 'arch') }, {
    store: fake, deployment: { chainId: 1, podRegistry: `0x${'1'.repeat(40)}`, readingAnchor: `0x${'2'.repeat(40)}`, dataServerRegistry: null },
    metrics: new MetricsRegistry(), log: silentLogger, active: () => leader,
  });
  const res = await retention.pass();
  assert.equal(asked, [10 * DAY_MS], 'the second day was not started');
  assert.is(res.errors.length, 1, 'the first day failed on its own (no confirmed reading): the fake store');
});

test.run();
