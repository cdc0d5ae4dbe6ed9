/**
 * SQL shared by the SQLite and PostgreSQL stores: one schema written once (the dialects differ
 * only in the id and 64-bit integer column types) and the query builders of the list methods,
 * which differ only in how a parameter is written (`?` or `$n`) and how a column is matched
 * against a list. Pure: builds strings and argument arrays, runs nothing.
 */
import { checkId, checkLimit, checkSearch, rowToReading } from './common.js';
import type { NodeQuery, ReadingPage, ReadingQuery } from './types.js';

export interface SqlTypes {
  /** Auto-increment primary key column type. */
  serial: string;
  /** 64-bit integer column type (ms times, seqs, block numbers, counters). */
  big: string;
}

export const SQLITE_TYPES: SqlTypes = { serial: 'INTEGER PRIMARY KEY AUTOINCREMENT', big: 'INTEGER' };
export const POSTGRES_TYPES: SqlTypes = { serial: 'BIGSERIAL PRIMARY KEY', big: 'BIGINT' };

/** One UTC day in ms: the retention unit (a reading's day is the UTC day the BAL received it). */
export const DAY_MS = 86_400_000;

/**
 * The store's tables and indexes (idempotent: `IF NOT EXISTS` throughout). `readings: false`
 * leaves out the readings table and its indexes (PostgreSQL declares its own, partitioned by day:
 * postgres-partitions.ts).
 */
export function storeSchema({ serial, big }: SqlTypes, opts: { readings?: boolean } = {}): string {
  return `${opts.readings === false ? '' : readingsTable({ serial, big })}${retentionSchema({ serial, big })}${restSchema({ serial, big })}`;
}

