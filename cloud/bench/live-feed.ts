/**
 * Cost of the live-view feed of an api-only instance (events/store-feed.ts) on PostgreSQL: one
 * poll (readings after the watermark, the next anchor, node changes) against a readings table of
 * BENCH_ROWS rows (default 1,000,000, inserted by SQL in its own schema) and BENCH_NODES node
 * changes (default 100,000 over the last hour: ~28 per second),
 * idle (nothing new) and with 1,000 new readings. Prints ms per poll (median and p95 of 200).
 *   node --import tsx cloud/bench/live-feed.ts
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres-store.js';
import { startStoreFeed } from '../src/events/store-feed.js';
import { createEventBus } from '../src/events/event-bus.js';
import { silentLogger } from '../src/log.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const nodes = Number(process.env.BENCH_NODES ?? 100_000);
const schema = `bal_bench_feed_${randomBytes(4).toString('hex')}`;
const store = await openPostgresStore({ url, schema, poolSize: 4 });
const raw = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
await raw.connect();

const body = JSON.stringify({ pod: 'IT001E00000001', meter: 'm', seq: 0, timestamp: 1, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 1, scale: 0, unit: 'Wh' }], signature: `0x${'11'.repeat(65)}` });
async function insert(from: number, n: number): Promise<void> {
  const now = Date.now();
  await raw.query(
    `INSERT INTO readings (pod, device, seq, ts_ms, received_ms, digest, body, status)
     SELECT 'IT001E' || lpad((g % 100000)::text, 8, '0'), '0x' || lpad(to_hex(g % 100000), 40, '0'), g, $3::bigint + g, $3::bigint, '0x' || md5(g::text) || md5(g::text), $4, 'confirmed'
     FROM generate_series($1::bigint, $2::bigint) g`, [from, from + n - 1, now, body]);
}
try {
  // today's partition exists once a reading arrived: make it through the store, then bulk-insert.
  await raw.query(`SELECT 1`);
  let t0 = Date.now();
  try { await insert(1, rows); } catch (err) {
    // no partition for today yet: create it the way the store names it
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const name = `readings_d${new Date(day).toISOString().slice(0, 10).replace(/-/g, '')}`;
    await raw.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF readings FOR VALUES FROM (${day}) TO (${day + 86_400_000})`);
    t0 = Date.now();
    await insert(1, rows);
  }
  await raw.query(`INSERT INTO node_changes (pod, changed_ms) SELECT 'IT001E' || lpad(g::text, 8, '0'), $1::bigint - g * 36 FROM generate_series(1, $2::int) g`, [Date.now(), nodes]);
  await raw.query('ANALYZE');
  process.stdout.write(`setup: ${rows} readings, ${nodes} node changes in ${Date.now() - t0} ms\n`);

  const bus = createEventBus();
  let published = 0;
  bus.subscribe(() => { published++; });
  const feed = startStoreFeed({ store, bus, log: silentLogger, pollMs: 3_600_000 });
  await feed.poll();
  const time = async (label: string, n: number, before?: (i: number) => Promise<void>): Promise<void> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      if (before) await before(i);
      const t = process.hrtime.bigint();
      await feed.poll();
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    ms.sort((a, b) => a - b);
    process.stdout.write(`${label}: median ${ms[Math.floor(n / 2)]!.toFixed(2)} ms, p95 ${ms[Math.floor(n * 0.95)]!.toFixed(2)} ms per poll\n`);
  };
  await time('idle poll (nothing new)', 200);
  let next = rows + 1;
  published = 0;
  await time('poll with 1,000 new readings', 50, async () => { await insert(next, 1000); next += 1000; });
  process.stdout.write(`events published: ${published} (readings+node per PoD)\n`);
  await feed.stop();
} finally {
  await raw.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  await raw.end();
  await store.close();
}
