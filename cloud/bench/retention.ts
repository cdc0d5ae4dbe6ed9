/**
 * bench:retention — one retention pass over a large old day while ingest goes on, per store.
 *
 * Fills the store with BENCH_READINGS (default 100,000) confirmed readings received on one old
 * UTC day (anchors of 10,000 leaves with real Merkle roots over random digests), then runs the
 * pass (archive with receipts + removal) while a writer stores a 100-reading batch every 5 ms,
 * as ingest would. Prints, from the same run:
 *  - pass: seconds, readings/s archived and removed, archive bytes;
 *  - ingest during the pass vs. the same writer with no pass (baseline): batches stored, the
 *    p50 / p99 / max time of one `storeBatch` call, and the event loop's p99 / max delay (how
 *    long an MQTT message or an ack could wait for the thread the pass shares with ingest);
 * and one machine-readable line `BENCH {json}`.
 *
 * Env: BENCH_READINGS, BENCH_STORE (sqlite | postgres | both, default both), BENCH_PG_URL
 * (default postgres://postgres@127.0.0.1:5432/test, own schema, dropped after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { buildMerkleTree } from '@lightnode/shared/merkle';
import type { Hex } from '@lightnode/shared/hex';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { openPostgresStore } from '../src/store/postgres-store.js';
import type { BalStore, StoredReadingInput } from '../src/store/types.js';
import { createRetention } from '../src/retention/retention.js';
import { MetricsRegistry } from '../src/metrics.js';
import { silentLogger } from '../src/log.js';
import { DAY_MS, dayOf } from '../src/retention/archive-record.js';

const N = Number(process.env.BENCH_READINGS ?? 100_000);
const WHICH = process.env.BENCH_STORE ?? 'both';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LEAVES = 10_000;
const DEPLOYMENT = { chainId: 31337, podRegistry: `0x${'12'.repeat(20)}` as Hex, readingAnchor: `0x${'34'.repeat(20)}` as Hex };

const hex32 = (): Hex => `0x${randomBytes(32).toString('hex')}`;

function input(device: Hex, seq: number, receivedAtMs: number): StoredReadingInput {
  return {
    reading: { pod: 'IT001E00000001', meter: 'm', seq, timestamp: receivedAtMs, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: seq, scale: 0, unit: 'Wh' }], signature: `0x${'11'.repeat(64)}1b` },
    digest: hex32(), signer: device, receivedAtMs,
  };
}

async function fill(store: BalStore, oldDay: number): Promise<void> {
  const device = `0x${'aa'.repeat(20)}` as Hex;
  for (let s = 0, anchor = 0; s < N; anchor++) {
    const n = Math.min(LEAVES, N - s);
    const batch = Array.from({ length: n }, (_, i) => input(device, s + i, oldDay + 1000 + s + i));
    const res = await store.storeBatch(batch);
    const tree = buildMerkleTree(batch.map((b) => Buffer.from(b.digest.slice(2), 'hex')));
    const tx = `0x${(anchor + 1).toString(16).padStart(64, '0')}` as Hex;
    await store.recordAnchor({ index: anchor, root: tree.root, leafCount: n, fromMs: 0, toMs: 1, prevHash: `0x${'00'.repeat(32)}` }, res.ids, { transaction: tx, blockNumber: anchor + 1 });
    await store.confirmAnchor(tx, { blockNumber: anchor + 1 });
    s += n;
  }
}

/** Store a 100-reading batch every 5 ms until `stop()`; returns the storeBatch call times (ms). */
function writer(store: BalStore, seq0: number): { stop(): Promise<number[]> } {
  const device = `0x${'bb'.repeat(20)}` as Hex;
  const times: number[] = [];
  let seq = seq0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const batch = Array.from({ length: 100 }, () => input(device, seq++, Date.now()));
      const t0 = performance.now();
      await store.storeBatch(batch);
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { async stop() { running = false; await loop; return times; } };
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const fmt = (xs: number[]): string => `${xs.length} batches, p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;

async function run(kind: 'sqlite' | 'postgres'): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-retention-'));
  const schema = `bench_retention_${randomBytes(5).toString('hex')}`;
  const store = kind === 'sqlite' ? openSqliteStore({ path: join(dir, 'bal.db') }) : await openPostgresStore({ url: PG_URL, schema });
  try {
    const oldDay = dayOf(Date.now()) - 90 * DAY_MS;
    const t0 = performance.now();
    await fill(store, oldDay);
    const fillSec = (performance.now() - t0) / 1000;
    // Baseline: the writer alone, for about as long as a pass takes (measured below; 5 s first).
    let loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const base = writer(store, 0);
    await new Promise((r) => setTimeout(r, 5000));
    const baseTimes = await base.stop();
    loop.disable();
    const baseLoop = { p99: +(loop.percentile(99) / 1e6).toFixed(1), max: +(loop.max / 1e6).toFixed(1) };
    loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const retention = createRetention({ days: 60, archiveDir: join(dir, 'archive') }, { store, deployment: DEPLOYMENT, metrics: new MetricsRegistry(), log: silentLogger });
    const during = writer(store, 1_000_000);
    const p0 = performance.now();
    const res = await retention.pass();
    const passSec = (performance.now() - p0) / 1000;
    const duringTimes = await during.stop();
    loop.disable();
    const passLoop = { p99: +(loop.percentile(99) / 1e6).toFixed(1), max: +(loop.max / 1e6).toFixed(1) };
    if (res.errors.length || res.days[0]?.pruned !== N) throw new Error(`pass failed: ${JSON.stringify(res).slice(0, 500)}`);
    const out = {
      store: kind, readings: N, fillSec: +fillSec.toFixed(1), passSec: +passSec.toFixed(2), readingsPerSec: Math.round(N / passSec),
      baseline: { loopDelayP99: baseLoop.p99, loopDelayMax: baseLoop.max, batches: baseTimes.length, p50: +pct(baseTimes, 50).toFixed(1), p99: +pct(baseTimes, 99).toFixed(1), max: +Math.max(...baseTimes).toFixed(1) },
      duringPass: { loopDelayP99: passLoop.p99, loopDelayMax: passLoop.max, batches: duringTimes.length, p50: +pct(duringTimes, 50).toFixed(1), p99: +pct(duringTimes, 99).toFixed(1), max: +Math.max(...duringTimes).toFixed(1) },
    };
    console.log(`\n${kind}: ${N} readings of one old day`);
    console.log(`  pass (archive with receipts + removal): ${passSec.toFixed(2)} s, ${out.readingsPerSec} readings/s`);
    console.log(`  storeBatch(100) with no pass (baseline): ${fmt(baseTimes)}; event loop delay p99 ${baseLoop.p99} ms, max ${baseLoop.max} ms`);
    console.log(`  storeBatch(100) during the pass:         ${fmt(duringTimes)}; event loop delay p99 ${passLoop.p99} ms, max ${passLoop.max} ms`);
    return out;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => c.end());
    }
  }
}

const results = [];
for (const k of ['sqlite', 'postgres'] as const) if (WHICH === 'both' || WHICH === k) results.push(await run(k));
console.log(`BENCH ${JSON.stringify(results)}`);
