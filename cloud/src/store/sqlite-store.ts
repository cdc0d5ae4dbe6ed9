/**
 * SQLite implementation of BalStore (the embedded default, DESIGN §7): better-sqlite3 in WAL
 * mode, synchronous=NORMAL (a committed transaction survives a process crash; WAL keeps readers
 * off the writer's back). better-sqlite3 is synchronous, so each method is one atomic step of
 * the event loop and writes never interleave. The AccessStore part lives in sqlite-access.ts.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { ensurePrivateSqlite } from '@lightnode/shared/private-files';
import {
  BatchBook, NODE_SELECT, RollbackWith, archivedCimClash, createProcessLocks, checkAnchorArgs, checkCounterDelta, checkDay, checkId, checkLeaves, checkLimit, checkPlan, conflict, leavesToText,
  checkLeaseArgs, fenced,
  planBounds, readingBody, rejectionTotals, rowToAnchor, rowToArchivedDay, rowToCimMessage, rowToNode, rowToReading, splitAnchors, textToLeaves, withRejections,
} from './common.js';
import { sqliteAccessStore } from './sqlite-access.js';
import { rowToFeedEvent, subscriptionFeedSql } from './access-sql.js';
import {
  COUNTS_SELECT, DAY_MS, REJECTION_TOTALS_SELECT, SQLITE_TYPES, SqlArgs, listNodesSql, listReadingsSql, nodeRejectionsSql, readingPage,
  retentionDaysSql, storeSchema,
} from './sql.js';
import type {
  AnchorRecord, AnchorTxInfo, AnchorWindow, BalStore, CimMessageRecord, LeaseFence, LeaseGrant, LeaseState, NodeCounterDelta, NodeRecord, NodeStatusInput, ProofMaterial, PrunePlan,
  ReadingPage, ReadingQuery, StoreBatchResult, StoreCounts, StoredReading, StoredReadingInput,
} from './types.js';
import type { Hex } from '@lightnode/shared/hex';


export interface SqliteStoreOptions {
  /** Database file; `:memory:` for a throw-away store. Parent folders are created. */
  path: string;
  /** Clock for created/confirmed times, ms since epoch; default Date.now. */
  now?: () => number;
}

