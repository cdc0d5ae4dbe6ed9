// Several BAL ingest instances write one PostgreSQL schema (issue 16 scale-out): two stores
// opened on it stand for two processes (each serialises only its own writes). The same
// (device, seq) stored by both at once — even arriving on two different days, so in two day
// partitions whose unique indexes cannot see each other — is stored once, the other copy a
// duplicate; and batches of the same devices in opposite orders never deadlock (a deadlock
// fails a batch: not acked, resent — lost work, and lost readings for a sender that does not resend).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { Hex } from '@lightnode/shared/hex';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { BalStore } from '../../src/store/types.js';
import { mkInput } from './store-contract.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_test_writers_${randomBytes(5).toString('hex')}`;
const DAY = 86_400_000;
const D1 = Date.UTC(2026, 0, 10);
let a: BalStore;
let b: BalStore;

test.before(async () => {
  a = await openPostgresStore({ url, schema, poolSize: 3 });
  b = await openPostgresStore({ url, schema, poolSize: 3 });
});
test.after(async () => {
  await a?.close();
  await b?.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
});

const dev = (n: number): Hex => `0x${n.toString(16).padStart(40, '0')}` as Hex;
const pod = (n: number): string => `IT001E${String(60_000_000 + n).padStart(8, '0')}`;

async function rowsOf(device: Hex): Promise<{ seq: number; n: number }[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(`SELECT seq::int, count(*)::int AS n FROM ${schema}.readings WHERE device = $1 GROUP BY seq ORDER BY seq`, [device])).rows;
  } finally { await c.end(); }
}

test('the same (device, seq) from two writers at once, on two days of arrival: one row', async () => {
  const d = dev(1);
  for (let seq = 0; seq < 40; seq++) {
    const [ra, rb] = await Promise.all([
      a.storeBatch([mkInput(pod(1), d, seq, { ts: D1 + seq, receivedAtMs: D1 + DAY - 1 })]),
      b.storeBatch([mkInput(pod(1), d, seq, { ts: D1 + seq, receivedAtMs: D1 + DAY + 1 })]),
    ]);
    assert.equal([ra.outcomes[0], rb.outcomes[0]].sort(), ['duplicate', 'stored'], `seq ${seq}: one stored, one duplicate`);
  }
  const rows = await rowsOf(d);
  assert.is(rows.length, 40);
  assert.ok(rows.every((r) => r.n === 1), 'no (device, seq) twice');
});

test('batches of the same devices in opposite orders from two writers: no deadlock, every reading stored', async () => {
  const devices = Array.from({ length: 60 }, (_, i) => 100 + i);
  const batch = (seq: number, order: number[]) => order.map((i) => mkInput(pod(i), dev(i), seq, { ts: D1 + seq, receivedAtMs: D1 + 5 * DAY + seq }));
  const results = await Promise.allSettled(Array.from({ length: 30 }, (_, k) => [
    a.storeBatch(batch(2 * k, devices)),
    b.storeBatch(batch(2 * k + 1, [...devices].reverse())),
  ]).flat());
  const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  assert.equal(failed.map((f) => String(f.reason?.message ?? f.reason)).slice(0, 3), [], 'no batch failed');
  for (const i of [devices[0]!, devices[59]!]) assert.is((await rowsOf(dev(i))).length, 60);
});

test('instances starting at once on a new schema: every one opens it', async () => {
  const fresh = `bal_test_writers_${randomBytes(5).toString('hex')}`;
  const opened = await Promise.allSettled(Array.from({ length: 4 }, () => openPostgresStore({ url, schema: fresh, poolSize: 1 })));
  for (const o of opened) if (o.status === 'fulfilled') await o.value.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS ${fresh} CASCADE`); } finally { await c.end(); }
  assert.equal(opened.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason?.message)), []);
});

test.run();
