/**
 * PostgreSQL implementation of BalStore (production, DESIGN §7), on `pg`. A batch is a
 * handful of set-based statements (unnest arrays) in one transaction, so a 1000-reading batch
 * costs a few round trips, not a thousand. Writes are serialised in-process so store ids grow
 * in commit order (paging and anchoring walk ids); one BAL instance owns a schema. The
 * AccessStore part lives in postgres-access.ts.
 */
import pg from 'pg';
import { ValidationError } from '@lightnode/shared/errors';
import {
  BAL_STORE_INVALID, BatchBook, NODE_SELECT, RollbackWith, archivedCimClash, createProcessLocks, checkAnchorArgs, checkCounterDelta, checkDay, checkId, checkLeaves, checkLimit, checkPlan, conflict,
  checkLeaseArgs, fenced, isCimInput, keyOf, leavesToText, planBounds, readingBody, rejectionTotals, rowToAnchor, rowToArchivedDay, rowToCimMessage, rowToNode, rowToReading, splitAnchors,
  textToLeaves, withRejections,
} from './common.js';
import { dayOf, ensurePartition, partitionExists, partitionName, preparePartitionedReadings } from './postgres-partitions.js';
import { POSTGRES_ACCESS_SCHEMA, postgresAccessStore } from './postgres-access.js';
import { rowToFeedEvent, subscriptionFeedSql } from './access-sql.js';
import {
  COUNTS_SELECT, DAY_MS, POSTGRES_TYPES, REJECTION_TOTALS_SELECT, SqlArgs, listNodesSql, listReadingsSql, nodeRejectionsSql, readingPage,
  retentionDaysSql, storeSchema,
} from './sql.js';
import type {
  AnchorRecord, BalStore, CimMessageRecord, LeaseFence, LeaseState, NodeRecord, ProofMaterial, PrunePlan, PruneResult, ReadingPage, ReadingQuery, StoreBatchResult, StoreCounts,
  StoredReading, StoredReadingInput,
} from './types.js';
import type { Hex } from '@lightnode/shared/hex';


const SCHEMA_NAME_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresStoreOptions {
  /** Connection URL, e.g. `postgres://postgres@127.0.0.1:5432/test`. */
  url: string;
  /** Schema to use (created if missing); default `public`. Lower-case identifier. */
  schema?: string;
  /** Pool size; default 4. */
  poolSize?: number;
  /** A new connection (TCP and login) fails after this long; default 10,000 ms. */
  connectTimeoutMs?: number;
  /**
   * A query without an answer fails after this long, and its connection is dropped; default
   * 60,000 ms. A database cut off by the network (packets dropped, not refused) would otherwise
   * hang the store's calls, and the serialised write queue behind them, until TCP gives up.
   * Not applied while the store opens (a one-time table conversion may take minutes).
   */
  queryTimeoutMs?: number;
  now?: () => number;
}

type Row = Record<string, unknown>;