/** Open (creating if needed) the SQLite store. */
export function openSqliteStore(opts: SqliteStoreOptions): BalStore {
  ensurePrivateSqlite(opts.path); // 0600 in a 0700 folder, the -wal/-shm files alike
  const db = new Database(opts.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Checkpoint the WAL every ~40 MB instead of SQLite's 4 MB (issue 15): at one reading per
  // message each commit rewrites index pages of many devices, and a page rewritten by many
  // commits is copied back once per checkpoint; measured −8 µs CPU and −12 µs wall per reading
  // (bench/ingest.ts, batch 1). The file is cut back to 64 MB after a checkpoint.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('journal_size_limit = 67108864');
  db.exec(storeSchema(SQLITE_TYPES));
  const access = sqliteAccessStore(db);
  const now = opts.now ?? Date.now;

  const st = {
    insert: db.prepare(`INSERT INTO readings (pod, device, seq, ts_ms, received_ms, digest, body) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (device, seq) DO NOTHING`),
    existing: db.prepare('SELECT id, digest FROM readings WHERE device = ? AND seq = ?'),
    equivocation: db.prepare(`INSERT INTO equivocations (existing_id, pod, device, seq, digest, body, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (device, seq, digest) DO NOTHING`),
    deviceAgg: db.prepare(`INSERT INTO node_devices (device, pod, cnt, min_seq, max_seq) VALUES (@device, @pod, @count, @minSeq, @maxSeq)
      ON CONFLICT (device) DO UPDATE SET cnt = cnt + excluded.cnt, min_seq = MIN(min_seq, excluded.min_seq), max_seq = MAX(max_seq, excluded.max_seq)`),
    podAgg: db.prepare(`INSERT INTO nodes (pod, device, last_seen_ms) VALUES (@pod, @device, @lastSeenMs)
      ON CONFLICT (pod) DO UPDATE SET device = CASE WHEN excluded.last_seen_ms >= COALESCE(last_seen_ms, 0) THEN excluded.device ELSE device END,
        last_seen_ms = MAX(COALESCE(last_seen_ms, 0), excluded.last_seen_ms)`),
    byId: db.prepare('SELECT * FROM readings WHERE id = ?'),
    byDeviceSeq: db.prepare('SELECT * FROM readings WHERE device = ? AND seq = ?'),
    lastSeq: db.prepare('SELECT MAX(seq) AS m FROM readings WHERE device = ?'),
    pending: db.prepare(`SELECT * FROM readings WHERE status = 'pending' ORDER BY id LIMIT ?`),
    anchorByTx: db.prepare('SELECT * FROM anchors WHERE tx = ?'),
    anchorByIdx: db.prepare('SELECT * FROM anchors WHERE idx = ?'),
    latestAnchor: db.prepare('SELECT * FROM anchors ORDER BY idx DESC LIMIT 1'),
    unconfirmed: db.prepare(`SELECT * FROM anchors WHERE status = 'sent' ORDER BY idx`),
    insertAnchor: db.prepare(`INSERT INTO anchors (idx, root, leaf_count, from_ms, to_ms, prev_hash, anchor_hash, tx, block_number, status, created_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'sent', ?)`),
    assign: db.prepare(`UPDATE readings SET status = 'anchored', anchor_index = ?, leaf_index = ? WHERE id = ? AND status = 'pending'`),
    confirm: db.prepare(`UPDATE anchors SET status = 'confirmed', block_number = ?, anchor_hash = COALESCE(?, anchor_hash), confirmed_ms = ? WHERE tx = ?`),
    confirmReadings: db.prepare(`UPDATE readings SET status = 'confirmed' WHERE anchor_index = ?`),
    release: db.prepare(`UPDATE readings SET status = 'pending', anchor_index = NULL, leaf_index = NULL WHERE anchor_index = ?`),
    deleteAnchor: db.prepare('DELETE FROM anchors WHERE idx = ?'),
    ofAnchor: db.prepare('SELECT * FROM readings WHERE anchor_index = ? ORDER BY leaf_index'),
    leaves: db.prepare('SELECT digest FROM readings WHERE anchor_index = ? ORDER BY leaf_index'),
    status: db.prepare(`INSERT INTO nodes (pod, device, state, last_seen_ms, last_status_ms, reported_last_seq, spool_depth, quarantined, agent_version)
      VALUES (@pod, @device, @state, @receivedAtMs, @ts, @lastSeq, @spoolDepth, @quarantined, @agentVersion)
      ON CONFLICT (pod) DO UPDATE SET device = excluded.device, state = excluded.state,
        last_seen_ms = MAX(COALESCE(last_seen_ms, 0), excluded.last_seen_ms), last_status_ms = excluded.last_status_ms,
        reported_last_seq = excluded.reported_last_seq, spool_depth = excluded.spool_depth,
        quarantined = excluded.quarantined, agent_version = excluded.agent_version
      WHERE excluded.last_status_ms >= COALESCE(nodes.last_status_ms, 0)`),
    counters: db.prepare(`INSERT INTO nodes (pod, rejected, duplicates, equivocations) VALUES (@pod, @rejected, @duplicates, @equivocations)
      ON CONFLICT (pod) DO UPDATE SET rejected = rejected + excluded.rejected, duplicates = duplicates + excluded.duplicates,
        equivocations = equivocations + excluded.equivocations`),
    rejection: db.prepare(`INSERT INTO node_rejections (pod, code, cnt) VALUES (?, ?, ?)
      ON CONFLICT (pod, code) DO UPDATE SET cnt = cnt + excluded.cnt`),
    rejectionsOf: db.prepare('SELECT pod, code, cnt FROM node_rejections WHERE pod = ?'),
    rejectionTotals: db.prepare(REJECTION_TOTALS_SELECT),
    node: db.prepare(`${NODE_SELECT} WHERE n.pod = ?`),
    counts: db.prepare(COUNTS_SELECT),
    ping: db.prepare('SELECT 1'),
    insertCim: db.prepare(`INSERT INTO cim_messages (hash, server_id, signer, signature, payload, received_ms) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (hash) DO NOTHING`),
    cimByHash: db.prepare('SELECT * FROM cim_messages WHERE hash = ?'),
    // Retention
    archivedRun: db.prepare('SELECT 1 FROM archived_ranges WHERE device = ? AND min_seq <= ? AND max_seq >= ? LIMIT 1'),
    retentionDays: db.prepare(retentionDaysSql('?')),
    // `+received_ms`: walk the primary key from `afterId` (a page costs its rows), not the arrival index (every page would sort the whole day).
    ofDay: db.prepare('SELECT * FROM readings WHERE +received_ms >= ? AND +received_ms < ? AND id > ? AND id <= ? ORDER BY id LIMIT ?'),
    dayIds: db.prepare('SELECT MIN(id) AS lo, MAX(id) AS hi FROM readings WHERE received_ms >= ? AND received_ms < ?'),
    dayLeft: db.prepare('SELECT COUNT(*) AS n FROM readings WHERE received_ms >= ? AND received_ms < ?'),
    markDay: db.prepare(`INSERT INTO archived_days (day_ms, readings, min_id, max_id, sha256, state, archived_ms) VALUES (?, ?, ?, ?, ?, 'pruning', ?)
      ON CONFLICT (day_ms) DO UPDATE SET readings = excluded.readings, min_id = excluded.min_id, max_id = excluded.max_id,
        sha256 = excluded.sha256, state = 'pruning', archived_ms = excluded.archived_ms`),
    dayPruned: db.prepare(`UPDATE archived_days SET state = 'pruned' WHERE day_ms = ?`),
    addRun: db.prepare('INSERT INTO archived_ranges (device, min_seq, max_seq, day_ms) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    leafCount: db.prepare('SELECT leaf_count FROM anchors WHERE idx = ?'),
    keptLeaves: db.prepare('SELECT leaves FROM anchor_leaves WHERE idx = ?'),
    keepLeaves: db.prepare('INSERT INTO anchor_leaves (idx, leaves) VALUES (?, ?) ON CONFLICT (idx) DO NOTHING'),
    deleteArchived: db.prepare(`DELETE FROM readings WHERE id = ? AND digest = ? AND status = 'confirmed' AND received_ms >= ? AND received_ms < ?`),
    archivedDays: db.prepare('SELECT * FROM archived_days ORDER BY day_ms'),
    archivedDayOf: db.prepare('SELECT * FROM archived_days WHERE min_id <= ? AND max_id >= ? ORDER BY day_ms LIMIT 1'),
    restore: db.prepare(`INSERT INTO readings (id, pod, device, seq, ts_ms, received_ms, digest, body, status, anchor_index, leaf_index)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
  };

  /** An anchor's leaves: kept whole in anchor_leaves once the anchor is split by an archived day, else its readings' digests. */
  const leavesOf = (index: number): Hex[] => {
    const kept = st.keptLeaves.get(index) as { leaves: string } | undefined;
    return kept ? textToLeaves(kept.leaves) : (st.leaves.all(index) as { digest: Hex }[]).map((l) => l.digest);
  };

  const storeBatchTx = db.transaction((inputs: StoredReadingInput[]): StoreBatchResult => {
    const res: StoreBatchResult = { stored: [], duplicate: [], equivocation: [], outcomes: [], ids: [] };
    const book = new BatchBook();
    for (const inp of inputs) {
      const r = inp.reading;
      // A (device, seq) that an archived day held and the store no longer does: a duplicate (its
      // digest is in the archive, not here), never stored a second time.
      if (st.archivedRun.get(inp.signer, r.seq, r.seq) && !st.existing.get(inp.signer, r.seq)) {
        res.duplicate.push(r.seq); res.outcomes.push('duplicate'); res.ids.push(0); book.duplicate(inp);
        continue;
      }
      const info = st.insert.run(r.pod, inp.signer, r.seq, r.timestamp, inp.receivedAtMs, inp.digest, inp.body ?? readingBody(r));
      if (info.changes === 1) {
        res.stored.push(r.seq); res.outcomes.push('stored'); res.ids.push(Number(info.lastInsertRowid));
        book.stored(inp);
        continue;
      }
      const ex = st.existing.get(inp.signer, r.seq) as { id: number; digest: string };
      res.ids.push(ex.id);
      if (ex.digest === inp.digest) { res.duplicate.push(r.seq); res.outcomes.push('duplicate'); book.duplicate(inp); }
      else {
        res.equivocation.push(r.seq); res.outcomes.push('equivocation'); book.equivocation(inp);
        st.equivocation.run(ex.id, r.pod, inp.signer, r.seq, inp.digest, inp.body ?? readingBody(r), inp.receivedAtMs);
      }
    }
    for (const d of book.devices.values()) st.deviceAgg.run(d);
    for (const p of book.pods.values()) st.podAgg.run({ pod: p.pod, device: p.device, lastSeenMs: p.lastSeenMs });
    return res;
  });

  const storeCimTx = db.transaction((m: CimMessageRecord, inputs: StoredReadingInput[]): StoreBatchResult => {
    const msg = st.insertCim.run(m.hash, m.serverId, m.signer, m.signature, Buffer.from(m.payload).toString('base64'), m.receivedAtMs);
    const res = storeBatchTx(inputs);
    if (res.equivocation.length > 0) throw new RollbackWith(res);
    const clash = msg.changes === 1 ? archivedCimClash(inputs, res) : null;
    if (clash) throw new RollbackWith(clash);
    return res;
  });

  const lease = {
    get: db.prepare('SELECT name, holder, epoch, expires_ms FROM leases WHERE name = ?'),
    put: db.prepare(`INSERT INTO leases (name, holder, epoch, expires_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, expires_ms = excluded.expires_ms`),
    release: db.prepare('UPDATE leases SET expires_ms = 0 WHERE name = ? AND holder = ?'),
  };
  type LeaseRow = { name: string; holder: string; epoch: number; expires_ms: number };
  /** The fencing check of an anchoring write, inside its transaction. */
  const checkFence = (f: LeaseFence | undefined): void => {
    if (!f) return;
    const row = lease.get.get(f.name) as LeaseRow | undefined;
    if (!row || Number(row.epoch) !== f.epoch) throw fenced(f, row ? Number(row.epoch) : null);
  };
  const acquireTx = db.transaction((name: string, holder: string, ttlMs: number): LeaseGrant | null => {
    const t = now();
    const row = lease.get.get(name) as LeaseRow | undefined;
    const running = row !== undefined && Number(row.expires_ms) > t;
    if (running && row.holder !== holder) return null;
    const takenOver = !running || row === undefined;
    const epoch = row === undefined ? 1 : takenOver ? Number(row.epoch) + 1 : Number(row.epoch);
    lease.put.run(name, holder, epoch, t + ttlMs);
    return { epoch, expiresAtMs: t + ttlMs, takenOver };
  });

  const recordAnchorTx = db.transaction((w: AnchorWindow, ids: number[], tx: AnchorTxInfo, fence?: LeaseFence): void => {
    checkFence(fence);
    if (st.anchorByIdx.get(w.index)) throw conflict(`anchor index ${w.index} already recorded`, { index: w.index });
    if (st.anchorByTx.get(tx.transaction)) throw conflict(`anchor transaction ${tx.transaction} already recorded`, { transaction: tx.transaction });
    st.insertAnchor.run(w.index, w.root, w.leafCount, w.fromMs, w.toMs, w.prevHash, w.anchorHash ?? null, tx.transaction, tx.blockNumber, now());
    ids.forEach((id, leaf) => {
      if (st.assign.run(w.index, leaf, id).changes !== 1) throw conflict(`reading ${id} is not pending`, { readingId: id });
    });
  });

  const confirmTx = db.transaction((transaction: Hex, blockNumber: number, anchorHash: Hex | null, fence?: LeaseFence): AnchorRecord | null => {
    checkFence(fence);
    const row = st.anchorByTx.get(transaction) as Record<string, unknown> | undefined;
    if (!row) return null;
    if (row.status !== 'confirmed') {
      st.confirm.run(blockNumber, anchorHash, now(), transaction);
      st.confirmReadings.run(row.idx);
    }
    return rowToAnchor(st.anchorByTx.get(transaction) as Record<string, unknown>);
  });

  const abandonTx = db.transaction((transaction: Hex, fence?: LeaseFence): boolean => {
    checkFence(fence);
    const row = st.anchorByTx.get(transaction) as Record<string, unknown> | undefined;
    if (!row || row.status !== 'sent') return false;
    st.release.run(row.idx);
    st.deleteAnchor.run(row.idx);
    return true;
  });

  const nodeChanged = db.prepare(`INSERT INTO node_changes (pod, changed_ms) VALUES (?, ?)
    ON CONFLICT (pod) DO UPDATE SET changed_ms = MAX(node_changes.changed_ms, excluded.changed_ms)`);
  const processLocks = createProcessLocks();
  const counterTx = db.transaction((pod: string, delta: NodeCounterDelta) => {
    const d = checkCounterDelta(delta);
    st.counters.run({ pod, rejected: d.rejected, duplicates: d.duplicates, equivocations: d.equivocations });
    for (const [code, n] of d.byCode) st.rejection.run(pod, code, n);
    nodeChanged.run(pod, now());
  });
  const statusTx = db.transaction((s: NodeStatusInput, receivedAtMs: number) => {
    st.status.run({ ...s, device: s.device.toLowerCase(), receivedAtMs });
    nodeChanged.run(s.pod, now());
  });
  const nodeChangesSt = db.prepare('SELECT pod, changed_ms FROM node_changes WHERE changed_ms > ? ORDER BY changed_ms LIMIT ?');
  const feedStartSt = db.prepare(`SELECT (SELECT COALESCE(MAX(id), 0) FROM readings) AS m, (SELECT COALESCE(MAX(changed_ms), 0) FROM node_changes) AS n,
    (SELECT COALESCE(MAX(id), 0) FROM subscription_events) AS s`);
  const subFeedSt = db.prepare(subscriptionFeedSql('?', '?'));

  /** Record the day (state pruning), its seq runs and the full leaves of anchors it splits: before any delete. */
  const beginPruneTx = db.transaction((plan: PrunePlan): void => {
    const b = planBounds(plan);
    st.markDay.run(plan.dayMs, b.readings, b.minId, b.maxId, plan.sha256, now());
    for (const r of plan.ranges) st.addRun.run(r.device, r.minSeq, r.maxSeq, plan.dayMs);
    const count = (i: number): number | undefined => (st.leafCount.get(i) as { leaf_count: number } | undefined)?.leaf_count;
    for (const idx of splitAnchors(plan, count)) {
      if (st.keptLeaves.get(idx)) continue;
      const leaves = (st.leaves.all(idx) as { digest: Hex }[]).map((l) => l.digest);
      checkLeaves(idx, leaves, count(idx)!);
      st.keepLeaves.run(idx, leavesToText(leaves));
    }
  });
  const deleteBatchTx = db.transaction((dayMs: number, batch: PrunePlan['records']): number => {
    let n = 0;
    for (const r of batch) n += st.deleteArchived.run(r.id, r.digest, dayMs, dayMs + DAY_MS).changes;
    return n;
  });
  const restoreTx = db.transaction((rows: StoredReading[]): number => {
    let n = 0;
    for (const r of rows) {
      n += st.restore.run(r.id, r.pod, r.device, r.seq, r.timestampMs, r.receivedAtMs, r.digest, readingBody(r.reading), r.status, r.anchorIndex, r.leafIndex).changes;
    }
    return n;
  });

  const dayBounds = new Map<number, { lo: number | null; hi: number | null }>();
  let closed = false;
  const store: BalStore = {
    ...access,
    kind: 'sqlite',
    async storeBatch(verified) { return verified.length === 0 ? { stored: [], duplicate: [], equivocation: [], outcomes: [], ids: [] } : storeBatchTx(verified); },
    async storeCimMessage(message, readings) {
      try {
        return storeCimTx(message, readings);
      } catch (err) {
        if (err instanceof RollbackWith) return err.value as StoreBatchResult;
        throw err;
      }
    },
    async cimMessage(hash) {
      const row = st.cimByHash.get(hash.toLowerCase()) as Record<string, unknown> | undefined;
      return row ? rowToCimMessage(row) : null;
    },
    async readingById(id) {
      const row = st.byId.get(checkId(id, 'id')) as Record<string, unknown> | undefined;
      return row ? rowToReading(row) : null;
    },
    async readingByDeviceSeq(device, seq) {
      const row = st.byDeviceSeq.get(device.toLowerCase(), checkId(seq, 'seq')) as Record<string, unknown> | undefined;
      return row ? rowToReading(row) : null;
    },
    async listReadings(q: ReadingQuery): Promise<ReadingPage> {
      const args = new SqlArgs(false);
      const sql = listReadingsSql(q, args);
      return sql === null ? { items: [], nextAfterId: null } : readingPage(db.prepare(sql).all(...args.values) as Record<string, unknown>[], q.limit);
    },
    async lastSeqOfDevice(device) {
      const row = st.lastSeq.get(device.toLowerCase()) as { m: number | null };
      return row.m ?? null;
    },
    async pendingForAnchoring(limit) {
      return (st.pending.all(checkLimit(limit, 'limit', 1_000_000)) as Record<string, unknown>[]).map(rowToReading);
    },
    async recordAnchor(window, readingIds, tx, fence) {
      checkAnchorArgs(window.leafCount, readingIds);
      recordAnchorTx(window, readingIds, tx, fence);
      return rowToAnchor(st.anchorByIdx.get(window.index) as Record<string, unknown>);
    },
    async confirmAnchor(transaction, info, fence) { return confirmTx(transaction, info.blockNumber, info.anchorHash ?? null, fence); },
    async abandonAnchor(transaction, fence) { return abandonTx(transaction, fence); },
    async acquireLease(name, holder, ttlMs) { checkLeaseArgs(name, holder, ttlMs); return acquireTx(name, holder, ttlMs); },
    async releaseLease(name, holder) { return lease.release.run(name, holder).changes === 1; },
    async readLease(name): Promise<LeaseState | null> {
      const row = lease.get.get(name) as LeaseRow | undefined;
      return row ? { name: row.name, holder: row.holder, epoch: Number(row.epoch), expiresAtMs: Number(row.expires_ms) } : null;
    },
    async anchorByTransaction(transaction) {
      const row = st.anchorByTx.get(transaction.toLowerCase()) as Record<string, unknown> | undefined;
      return row ? rowToAnchor(row) : null;
    },
    async anchorByIndex(index) {
      const row = st.anchorByIdx.get(checkId(index, 'index')) as Record<string, unknown> | undefined;
      return row ? rowToAnchor(row) : null;
    },
    async latestAnchor() {
      const row = st.latestAnchor.get() as Record<string, unknown> | undefined;
      return row ? rowToAnchor(row) : null;
    },
    async unconfirmedAnchors() { return (st.unconfirmed.all() as Record<string, unknown>[]).map(rowToAnchor); },
    async readingsOfAnchor(index, q = {}) {
      checkId(index, 'index');
      if (q.fromLeaf === undefined && q.limit === undefined && q.pods === undefined) return (st.ofAnchor.all(index) as Record<string, unknown>[]).map(rowToReading);
      if (q.pods !== undefined && q.pods.length === 0) return [];
      const args: unknown[] = [index, checkId(q.fromLeaf ?? 0, 'fromLeaf')];
      let sql = 'SELECT * FROM readings WHERE anchor_index = ? AND leaf_index >= ?';
      if (q.pods !== undefined) { sql += ` AND pod IN (${q.pods.map(() => '?').join(',')})`; args.push(...q.pods); }
      sql += ' ORDER BY leaf_index LIMIT ?';
      args.push(q.limit === undefined ? -1 : checkLimit(q.limit, 'limit', 1_000_000));
      return (db.prepare(sql).all(...args) as Record<string, unknown>[]).map(rowToReading);
    },
    async anchorLeaves(index) { return leavesOf(checkId(index, 'index')); },
    async proofMaterial(readingId): Promise<ProofMaterial | null> {
      const row = st.byId.get(checkId(readingId, 'readingId')) as Record<string, unknown> | undefined;
      if (!row) return null;
      const reading = rowToReading(row);
      if (reading.anchorIndex === null || reading.leafIndex === null) return null;
      const anchor = rowToAnchor(st.anchorByIdx.get(reading.anchorIndex) as Record<string, unknown>);
      return { reading, anchor, leaves: leavesOf(reading.anchorIndex), leafIndex: reading.leafIndex };
    },
    async recordNodeStatus(s: NodeStatusInput, receivedAtMs: number) { statusTx(s, receivedAtMs); },
    async addNodeCounters(pod, delta) { counterTx(pod, delta); },
    async nodeChanges(afterMs, limit) {
      return (nodeChangesSt.all(checkId(afterMs, 'afterMs'), checkLimit(limit, 'limit', 10_000)) as Record<string, unknown>[])
        .map((r) => ({ pod: String(r.pod), changedMs: Number(r.changed_ms) }));
    },
    async liveFeedStart() {
      const r = feedStartSt.get() as { m: number; n: number; s: number };
      return { maxReadingId: Number(r.m), lastNodeChangeMs: Number(r.n), maxSubscriptionEventId: Number(r.s) };
    },
    async subscriptionEventsAfter(afterId, limit) {
      return (subFeedSt.all(checkId(afterId, 'afterId'), checkLimit(limit, 'limit', 10_000)) as Record<string, unknown>[]).map(rowToFeedEvent);
    },
    async nodeByPod(pod): Promise<NodeRecord | null> {
      const row = st.node.get(pod) as Record<string, unknown> | undefined;
      return row ? withRejections([rowToNode(row)], st.rejectionsOf.all(pod) as Record<string, unknown>[])[0]! : null;
    },
    async listNodes(q = {}) {
      const args = new SqlArgs(false);
      const sql = listNodesSql(NODE_SELECT, q, args);
      if (sql === null) return [];
      const nodes = (db.prepare(sql).all(...args.values) as Record<string, unknown>[]).map(rowToNode);
      if (nodes.length === 0) return nodes;
      const rargs = new SqlArgs(false);
      const rsql = nodeRejectionsSql(nodes.map((n) => n.pod), rargs);
      return withRejections(nodes, db.prepare(rsql).all(...rargs.values) as Record<string, unknown>[]);
    },
    async rejectionsByCode() { return rejectionTotals(st.rejectionTotals.all() as Record<string, unknown>[]); },
    async counts(): Promise<StoreCounts> {
      const r = st.counts.get() as Record<string, number>;
      return { readings: r.readings!, pending: r.pending!, anchors: r.anchors!, equivocations: r.equivocations! };
    },
    async retentionDays(beforeMs) {
      return (st.retentionDays.all(checkId(beforeMs, 'beforeMs')) as Record<string, number>[])
        .map((r) => ({ dayMs: Number(r.day_ms), readings: Number(r.cnt), unconfirmed: Number(r.unconfirmed) }));
    },
    async readingsOfDay(dayMs, afterId, limit) {
      checkDay(dayMs);
      // The day's id bounds: looked up when a walk starts (afterId 0), reused for its next pages.
      let ids = dayBounds.get(dayMs);
      if (!ids || afterId === 0) { ids = st.dayIds.get(dayMs, dayMs + DAY_MS) as { lo: number | null; hi: number | null }; dayBounds.set(dayMs, ids); }
      if (dayBounds.size > 64) dayBounds.delete(dayBounds.keys().next().value!);
      if (ids.hi === null) return [];
      const from = Math.max(checkId(afterId, 'afterId'), ids.lo! - 1);
      return (st.ofDay.all(dayMs, dayMs + DAY_MS, from, ids.hi, checkLimit(limit, 'limit', 100_000)) as Record<string, unknown>[]).map(rowToReading);
    },
    async pruneDay(plan, opts = {}) {
      checkPlan(plan);
      beginPruneTx(plan);
      // Small transactions with the event loop free in between: ingest commits between two.
      const size = checkLimit(opts.batchSize ?? 500, 'batchSize', 100_000);
      let deleted = 0;
      for (let i = 0; i < plan.records.length; i += size) {
        const n = deleteBatchTx(plan.dayMs, plan.records.slice(i, i + size));
        deleted += n;
        if (n > 0) await opts.onBatch?.(n);
        await tick();
      }
      const remaining = (st.dayLeft.get(plan.dayMs, plan.dayMs + DAY_MS) as { n: number }).n;
      if (remaining === 0) st.dayPruned.run(plan.dayMs);
      return { deleted, remaining };
    },
    async archivedDays() { return (st.archivedDays.all() as Record<string, unknown>[]).map(rowToArchivedDay); },
    async archivedDayOfReading(id) {
      const row = st.archivedDayOf.get(checkId(id, 'id'), id) as Record<string, unknown> | undefined;
      return row ? rowToArchivedDay(row) : null;
    },
    async restoreReadings(rows) {
      const restored = rows.length ? restoreTx(rows) : 0;
      return { restored, present: rows.length - restored };
    },
    withLock: (name, fn) => processLocks.run(name, fn),
    async ping() { st.ping.get(); },
    async close() { if (!closed) { closed = true; db.close(); } },
  };
  return store;
}