/** The unpartitioned readings table (SQLite; PostgreSQL before the day partitions). */
export function readingsTable({ serial, big }: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS readings (
  id ${serial},
  pod TEXT NOT NULL, device TEXT NOT NULL, seq ${big} NOT NULL,
  ts_ms ${big} NOT NULL, received_ms ${big} NOT NULL, digest TEXT NOT NULL, body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', anchor_index ${big}, leaf_index INTEGER,
  UNIQUE (device, seq)
);
CREATE INDEX IF NOT EXISTS readings_pod_ts ON readings (pod, ts_ms);
-- Retention walks days of arrival (appended in time order, so a cheap index to keep).
CREATE INDEX IF NOT EXISTS readings_received ON readings (received_ms);
-- Partial indexes: an insert touches only the pending index (the hot path); anchored
-- readings enter the anchor index when anchoring updates them anyway.
CREATE INDEX IF NOT EXISTS readings_pending ON readings (id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS readings_anchor ON readings (anchor_index, leaf_index) WHERE anchor_index IS NOT NULL;
`;
}

/**
 * Retention bookkeeping (cloud/src/retention): the days archived and removed, the exact runs of
 * (device, seq) they held (so a resent archived reading is still a duplicate, not stored twice),
 * and the full leaf list of every anchor whose readings are split between the store and an archive
 * (so receipts of the readings still in the store keep their proof).
 */
function retentionSchema({ big }: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS archived_days (
  day_ms ${big} PRIMARY KEY, readings ${big} NOT NULL, min_id ${big} NOT NULL, max_id ${big} NOT NULL,
  sha256 TEXT NOT NULL, state TEXT NOT NULL, archived_ms ${big} NOT NULL
);
CREATE INDEX IF NOT EXISTS archived_days_ids ON archived_days (min_id, max_id);
CREATE TABLE IF NOT EXISTS archived_ranges (
  device TEXT NOT NULL, min_seq ${big} NOT NULL, max_seq ${big} NOT NULL, day_ms ${big} NOT NULL,
  PRIMARY KEY (device, min_seq, max_seq)
);
CREATE TABLE IF NOT EXISTS anchor_leaves (idx ${big} PRIMARY KEY, leaves TEXT NOT NULL);
`;
}

function restSchema({ serial, big }: SqlTypes): string {
  return `
CREATE TABLE IF NOT EXISTS equivocations (
  id ${serial}, existing_id ${big} NOT NULL, pod TEXT NOT NULL, device TEXT NOT NULL,
  seq ${big} NOT NULL, digest TEXT NOT NULL, body TEXT NOT NULL, received_ms ${big} NOT NULL,
  UNIQUE (device, seq, digest)
);
CREATE TABLE IF NOT EXISTS anchors (
  idx ${big} PRIMARY KEY, root TEXT NOT NULL, leaf_count INTEGER NOT NULL, from_ms ${big} NOT NULL, to_ms ${big} NOT NULL,
  prev_hash TEXT NOT NULL, anchor_hash TEXT, tx TEXT NOT NULL UNIQUE, block_number ${big},
  status TEXT NOT NULL, created_ms ${big} NOT NULL, confirmed_ms ${big}
);
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY, holder TEXT NOT NULL, epoch ${big} NOT NULL, expires_ms ${big} NOT NULL
);
CREATE TABLE IF NOT EXISTS nodes (
  pod TEXT PRIMARY KEY, device TEXT, state TEXT NOT NULL DEFAULT 'unknown', last_seen_ms ${big}, last_status_ms ${big},
  reported_last_seq ${big}, spool_depth ${big}, quarantined ${big}, agent_version TEXT,
  rejected ${big} NOT NULL DEFAULT 0, duplicates ${big} NOT NULL DEFAULT 0, equivocations ${big} NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS node_devices (
  device TEXT PRIMARY KEY, pod TEXT NOT NULL, cnt ${big} NOT NULL, min_seq ${big} NOT NULL, max_seq ${big} NOT NULL
);
CREATE INDEX IF NOT EXISTS node_devices_pod ON node_devices (pod);
-- Rejected readings per node and ack reason code (a table of its own: CREATE … IF NOT EXISTS
-- gives it to databases made before it, which an added column would not).
-- Data servers' signed CIM messages (issue 13 §4); readings name them in source 'cim:<hash>'.
CREATE TABLE IF NOT EXISTS cim_messages (
  hash TEXT PRIMARY KEY, server_id TEXT NOT NULL, signer TEXT NOT NULL, signature TEXT NOT NULL,
  payload TEXT NOT NULL, received_ms ${big} NOT NULL
);
CREATE TABLE IF NOT EXISTS node_rejections (
  pod TEXT NOT NULL, code TEXT NOT NULL, cnt ${big} NOT NULL, PRIMARY KEY (pod, code)
);
-- When a node's row last changed through a status message or its counters (not through stored
-- readings: those are found by id). An api-only instance's live view polls it (events/store-feed.ts).
CREATE TABLE IF NOT EXISTS node_changes (pod TEXT PRIMARY KEY, changed_ms ${big} NOT NULL);
CREATE INDEX IF NOT EXISTS node_changes_ms ON node_changes (changed_ms);
`;
}

/** Row counts for `counts()` (same SQL in both dialects). */
export const COUNTS_SELECT = `SELECT (SELECT COUNT(*) FROM readings) AS readings, (SELECT COUNT(*) FROM readings WHERE status = 'pending') AS pending,
  (SELECT COUNT(*) FROM anchors) AS anchors, (SELECT COUNT(*) FROM equivocations) AS equivocations`;

/** Query arguments collected while a statement is built, with the dialect's placeholders. */
export class SqlArgs {
  readonly values: unknown[] = [];
  /** `numbered`: PostgreSQL `$1, $2…`; otherwise SQLite `?`. */
  constructor(private readonly numbered: boolean) {}

  /** Add a value; returns its placeholder. */
  add(v: unknown): string {
    this.values.push(v);
    return this.numbered ? `$${this.values.length}` : '?';
  }

  /** `col` equals one of `values` (non-empty): one array parameter or a list of placeholders. */
  inList(col: string, values: readonly string[]): string {
    return this.numbered ? `${col} = ANY(${this.add(values)}::text[])` : `${col} IN (${values.map((v) => this.add(v)).join(',')})`;
  }
}

const whereSql = (where: string[]): string => (where.length ? `WHERE ${where.join(' AND ')}` : '');

/** `listReadings`: the statement and its arguments, or null when `pods` is empty (nothing visible). */
export function listReadingsSql(q: ReadingQuery, args: SqlArgs): string | null {
  const limit = checkLimit(q.limit);
  const where: string[] = [];
  if (q.pod !== undefined) where.push(`pod = ${args.add(q.pod)}`);
  if (q.pods !== undefined) {
    if (q.pods.length === 0) return null;
    where.push(args.inList('pod', q.pods));
  }
  if (q.fromMs !== undefined) where.push(`ts_ms >= ${args.add(q.fromMs)}`);
  if (q.toMs !== undefined) where.push(`ts_ms < ${args.add(q.toMs)}`);
  if (q.status !== undefined) where.push(`status = ${args.add(q.status)}`);
  if (q.afterId !== undefined) where.push(`id > ${args.add(checkId(q.afterId, 'afterId'))}`);
  return `SELECT * FROM readings ${whereSql(where)} ORDER BY id LIMIT ${args.add(limit + 1)}`;
}

/** A page of `listReadings` from the `limit + 1` rows `listReadingsSql` asked for. */
export function readingPage(rows: Record<string, unknown>[], limit: number): ReadingPage {
  const items = rows.slice(0, limit).map(rowToReading);
  return { items, nextAfterId: rows.length > limit ? items[items.length - 1]!.id : null };
}

/** `listNodes` (`select` = NODE_SELECT): the statement, or null when `pods` is empty. */
export function listNodesSql(select: string, q: NodeQuery, args: SqlArgs): string | null {
  const where: string[] = [];
  if (q.pods !== undefined) {
    if (q.pods.length === 0) return null;
    where.push(args.inList('n.pod', q.pods));
  }
  if (q.afterPod !== undefined) where.push(`n.pod > ${args.add(q.afterPod)}`);
  if (q.search !== undefined) {
    // PoDs are stored upper-case and devices lower-case; letters and digits only, so no escaping.
    const s = checkSearch(q.search);
    where.push(`(n.pod LIKE ${args.add(`%${s.toUpperCase()}%`)} OR n.device LIKE ${args.add(`%${s.toLowerCase()}%`)})`);
  }
  return `${select} ${whereSql(where)} ORDER BY n.pod LIMIT ${args.add(checkLimit(q.limit ?? 1000))}`;
}

/** The per-code rejections of `pods` (non-empty), for `withRejections`. */
export function nodeRejectionsSql(pods: readonly string[], args: SqlArgs): string {
  return `SELECT pod, code, cnt FROM node_rejections WHERE ${args.inList('pod', pods)}`;
}

/** Fleet-wide rejections by code (`rejectionsByCode`, same SQL in both dialects). */
export const REJECTION_TOTALS_SELECT = 'SELECT code, SUM(cnt) AS cnt FROM node_rejections GROUP BY code';

/** Days (UTC, of arrival) with readings received before `$1`/`?`: counts, and how many are not confirmed. */
export function retentionDaysSql(p: string): string {
  return `SELECT (received_ms / ${DAY_MS}) * ${DAY_MS} AS day_ms, COUNT(*) AS cnt,
    SUM(CASE WHEN status = 'confirmed' THEN 0 ELSE 1 END) AS unconfirmed
    FROM readings WHERE received_ms < ${p} GROUP BY 1 ORDER BY 1`;
}
