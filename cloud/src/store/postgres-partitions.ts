/**
 * PostgreSQL readings partitioned by UTC day of arrival (`received_ms`), so that retention
 * removes a day by dropping its partition (cloud/README.md "Retention").
 *
 * A partitioned table's unique constraints must include the partition key, so `(device, seq)`
 * cannot be a table-wide UNIQUE any more. It is kept unique by the store itself — writes are
 * serialised (in-process, and across the BAL instances sharing the schema by a transaction
 * advisory lock: postgres-store.ts `tx`) and `storeBatch` looks each new `(device, seq)` up
 * before it inserts — and, as a second line, by a UNIQUE `(device, seq)` index on every partition
 * (a day never holds a pair twice). Archived pairs are answered from `archived_ranges`.
 *
 * A database made before the partitions (one plain `readings` table) is converted when the store
 * opens it: one transaction renames the old table, creates the partitioned one and a partition
 * per day present, copies the rows (ids kept) and drops the old table. It holds the table
 * locked for the copy's duration (about a minute per ten million readings): plan it as part of
 * the upgrade.
 */
import type pg from 'pg';
import { DAY_MS } from './sql.js';

/** The partitioned readings table and its (partitioned) indexes. */
export const PARTITIONED_READINGS = `
CREATE TABLE IF NOT EXISTS readings (
  id BIGSERIAL,
  pod TEXT NOT NULL, device TEXT NOT NULL, seq BIGINT NOT NULL,
  ts_ms BIGINT NOT NULL, received_ms BIGINT NOT NULL, digest TEXT NOT NULL, body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', anchor_index BIGINT, leaf_index INTEGER,
  PRIMARY KEY (id, received_ms)
) PARTITION BY RANGE (received_ms);
CREATE INDEX IF NOT EXISTS readings_device_seq ON readings (device, seq);
CREATE INDEX IF NOT EXISTS readings_pod_ts ON readings (pod, ts_ms);
CREATE INDEX IF NOT EXISTS readings_pending ON readings (id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS readings_anchor ON readings (anchor_index, leaf_index) WHERE anchor_index IS NOT NULL;
`;

/** Start of the UTC day holding `ms`. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** Partition name of a day: `readings_d20261205`. */
export function partitionName(dayMs: number): string {
  return `readings_d${new Date(dayMs).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/**
 * Create the day's partition (and its per-day unique (device, seq) index) if missing. Inside a
 * transaction, creators of one day's partition queue on a transaction advisory lock: two BAL
 * instances creating it at once would otherwise fail one with `relation … already exists` (42P07).
 */
export async function ensurePartition(c: pg.PoolClient | pg.Pool, dayMs: number): Promise<void> {
  const name = partitionName(dayMs);
  await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`bal:partition:${name}`]);
  await c.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF readings FOR VALUES FROM (${dayMs}) TO (${dayMs + DAY_MS})`);
  await c.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${name}_device_seq ON ${name} (device, seq)`);
}

/** Whether the day's partition exists (in the current search_path schema). */
export async function partitionExists(c: pg.PoolClient, dayMs: number): Promise<boolean> {
  const r = await c.query('SELECT to_regclass($1) IS NOT NULL AS ok', [partitionName(dayMs)]);
  return Boolean((r.rows[0] as { ok: boolean }).ok);
}

/**
 * Create the partitioned readings table, converting a plain one made before partitions (in one
 * transaction: nothing changes if it fails). Returns the number of readings converted.
 */
export async function preparePartitionedReadings(pool: pg.Pool): Promise<number> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const kind = (await c.query(`SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass('readings')`)).rows[0] as { relkind: string } | undefined;
    let converted = 0;
    if (kind?.relkind === 'r') {
      await c.query('LOCK TABLE readings IN ACCESS EXCLUSIVE MODE');
      await c.query('ALTER TABLE readings RENAME TO readings_unpartitioned');
      for (const ix of ['readings_pod_ts', 'readings_pending', 'readings_anchor', 'readings_received']) {
        await c.query(`ALTER INDEX IF EXISTS ${ix} RENAME TO ${ix.replace('readings_', 'readings_old_')}`);
      }
      for (const con of (await c.query(`SELECT conname FROM pg_constraint WHERE conrelid = to_regclass('readings_unpartitioned')`)).rows as { conname: string }[]) {
        if (con.conname.startsWith('readings_')) await c.query(`ALTER TABLE readings_unpartitioned RENAME CONSTRAINT ${con.conname} TO old_${con.conname}`);
      }
      await c.query(PARTITIONED_READINGS);
      const days = (await c.query(`SELECT DISTINCT (received_ms / ${DAY_MS}) * ${DAY_MS} AS d FROM readings_unpartitioned`)).rows as { d: string }[];
      for (const { d } of days) await ensurePartition(c, Number(d));
      const ins = await c.query(`INSERT INTO readings (id, pod, device, seq, ts_ms, received_ms, digest, body, status, anchor_index, leaf_index)
        SELECT id, pod, device, seq, ts_ms, received_ms, digest, body, status, anchor_index, leaf_index FROM readings_unpartitioned`);
      converted = ins.rowCount ?? 0;
      await c.query(`SELECT setval(pg_get_serial_sequence('readings', 'id'), GREATEST((SELECT MAX(id) FROM readings_unpartitioned), 1), (SELECT MAX(id) FROM readings_unpartitioned) IS NOT NULL)`);
      await c.query('DROP TABLE readings_unpartitioned');
    } else {
      await c.query(PARTITIONED_READINGS);
    }
    await c.query('COMMIT');
    return converted;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
}
