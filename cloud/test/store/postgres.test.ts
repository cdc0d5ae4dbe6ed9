import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Hex } from '@lightnode/shared/hex';
import { POSTGRES_TYPES, readingsTable } from '../../src/store/sql.js';
import { mkInput, storeContract } from './store-contract.js';

// Local PostgreSQL (trust auth, db `test`); the suite uses its own random schema and drops it.
const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_test_${randomBytes(6).toString('hex')}`;
storeContract('postgres', {
  open: () => openPostgresStore({ url, schema }),
  destroy: async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
  },
});

// PostgreSQL partitions readings by day of arrival: an old unpartitioned table is converted at
// open, and removing an archived day drops its partition.
const part = suite('postgres: readings partitioned by day');
const schema2 = `bal_test_${randomBytes(6).toString('hex')}`;
const DAY = 86_400_000;
const D1 = Date.UTC(2024, 2, 1);
const DEV = '0x00000000000000000000000000000000000000ee' as Hex;
async function sql<T = Record<string, unknown>>(q: string, args: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query(`SET search_path = ${schema2}`); return (await c.query(q, args)).rows as T[]; } finally { await c.end(); }
}
part.after(async () => { await sql(`DROP SCHEMA IF EXISTS ${schema2} CASCADE`).catch(() => {}); });

part('a database made before partitions is converted at open: rows, ids and (device, seq) dedup kept', async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema2}`);
  await c.query(`SET search_path = ${schema2}`);
  await c.query(readingsTable(POSTGRES_TYPES));
  const rows = [mkInput('IT001E00000088', DEV, 1, { receivedAtMs: D1 + 10 }), mkInput('IT001E00000088', DEV, 2, { receivedAtMs: D1 + DAY + 10 })];
  for (const r of rows) {
    await c.query('INSERT INTO readings (pod, device, seq, ts_ms, received_ms, digest, body) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [r.reading.pod, r.signer, r.reading.seq, r.reading.timestamp, r.receivedAtMs, r.digest, JSON.stringify(r.reading)]);
  }
  await c.end();
  const store = await openPostgresStore({ url, schema: schema2 });
  try {
    const kind = await sql<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE oid = to_regclass('readings')`);
    assert.is(kind[0]!.relkind, 'p', 'readings is partitioned');
    const parts = (await sql<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('readings') ORDER BY 1`)).map((p) => p.name);
    assert.equal(parts, ['readings_d20240301', 'readings_d20240302']);
    const r1 = await store.readingByDeviceSeq(DEV, 1);
    assert.is(r1!.id, 1);
    assert.is(r1!.receivedAtMs, D1 + 10);
    // the rows above were inserted by hand: add the per-device aggregate the old store kept with them
    await sql(`INSERT INTO node_devices (device, pod, cnt, min_seq, max_seq) VALUES ($1, 'IT001E00000088', 2, 1, 2) ON CONFLICT DO NOTHING`, [DEV]);
    const again = await store.storeBatch([rows[0]!, mkInput('IT001E00000088', DEV, 3, { receivedAtMs: D1 + 2 * DAY })]);
    assert.equal(again.outcomes, ['duplicate', 'stored']);
    assert.is(again.ids[0], 1);
    assert.is(again.ids[1], 3, 'the id sequence continues after the converted rows');
    await store.close();
    // reopening a converted database changes nothing
    const s2 = await openPostgresStore({ url, schema: schema2 });
    assert.is((await s2.counts()).readings, 3);
    await s2.close();
  } finally { await store.close(); }
});

part('a fully archived day is removed by dropping its partition', async () => {
  const store = await openPostgresStore({ url, schema: schema2 });
  try {
    const r1 = (await store.readingByDeviceSeq(DEV, 1))!;
    await store.recordAnchor({ index: 0, root: `0x${'ab'.repeat(32)}`, leafCount: 1, fromMs: 1, toMs: 2, prevHash: `0x${'00'.repeat(32)}` }, [r1.id], { transaction: `0x${'01'.repeat(32)}`, blockNumber: 3 });
    await store.confirmAnchor(`0x${'01'.repeat(32)}`, { blockNumber: 3 });
    const res = await store.pruneDay({ dayMs: D1, sha256: 'ef'.repeat(32), records: [{ id: r1.id, digest: r1.digest, anchorIndex: 0 }], ranges: [{ device: DEV, minSeq: 1, maxSeq: 1 }] });
    assert.equal(res, { deleted: 1, remaining: 0 });
    assert.equal(await sql(`SELECT to_regclass('readings_d20240301') AS r`), [{ r: null }], 'partition dropped');
    assert.is((await store.readingByDeviceSeq(DEV, 2))!.seq, 2, 'other days untouched');
    // restore re-creates the partition
    assert.equal(await store.restoreReadings([r1]), { restored: 1, present: 0 });
    assert.equal(await store.readingById(r1.id), r1);
  } finally { await store.close(); }
});
part.run();