/** Open the PostgreSQL store (creates the schema and tables if needed). */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<BalStore> {
  const schema = opts.schema ?? 'public';
  if (!SCHEMA_NAME_RE.test(schema)) throw new ValidationError(BAL_STORE_INVALID, 'store.schema', 'lower-case SQL identifier', schema);
  const now = opts.now ?? Date.now;
  const base = { connectionString: opts.url, options: `-c search_path=${schema}`, connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000, keepAlive: true };
  // Schema setup on its own connection without the query timeout; the pool's queries have it.
  // Instances starting at once on one schema (issue 16) would race on `CREATE … IF NOT EXISTS`
  // ("duplicate key value violates unique constraint"): the DDL runs under a session advisory
  // lock named after the schema, held by a client of its own.
  const setup = new pg.Pool({ ...base, max: 1 });
  setup.on('error', () => {});
  const ddlLock = new pg.Client(base);
  ddlLock.on('error', () => {});
  const ddlLockName = `lightnode-bal-store-open:${schema}`;
  try {
    await ddlLock.connect();
    await ddlLock.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [ddlLockName]);
    await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await preparePartitionedReadings(setup);
    await setup.query(storeSchema(POSTGRES_TYPES, { readings: false }));
    await setup.query(POSTGRES_ACCESS_SCHEMA);
  } finally {
    await setup.end();
    await ddlLock.end().catch(() => {}); // ends the session: the lock goes with it
  }
  const pool = new pg.Pool({ ...base, max: opts.poolSize ?? 4, query_timeout: opts.queryTimeoutMs ?? 60_000 });
  pool.on('error', () => { /* idle client lost: the next query reconnects */ });

  const processLocks = createProcessLocks();
  /** Day partitions known to exist (created on demand by storeBatch and restoreReadings). */
  const partitions = new Set<number>();

  // Serialise writes: ids are then assigned in commit order. In this process by `exclusive`, and
  // across processes (several BAL instances on one schema, issue 16 scale-out) by a transaction
  // advisory lock named after the schema, taken first in every write transaction: the
  // look-up-then-insert that keeps (device, seq) unique across day partitions, the creation of a
  // day partition and the upserts of node rows then never interleave with another instance's
  // (which gave duplicate rows across partitions, "relation already exists" and deadlocks:
  // cloud/test/store/postgres-writers.test.ts). What instances do in parallel is everything
  // before the store: verification, registry checks.
  const writeLockName = `lightnode-bal-store-writes:${schema}`;
  let tail: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  }
  async function tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return exclusive(async () => {
      const c = await pool.connect();
      let broken: Error | undefined;
      try {
        await c.query('BEGIN');
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [writeLockName]);
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        // A connection that timed out or failed is dropped, not handed out again.
        await c.query('ROLLBACK').catch((e: unknown) => { broken = e as Error; });
        throw err;
      } finally {
        c.release(broken);
      }
    });
  }
  /** The fencing check of an anchoring write, inside its transaction (the lease row locked until commit). */
  async function checkFence(c: pg.PoolClient, f: LeaseFence | undefined): Promise<void> {
    if (!f) return;
    const row = (await c.query('SELECT epoch FROM leases WHERE name = $1 FOR SHARE', [f.name])).rows[0] as Row | undefined;
    if (!row || Number(row.epoch) !== f.epoch) throw fenced(f, row ? Number(row.epoch) : null);
  }
  // The database clock decides expiry: candidates on several hosts then agree on it.
  const DB_NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
  /** Mark a node's row changed (status or counters), on the database clock. */
  const NODE_CHANGED = `INSERT INTO node_changes (pod, changed_ms) VALUES ($1, ${DB_NOW_MS})
    ON CONFLICT (pod) DO UPDATE SET changed_ms = GREATEST(node_changes.changed_ms, excluded.changed_ms)`;
  const one = async (sql: string, args: unknown[]): Promise<Row | undefined> => (await pool.query(sql, args)).rows[0] as Row | undefined;
  const all = async (sql: string, args: unknown[] = []): Promise<Row[]> => (await pool.query(sql, args)).rows as Row[];

  async function storeBatch(inputs: StoredReadingInput[]): Promise<StoreBatchResult> {
    const res: StoreBatchResult = { stored: [], duplicate: [], equivocation: [], outcomes: [], ids: [] };
    if (inputs.length === 0) return res;
    // First occurrence of each (device, seq) is the insert candidate; repeats compare against it.
    const first = new Map<string, number>();
    const cand: number[] = [];
    inputs.forEach((inp, i) => { const k = keyOf(inp.signer, inp.reading.seq); if (!first.has(k)) { first.set(k, i); cand.push(i); } });
    // A rolled-back CREATE (of a day partition): ask again next time.
    return tx((c) => storeBatchIn(c, inputs, first, cand, res)).catch((err: unknown) => { partitions.clear(); throw err; });
  }

  /** A data server's message and its readings in one transaction (all or nothing: an equivocation rolls it all back). */
  async function storeCimMessage(m: CimMessageRecord, inputs: StoredReadingInput[]): Promise<StoreBatchResult> {
    const res: StoreBatchResult = { stored: [], duplicate: [], equivocation: [], outcomes: [], ids: [] };
    const first = new Map<string, number>();
    const cand: number[] = [];
    inputs.forEach((inp, i) => { const k = keyOf(inp.signer, inp.reading.seq); if (!first.has(k)) { first.set(k, i); cand.push(i); } });
    try {
      return await tx(async (c) => {
        const msg = await c.query(`INSERT INTO cim_messages (hash, server_id, signer, signature, payload, received_ms) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (hash) DO NOTHING`, [m.hash, m.serverId, m.signer, m.signature, Buffer.from(m.payload).toString('base64'), m.receivedAtMs]);
        const out = inputs.length === 0 ? res : await storeBatchIn(c, inputs, first, cand, res);
        if (out.equivocation.length > 0) throw new RollbackWith(out);
        const clash = msg.rowCount === 1 ? archivedCimClash(inputs, out) : null;
        if (clash) throw new RollbackWith(clash);
        return out;
      });
    } catch (err) {
      partitions.clear(); // the rollback undid any partition this transaction made
      if (err instanceof RollbackWith) return err.value as StoreBatchResult;
      throw err;
    }
  }

  /** The statements of one storeBatch inside transaction `c` (first occurrence of each key in `first`, candidates `cand`). */
  async function storeBatchIn(c: pg.PoolClient, inputs: StoredReadingInput[], first: Map<string, number>, cand: number[], res: StoreBatchResult): Promise<StoreBatchResult> {
    // The day partitions the batch needs (arrival days: today, bar a clock change), and the
    // next day's, so the batch after midnight finds its partition made.
    for (const d of new Set(cand.map((i) => dayOf(inputs[i]!.receivedAtMs)))) {
      if (partitions.has(d)) continue;
      for (const x of [d, d + DAY_MS]) { await ensurePartition(c, x); partitions.add(x); }
    }
    // (device, seq) is unique across partitions because this check and the insert run under the
    // store's write lock. A seq above the device's highest stored one is new: only the others
    // (resends, out-of-order) are looked up, in the store and then in the archived runs.
    const maxOf = new Map<string, number>();
    const devs0 = [...new Set(cand.map((i) => inputs[i]!.signer as string))];
    for (const r of (await c.query('SELECT device, max_seq FROM node_devices WHERE device = ANY($1::text[])', [devs0])).rows as Row[]) {
      maxOf.set(String(r.device), Number(r.max_seq));
    }
    // A data server's readings are not in node_devices (BatchBook): always looked up.
    const probe = cand.filter((i) => {
      if (isCimInput(inputs[i]!)) return true;
      const m = maxOf.get(inputs[i]!.signer);
      return m !== undefined && inputs[i]!.reading.seq <= m;
    });
    const existing = new Map<string, { id: number; digest: string }>();
    const archived = new Set<string>();
    if (probe.length) {
      const pd = probe.map((i) => inputs[i]!.signer), ps = probe.map((i) => inputs[i]!.reading.seq);
      const ex = await c.query(
        `SELECT r.id, r.device, r.seq, r.digest FROM readings r
         JOIN unnest($1::text[], $2::bigint[]) AS u(device, seq) ON r.device = u.device AND r.seq = u.seq`, [pd, ps]);
      for (const r of ex.rows as Row[]) existing.set(keyOf(String(r.device), Number(r.seq)), { id: Number(r.id), digest: String(r.digest) });
      const ar = await c.query(
        `SELECT u.device, u.seq FROM unnest($1::text[], $2::bigint[]) AS u(device, seq)
         WHERE EXISTS (SELECT 1 FROM archived_ranges a WHERE a.device = u.device AND a.min_seq <= u.seq AND a.max_seq >= u.seq)`, [pd, ps]);
      for (const r of ar.rows as Row[]) archived.add(keyOf(String(r.device), Number(r.seq)));
    }
    const fresh = cand.filter((i) => { const k = keyOf(inputs[i]!.signer, inputs[i]!.reading.seq); return !existing.has(k) && !archived.has(k); });
    const col = <T>(f: (x: StoredReadingInput) => T): T[] => fresh.map((i) => f(inputs[i]!));
    const inserted = new Map<string, number>();
    if (fresh.length) {
      const ins = await c.query(
        `INSERT INTO readings (pod, device, seq, ts_ms, received_ms, digest, body)
         SELECT pod, device, seq, ts, rc, dg, body
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[])
              WITH ORDINALITY AS u(pod, device, seq, ts, rc, dg, body, ord)
         ORDER BY ord
         RETURNING id, device, seq`,
        [col((x) => x.reading.pod), col((x) => x.signer), col((x) => x.reading.seq), col((x) => x.reading.timestamp),
          col((x) => x.receivedAtMs), col((x) => x.digest), col((x) => x.body ?? readingBody(x.reading))]);
      for (const r of ins.rows as Row[]) inserted.set(keyOf(String(r.device), Number(r.seq)), Number(r.id));
    }
    const book = new BatchBook();
    const equiv: { ex: number; inp: StoredReadingInput }[] = [];
    inputs.forEach((inp, i) => {
      const k = keyOf(inp.signer, inp.reading.seq);
      const seq = inp.reading.seq;
      if (first.get(k) === i && inserted.has(k)) {
        res.stored.push(seq); res.outcomes.push('stored'); res.ids.push(inserted.get(k)!); book.stored(inp);
        return;
      }
      if (!inserted.has(k) && !existing.has(k)) {
        // Held by an archived day (archived_ranges): a duplicate, not stored again; its id is in the archive.
        res.duplicate.push(seq); res.outcomes.push('duplicate'); res.ids.push(0); book.duplicate(inp);
        return;
      }
      const prior = inserted.has(k)
        ? { id: inserted.get(k)!, digest: inputs[first.get(k)!]!.digest as string }
        : existing.get(k)!;
      res.ids.push(prior.id);
      if (prior.digest === inp.digest) { res.duplicate.push(seq); res.outcomes.push('duplicate'); book.duplicate(inp); }
      else { res.equivocation.push(seq); res.outcomes.push('equivocation'); book.equivocation(inp); equiv.push({ ex: prior.id, inp }); }
    });
    if (equiv.length) {
      await c.query(
        `INSERT INTO equivocations (existing_id, pod, device, seq, digest, body, received_ms)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])
         ON CONFLICT (device, seq, digest) DO NOTHING`,
        [equiv.map((e) => e.ex), equiv.map((e) => e.inp.reading.pod), equiv.map((e) => e.inp.signer), equiv.map((e) => e.inp.reading.seq),
          equiv.map((e) => e.inp.digest), equiv.map((e) => e.inp.body ?? readingBody(e.inp.reading)), equiv.map((e) => e.inp.receivedAtMs)]);
    }
    // One statement each for all devices and all PoDs of the batch (keys are unique per batch).
    const devs = [...book.devices.values()];
    if (devs.length) {
      await c.query(
        `INSERT INTO node_devices (device, pod, cnt, min_seq, max_seq)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
         ON CONFLICT (device) DO UPDATE SET cnt = node_devices.cnt + excluded.cnt,
           min_seq = LEAST(node_devices.min_seq, excluded.min_seq), max_seq = GREATEST(node_devices.max_seq, excluded.max_seq)`,
        [devs.map((d) => d.device), devs.map((d) => d.pod), devs.map((d) => d.count), devs.map((d) => d.minSeq), devs.map((d) => d.maxSeq)]);
    }
    const pods = [...book.pods.values()];
    if (pods.length) {
      await c.query(
        `INSERT INTO nodes (pod, device, last_seen_ms)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
         ON CONFLICT (pod) DO UPDATE SET
           device = CASE WHEN excluded.last_seen_ms >= COALESCE(nodes.last_seen_ms, 0) THEN excluded.device ELSE nodes.device END,
           last_seen_ms = GREATEST(COALESCE(nodes.last_seen_ms, 0), excluded.last_seen_ms)`,
        [pods.map((p) => p.pod), pods.map((p) => p.device), pods.map((p) => p.lastSeenMs)]);
    }
    return res;
  }

  /** An anchor's leaves: kept whole in anchor_leaves once an archived day split it, else its readings' digests. */
  const leavesOf = async (index: number): Promise<Hex[]> => {
    const kept = await one('SELECT leaves FROM anchor_leaves WHERE idx = $1', [index]);
    if (kept) return textToLeaves(String(kept.leaves));
    return (await all('SELECT digest FROM readings WHERE anchor_index = $1 ORDER BY leaf_index', [index])).map((r) => r.digest as Hex);
  };

  async function pruneDay(plan: PrunePlan): Promise<PruneResult> {
    checkPlan(plan);
    const d = plan.dayMs;
    const b = planBounds(plan);
    const part = partitionName(d);
    const ids = plan.records.map((r) => r.id), dgs = plan.records.map((r) => r.digest);
    // A join on the archived (id, digest) pairs (hashed), never a per-row scan of the list.
    const pairs = `unnest($1::bigint[], $2::text[]) AS u(id, dg)`;
    // The expensive check runs before the write lock (ingest goes on meanwhile); the transaction
    // below only confirms that nothing of the day changed since, then drops the partition.
    let pre: { total: number; matched: number; idSum: string } | null = null;
    if (await one('SELECT to_regclass($1) IS NOT NULL AS ok', [part]).then((r) => Boolean(r?.ok))) {
      const tot = (await one(`SELECT COUNT(*) AS n, COALESCE(SUM(id), 0) AS s FROM ${part}`, []))!;
      const m = (await one(`SELECT COUNT(*) AS n FROM ${part} p JOIN ${pairs} ON p.id = u.id AND p.digest = u.dg WHERE p.status = 'confirmed'`, [ids, dgs]))!;
      pre = { total: Number(tot.n), matched: Number(m.n), idSum: String(tot.s) };
    }
    return tx(async (c) => {
      await c.query(
        `INSERT INTO archived_days (day_ms, readings, min_id, max_id, sha256, state, archived_ms) VALUES ($1, $2, $3, $4, $5, 'pruning', $6)
         ON CONFLICT (day_ms) DO UPDATE SET readings = excluded.readings, min_id = excluded.min_id, max_id = excluded.max_id,
           sha256 = excluded.sha256, state = 'pruning', archived_ms = excluded.archived_ms`,
        [d, b.readings, b.minId, b.maxId, plan.sha256, now()]);
      if (plan.ranges.length) {
        await c.query(
          `INSERT INTO archived_ranges (device, min_seq, max_seq, day_ms) SELECT u.device, u.mn, u.mx, $4
           FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(device, mn, mx) ON CONFLICT DO NOTHING`,
          [plan.ranges.map((r) => r.device), plan.ranges.map((r) => r.minSeq), plan.ranges.map((r) => r.maxSeq), d]);
      }
      const idxs = [...new Set(plan.records.map((r) => r.anchorIndex))];
      const counts = new Map<number, number>();
      for (const r of (await c.query('SELECT idx, leaf_count FROM anchors WHERE idx = ANY($1::bigint[])', [idxs])).rows as Row[]) counts.set(Number(r.idx), Number(r.leaf_count));
      for (const idx of splitAnchors(plan, (i) => counts.get(i))) {
        if ((await c.query('SELECT 1 FROM anchor_leaves WHERE idx = $1', [idx])).rowCount) continue;
        const leaves = ((await c.query('SELECT digest FROM readings WHERE anchor_index = $1 ORDER BY leaf_index', [idx])).rows as Row[]).map((r) => r.digest as Hex);
        checkLeaves(idx, leaves, counts.get(idx)!);
        await c.query('INSERT INTO anchor_leaves (idx, leaves) VALUES ($1, $2) ON CONFLICT (idx) DO NOTHING', [idx, leavesToText(leaves)]);
      }
      let deleted = 0;
      let remaining = 0;
      if (pre && await partitionExists(c, d)) {
        // Nothing of the day changed since the check (count and id sum, under an exclusive lock): drop it.
        await c.query(`LOCK TABLE ${part} IN ACCESS EXCLUSIVE MODE`);
        const now2 = (await c.query(`SELECT COUNT(*) AS n, COALESCE(SUM(id), 0) AS s FROM ${part}`)).rows[0] as Row;
        if (pre.total === pre.matched && Number(now2.n) === pre.total && String(now2.s) === pre.idSum) {
          // The partition holds exactly archived, confirmed readings: removal is dropping it.
          await c.query(`DROP TABLE ${part}`);
          partitions.delete(d);
          deleted = pre.total;
        } else {
          // Something of the day is not in its archive (or not confirmed): remove only what is.
          deleted = (await c.query(`DELETE FROM ${part} p USING ${pairs} WHERE p.id = u.id AND p.digest = u.dg AND p.status = 'confirmed'`, [ids, dgs])).rowCount ?? 0;
          remaining = Number(now2.n) - deleted;
        }
      }
      if (remaining === 0) await c.query(`UPDATE archived_days SET state = 'pruned' WHERE day_ms = $1`, [d]);
      return { deleted, remaining };
    });
  }

  async function restoreReadings(rows: StoredReading[]): Promise<{ restored: number; present: number }> {
    if (rows.length === 0) return { restored: 0, present: 0 };
    return tx(async (c) => {
      for (const d of new Set(rows.map((r) => dayOf(r.receivedAtMs)))) await ensurePartition(c, d);
      const col = <T>(f: (x: StoredReading) => T): T[] => rows.map(f);
      const ins = await c.query(
        `INSERT INTO readings (id, pod, device, seq, ts_ms, received_ms, digest, body, status, anchor_index, leaf_index)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::int[])
         ON CONFLICT DO NOTHING`,
        [col((r) => r.id), col((r) => r.pod), col((r) => r.device), col((r) => r.seq), col((r) => r.timestampMs), col((r) => r.receivedAtMs),
          col((r) => r.digest), col((r) => readingBody(r.reading)), col((r) => r.status), col((r) => r.anchorIndex), col((r) => r.leafIndex)]);
      return { restored: ins.rowCount ?? 0, present: rows.length - (ins.rowCount ?? 0) };
    }).catch((err: unknown) => { partitions.clear(); throw err; });
  }

  const anchorBy = async (col: 'tx' | 'idx', v: unknown): Promise<AnchorRecord | null> => {
    const row = await one(`SELECT * FROM anchors WHERE ${col} = $1`, [v]);
    return row ? rowToAnchor(row) : null;
  };

  let closed = false;
  const store: BalStore = {
    ...postgresAccessStore({ pool, tx, exclusive }),
    kind: 'postgres',
    storeBatch,
    storeCimMessage,
    async cimMessage(hash) {
      const row = await one('SELECT * FROM cim_messages WHERE hash = $1', [hash.toLowerCase()]);
      return row ? rowToCimMessage(row) : null;
    },
    async readingById(id) {
      const row = await one('SELECT * FROM readings WHERE id = $1', [checkId(id, 'id')]);
      return row ? rowToReading(row) : null;
    },
    async readingByDeviceSeq(device, seq) {
      const row = await one('SELECT * FROM readings WHERE device = $1 AND seq = $2', [device.toLowerCase(), checkId(seq, 'seq')]);
      return row ? rowToReading(row) : null;
    },
    async listReadings(q: ReadingQuery): Promise<ReadingPage> {
      const args = new SqlArgs(true);
      const sql = listReadingsSql(q, args);
      return sql === null ? { items: [], nextAfterId: null } : readingPage(await all(sql, args.values), q.limit);
    },
    async lastSeqOfDevice(device) {
      const row = await one('SELECT MAX(seq) AS m FROM readings WHERE device = $1', [device.toLowerCase()]);
      return row?.m === null || row?.m === undefined ? null : Number(row.m);
    },
    async pendingForAnchoring(limit) {
      return (await all(`SELECT * FROM readings WHERE status = 'pending' ORDER BY id LIMIT $1`, [checkLimit(limit, 'limit', 1_000_000)])).map(rowToReading);
    },
    async recordAnchor(w, readingIds, t, fence) {
      checkAnchorArgs(w.leafCount, readingIds);
      return tx(async (c) => {
        await checkFence(c, fence);
        const dup = await c.query('SELECT idx, tx FROM anchors WHERE idx = $1 OR tx = $2', [w.index, t.transaction]);
        if (dup.rowCount) throw conflict(`anchor index ${w.index} or transaction ${t.transaction} already recorded`, { index: w.index, transaction: t.transaction });
        const ins = await c.query(
          `INSERT INTO anchors (idx, root, leaf_count, from_ms, to_ms, prev_hash, anchor_hash, tx, block_number, status, created_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'sent', $10) RETURNING *`,
          [w.index, w.root, w.leafCount, w.fromMs, w.toMs, w.prevHash, w.anchorHash ?? null, t.transaction, t.blockNumber, now()]);
        const upd = await c.query(
          `UPDATE readings r SET status = 'anchored', anchor_index = $1, leaf_index = u.li
           FROM unnest($2::bigint[], $3::int[]) AS u(id, li) WHERE r.id = u.id AND r.status = 'pending'`,
          [w.index, readingIds, readingIds.map((_, i) => i)]);
        if (upd.rowCount !== readingIds.length) throw conflict(`${readingIds.length - (upd.rowCount ?? 0)} of the readings are not pending`, { index: w.index });
        return rowToAnchor(ins.rows[0] as Row);
      });
    },
    async confirmAnchor(transaction, info, fence) {
      return tx(async (c) => {
        await checkFence(c, fence);
        const row = (await c.query('SELECT * FROM anchors WHERE tx = $1 FOR UPDATE', [transaction])).rows[0] as Row | undefined;
        if (!row) return null;
        if (row.status === 'confirmed') return rowToAnchor(row);
        const upd = await c.query(
          `UPDATE anchors SET status = 'confirmed', block_number = $1, anchor_hash = COALESCE($2, anchor_hash), confirmed_ms = $3 WHERE tx = $4 RETURNING *`,
          [info.blockNumber, info.anchorHash ?? null, now(), transaction]);
        await c.query(`UPDATE readings SET status = 'confirmed' WHERE anchor_index = $1`, [row.idx]);
        return rowToAnchor(upd.rows[0] as Row);
      });
    },
    async abandonAnchor(transaction, fence) {
      return tx(async (c) => {
        await checkFence(c, fence);
        const row = (await c.query('SELECT * FROM anchors WHERE tx = $1 FOR UPDATE', [transaction])).rows[0] as Row | undefined;
        if (!row || row.status !== 'sent') return false;
        await c.query(`UPDATE readings SET status = 'pending', anchor_index = NULL, leaf_index = NULL WHERE anchor_index = $1`, [row.idx]);
        await c.query('DELETE FROM anchors WHERE idx = $1', [row.idx]);
        return true;
      });
    },
    async acquireLease(name, holder, ttlMs) {
      checkLeaseArgs(name, holder, ttlMs);
      // One statement: insert, or take over an expired lease (epoch + 1), or renew our own running one.
      const row = await one(
        `WITH old AS (SELECT epoch FROM leases WHERE name = $1)
         INSERT INTO leases AS l (name, holder, epoch, expires_ms) VALUES ($1, $2, 1, ${DB_NOW_MS} + $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms,
           epoch = CASE WHEN l.expires_ms > ${DB_NOW_MS} THEN l.epoch ELSE l.epoch + 1 END
         WHERE l.expires_ms <= ${DB_NOW_MS} OR l.holder = excluded.holder
         RETURNING l.epoch, l.expires_ms, (SELECT epoch FROM old) AS old_epoch`,
        [name, holder, ttlMs]);
      if (!row) return null;
      const epoch = Number(row.epoch);
      return { epoch, expiresAtMs: Number(row.expires_ms), takenOver: row.old_epoch === null || Number(row.old_epoch) !== epoch };
    },
    async releaseLease(name, holder) {
      return ((await pool.query('UPDATE leases SET expires_ms = 0 WHERE name = $1 AND holder = $2', [name, holder])).rowCount ?? 0) === 1;
    },
    async readLease(name): Promise<LeaseState | null> {
      const row = await one('SELECT name, holder, epoch, expires_ms FROM leases WHERE name = $1', [name]);
      return row ? { name: String(row.name), holder: String(row.holder), epoch: Number(row.epoch), expiresAtMs: Number(row.expires_ms) } : null;
    },
    anchorByTransaction: (t) => anchorBy('tx', t.toLowerCase()),
    anchorByIndex: (i) => anchorBy('idx', checkId(i, 'index')),
    async latestAnchor() {
      const row = await one('SELECT * FROM anchors ORDER BY idx DESC LIMIT 1', []);
      return row ? rowToAnchor(row) : null;
    },
    async unconfirmedAnchors() { return (await all(`SELECT * FROM anchors WHERE status = 'sent' ORDER BY idx`)).map(rowToAnchor); },
    async readingsOfAnchor(index, q = {}) {
      if (q.pods !== undefined && q.pods.length === 0) return [];
      const args: unknown[] = [checkId(index, 'index'), checkId(q.fromLeaf ?? 0, 'fromLeaf')];
      let sql = 'SELECT * FROM readings WHERE anchor_index = $1 AND leaf_index >= $2';
      if (q.pods !== undefined) { args.push(q.pods); sql += ` AND pod = ANY($${args.length}::text[])`; }
      sql += ' ORDER BY leaf_index';
      if (q.limit !== undefined) { args.push(checkLimit(q.limit, 'limit', 1_000_000)); sql += ` LIMIT $${args.length}`; }
      return (await all(sql, args)).map(rowToReading);
    },
    async anchorLeaves(index) { return leavesOf(checkId(index, 'index')); },
    async proofMaterial(readingId): Promise<ProofMaterial | null> {
      const row = await one('SELECT * FROM readings WHERE id = $1', [checkId(readingId, 'readingId')]);
      if (!row) return null;
      const reading = rowToReading(row);
      if (reading.anchorIndex === null || reading.leafIndex === null) return null;
      const anchor = await anchorBy('idx', reading.anchorIndex);
      if (!anchor) return null;
      return { reading, anchor, leaves: await leavesOf(reading.anchorIndex), leafIndex: reading.leafIndex };
    },
    async recordNodeStatus(s, receivedAtMs) {
      await tx(async (c) => { await c.query(
        `INSERT INTO nodes (pod, device, state, last_seen_ms, last_status_ms, reported_last_seq, spool_depth, quarantined, agent_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (pod) DO UPDATE SET device = excluded.device, state = excluded.state,
           last_seen_ms = GREATEST(COALESCE(nodes.last_seen_ms, 0), excluded.last_seen_ms), last_status_ms = excluded.last_status_ms,
           reported_last_seq = excluded.reported_last_seq, spool_depth = excluded.spool_depth,
           quarantined = excluded.quarantined, agent_version = excluded.agent_version
         WHERE excluded.last_status_ms >= COALESCE(nodes.last_status_ms, 0)`,
        [s.pod, s.device.toLowerCase(), s.state, receivedAtMs, s.ts, s.lastSeq, s.spoolDepth, s.quarantined, s.agentVersion]);
      await c.query(NODE_CHANGED, [s.pod]);
      });
    },
    async addNodeCounters(pod, delta) {
      const d = checkCounterDelta(delta);
      await tx(async (c) => {
        await c.query(
          `INSERT INTO nodes (pod, rejected, duplicates, equivocations) VALUES ($1, $2, $3, $4)
           ON CONFLICT (pod) DO UPDATE SET rejected = nodes.rejected + excluded.rejected,
             duplicates = nodes.duplicates + excluded.duplicates, equivocations = nodes.equivocations + excluded.equivocations`,
          [pod, d.rejected, d.duplicates, d.equivocations]);
        if (d.byCode.length) {
          await c.query(
            `INSERT INTO node_rejections (pod, code, cnt) SELECT $1, code, cnt FROM unnest($2::text[], $3::bigint[]) AS u(code, cnt)
             ON CONFLICT (pod, code) DO UPDATE SET cnt = node_rejections.cnt + excluded.cnt`,
            [pod, d.byCode.map(([code]) => code), d.byCode.map(([, n]) => n)]);
        }
        await c.query(NODE_CHANGED, [pod]);
      });
    },
    async nodeChanges(afterMs, limit) {
      return (await all('SELECT pod, changed_ms FROM node_changes WHERE changed_ms > $1 ORDER BY changed_ms LIMIT $2',
        [checkId(afterMs, 'afterMs'), checkLimit(limit, 'limit', 10_000)])).map((r) => ({ pod: String(r.pod), changedMs: Number(r.changed_ms) }));
    },
    async liveFeedStart() {
      const r = (await one(`SELECT (SELECT COALESCE(MAX(id), 0) FROM readings) AS m, (SELECT COALESCE(MAX(changed_ms), 0) FROM node_changes) AS n,
        (SELECT COALESCE(MAX(id), 0) FROM subscription_events) AS s`, []))!;
      return { maxReadingId: Number(r.m), lastNodeChangeMs: Number(r.n), maxSubscriptionEventId: Number(r.s) };
    },
    async subscriptionEventsAfter(afterId, limit) {
      return (await all(subscriptionFeedSql('$1', '$2'), [checkId(afterId, 'afterId'), checkLimit(limit, 'limit', 10_000)])).map(rowToFeedEvent);
    },
    async nodeByPod(pod): Promise<NodeRecord | null> {
      const row = await one(`${NODE_SELECT} WHERE n.pod = $1`, [pod]);
      return row ? withRejections([rowToNode(row)], await all('SELECT pod, code, cnt FROM node_rejections WHERE pod = $1', [pod]))[0]! : null;
    },
    async listNodes(q = {}) {
      const args = new SqlArgs(true);
      const sql = listNodesSql(NODE_SELECT, q, args);
      if (sql === null) return [];
      const nodes = (await all(sql, args.values)).map(rowToNode);
      if (nodes.length === 0) return nodes;
      const rargs = new SqlArgs(true);
      return withRejections(nodes, await all(nodeRejectionsSql(nodes.map((n) => n.pod), rargs), rargs.values));
    },
    async rejectionsByCode() { return rejectionTotals(await all(REJECTION_TOTALS_SELECT)); },
    async counts(): Promise<StoreCounts> {
      const r = (await one(COUNTS_SELECT, []))!;
      return { readings: Number(r.readings), pending: Number(r.pending), anchors: Number(r.anchors), equivocations: Number(r.equivocations) };
    },
    async retentionDays(beforeMs) {
      return (await all(retentionDaysSql('$1'), [checkId(beforeMs, 'beforeMs')]))
        .map((r) => ({ dayMs: Number(r.day_ms), readings: Number(r.cnt), unconfirmed: Number(r.unconfirmed) }));
    },
    async readingsOfDay(dayMs, afterId, limit) {
      checkDay(dayMs);
      return (await all('SELECT * FROM readings WHERE received_ms >= $1 AND received_ms < $2 AND id > $3 ORDER BY id LIMIT $4',
        [dayMs, dayMs + DAY_MS, checkId(afterId, 'afterId'), checkLimit(limit, 'limit', 100_000)])).map(rowToReading);
    },
    async pruneDay(plan, opts = {}) {
      const res = await pruneDay(plan);
      if (res.deleted > 0) await opts.onBatch?.(res.deleted);
      return res;
    },
    async archivedDays() { return (await all('SELECT * FROM archived_days ORDER BY day_ms')).map(rowToArchivedDay); },
    async archivedDayOfReading(id) {
      const row = await one('SELECT * FROM archived_days WHERE min_id <= $1 AND max_id >= $1 ORDER BY day_ms LIMIT 1', [checkId(id, 'id')]);
      return row ? rowToArchivedDay(row) : null;
    },
    restoreReadings,
    async withLock(name, fn) {
      if (!/^[\w.:-]{1,64}$/.test(name)) throw new ValidationError(BAL_STORE_INVALID, 'lock.name', '[\\w.:-]{1,64}', name);
      // In this process first (one connection per waiter at most), then across instances.
      return processLocks.run(name, async () => {
        const c = await pool.connect();
        let broken: Error | undefined;
        try {
          await c.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`bal:${schema}:${name}`]);
          try { return await fn(); } finally {
            await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`bal:${schema}:${name}`]).catch((e: unknown) => { broken = e as Error; });
          }
        } catch (err) { broken ??= err as Error; throw err; } finally { c.release(broken); }
      });
    },
    async ping() { await pool.query('SELECT 1'); },
    async close() { if (closed) return; closed = true; await tail.catch(() => {}); await pool.end().catch(() => {}); },
  };
  return store;
}
