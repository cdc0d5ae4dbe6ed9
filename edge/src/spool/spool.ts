/**
 * The signed-reading spool (DESIGN §4, issue 4 item 5): better-sqlite3 in WAL mode.
 *
 * - `append` allocates `seq` from the persisted high-water mark, signs, and inserts in ONE
 *   transaction: a reading exists on disk, signed, before anything can send it, and a crash at
 *   any instant either keeps both the row and the new high-water mark or neither.
 * - Rows leave only by an ack (stored/duplicate → deleted; rejected → quarantine with its code)
 *   or by the documented eviction policy (`enforceBounds`), which records every gap it makes.
 * - `synchronous=FULL` by default: with NORMAL a power cut may roll back a committed (and maybe
 *   already sent) reading together with the high-water mark, and the next reading would reuse
 *   its seq — an equivocation at the BAL.
 * - Another connection holding the file locked (issue 17: a second agent on the same config
 *   crashed the first with an uncaught "database is locked"): write transactions are BEGIN
 *   IMMEDIATE, so they wait `busyTimeoutMs` for the lock instead of failing at once on a
 *   read-to-write upgrade, and a lock held longer becomes EDGE_SPOOL_BUSY — the caller retries.
 */
import { ensurePrivateSqlite } from '@lightnode/shared/private-files';
import Database from 'better-sqlite3';
import { validateReading, type Reading, type SignedReading } from '@lightnode/shared/reading';
import { LightNodeError } from '@lightnode/shared/errors';
import { SPOOL_DDL, SPOOL_SCHEMA_VERSION } from './schema.js';
import type { AckInput, AckResult, OutboxRow, SpoolCounts, SpoolDraft, SpoolPort } from './port.js';
import { Metrics } from '../ops/metrics.js';

/** One spooled row: `body` is the SignedReading JSON exactly as signed and stored. */
export interface SpooledRow extends OutboxRow { createdMs: number; meter: string }

/** One quarantined row. */
export interface QuarantinedRow { seq: number; quarantinedMs: number; code: string; reason: string; body: string }

/** One recorded eviction (a gap in the sequence the DSO can see in `status`/export). */
export interface EvictionRecord { evictedMs: number; reason: 'age' | 'bytes'; firstSeq: number; lastSeq: number; count: number; bytes: number }

/** Spool summary for `lightnode status`, the status message and /healthz. */
export interface SpoolStatus extends SpoolCounts {
  bytes: number; oldestSeq: number | null; oldestCreatedMs: number | null; lastAckMs: number | null;
  evictedReadings: number;
}

export interface SpoolOptions {
  /** SQLite file path (created if absent). */
  path: string;
  /** The node's PoD code, put in every reading. */
  pod: string;
  /** Signs a reading (EIP-712, device key); called inside the insert transaction. */
  sign: (reading: Reading) => SignedReading;
  /** Bound on the summed size of spooled reading bodies, bytes. Default 512 MiB. */
  maxBytes?: number;
  /** Bound on a spooled reading's age, ms. Default 30 days. */
  maxAgeMs?: number;
  /** SQLite `synchronous` pragma. Default 'full' (see file comment). */
  synchronous?: 'full' | 'normal';
  /** Clock (ms since epoch). */
  now?: () => number;
  /** Metrics registry (counters `spool_*`). */
  metrics?: Metrics;
  /** How long a statement waits for another connection's lock before EDGE_SPOOL_BUSY, ms. Default 5,000. */
  busyTimeoutMs?: number;
}

/** SQLite's "file locked by another connection" result codes (better-sqlite3 `SqliteError.code`). */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code);
}

/** Run `fn`; a busy/locked SQLite error becomes EDGE_SPOOL_BUSY naming the operation (the one place it is typed). */
function guard<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isSqliteBusy(err)) throw new LightNodeError('EDGE_SPOOL_BUSY', `spool ${op}: the database is locked by another connection (${(err as Error).message})`, { op }, { cause: err });
    throw err;
  }
}

export const DEFAULT_SPOOL_MAX_BYTES = 512 * 1024 * 1024;
export const DEFAULT_SPOOL_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** After a bytes eviction the spool is brought down to this fraction of maxBytes (hysteresis). */
export const EVICT_TARGET_FRACTION = 0.9;

/** The SQLite spool. One instance per file; single writer. */
export class Spool implements SpoolPort {
  readonly #db: Database.Database;
  readonly #pod: string;
  readonly #sign: (r: Reading) => SignedReading;
  readonly #now: () => number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  #bytes: number;
  #depth: number;
  readonly #stmts;
  readonly #appendTx: (drafts: SpoolDraft[]) => SignedReading[];
  #ackTx: (ack: AckInput) => AckResult;
  readonly #m;

  private constructor(opts: SpoolOptions) {
    this.#pod = opts.pod;
    this.#sign = opts.sign;
    this.#now = opts.now ?? Date.now;
    this.#maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.#maxAgeMs = opts.maxAgeMs ?? DEFAULT_SPOOL_MAX_AGE_MS;
    try {
      ensurePrivateSqlite(opts.path);
      this.#db = new Database(opts.path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      this.#db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
      this.#db.exec(SPOOL_DDL);
      const ok = this.#db.pragma('quick_check', { simple: true });
      if (ok !== 'ok') throw new LightNodeError('EDGE_SPOOL_OPEN', `quick_check: ${String(ok)}`, { path: opts.path });
    } catch (err) {
      throw new LightNodeError('EDGE_SPOOL_OPEN', `spool ${opts.path}: cannot open (${(err as Error).message})`, { path: opts.path }, { cause: err });
    }
    const db = this.#db;
    db.prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)').run('schema_version', SPOOL_SCHEMA_VERSION);
    db.prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)').run('seq_hwm', -1);
    this.#stmts = {
      getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      insert: db.prepare('INSERT INTO readings(seq, created_ms, meter, activation, bytes, body) VALUES (?, ?, ?, ?, ?, ?)'),
      pending: db.prepare<[number, number], SpooledRow>('SELECT seq, created_ms AS createdMs, meter, bytes, body FROM readings WHERE seq > ? ORDER BY seq LIMIT ?'),
      get: db.prepare<[number], SpooledRow>('SELECT seq, created_ms AS createdMs, meter, bytes, body FROM readings WHERE seq = ?'),
      del: db.prepare('DELETE FROM readings WHERE seq = ?'),
      quarantine: db.prepare('INSERT OR REPLACE INTO quarantine(seq, quarantined_ms, code, reason, body) VALUES (?, ?, ?, ?, ?)'),
      totals: db.prepare<[], { n: number; b: number | null }>('SELECT count(*) AS n, sum(bytes) AS b FROM readings'),
      oldest: db.prepare<[], { seq: number; createdMs: number }>('SELECT seq, created_ms AS createdMs FROM readings ORDER BY seq LIMIT 1'),
      qcount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM quarantine'),
      evictedSum: db.prepare<[], { n: number | null }>('SELECT sum(count) AS n FROM evictions'),
      recordEviction: db.prepare('INSERT INTO evictions(evicted_ms, reason, first_seq, last_seq, count, bytes) VALUES (?, ?, ?, ?, ?, ?)'),
    };
    const t = this.#stmts.totals.get()!;
    this.#depth = t.n;
    this.#bytes = t.b ?? 0;

    const m = opts.metrics ?? new Metrics();
    this.#m = {
      appended: m.counter('spool_appended_total', 'Readings signed and committed to the spool'),
      acked: m.counter('spool_acked_total', 'Spooled readings removed by an ack, by outcome (stored|duplicate)'),
      quarantined: m.counter('spool_quarantined_total', 'Readings moved to quarantine by a rejecting ack, by code'),
      evicted: m.counter('spool_evicted_total', 'Readings evicted by the spool bound, by reason (age|bytes)'),
      unknownAck: m.counter('spool_ack_unknown_total', 'Acked seqs not (or no longer) in the spool'),
    };
    m.gaugeFn('spool_depth', 'Readings waiting for an ack', () => this.#depth);
    m.gaugeFn('spool_bytes', 'Summed size of spooled reading bodies, bytes', () => this.#bytes);
    m.gaugeFn('spool_quarantined', 'Readings in quarantine', () => this.#stmts.qcount.get()!.n);

    const appendTx = db.transaction((drafts: SpoolDraft[]) => {
      let seq = this.#stmts.getMeta.get('seq_hwm')!.value;
      const now = this.#now();
      const out: SignedReading[] = [];
      let added = 0;
      for (const d of drafts) {
        seq += 1;
        // Validate at the boundary (integers only, known units, …): a bad draft throws
        // PROTO_READING_INVALID, rolls the transaction back and burns no seq.
        const reading: Reading = validateReading({ pod: this.#pod, meter: d.meter, seq, timestamp: d.timestamp, source: d.source, values: d.values });
        const signed = this.#sign(reading);
        const body = JSON.stringify(signed);
        const bytes = Buffer.byteLength(body);
        this.#stmts.insert.run(seq, now, d.meter, d.source.startsWith('activation:') ? 1 : 0, bytes, body);
        added += bytes;
        out.push(signed);
      }
      this.#stmts.setMeta.run('seq_hwm', seq);
      return { out, added };
    });
    this.#appendTx = (drafts: SpoolDraft[]): SignedReading[] => {
      // The counters move only once the transaction committed: a draft that throws half way
      // rolls back the rows before it, and must not leave them counted.
      const { out, added } = appendTx.immediate(drafts);
      this.#depth += out.length;
      this.#bytes += added;
      return out;
    };

    // The counters move only after the commit (as for appends): a rolled-back ack changes nothing.
    let taken = { depth: 0, bytes: 0 };
    this.#ackTx = (ack: AckInput): AckResult => {
      taken = { depth: 0, bytes: 0 };
      const res: AckResult = { deleted: 0, quarantined: 0, unknown: 0 };
      const now = this.#now();
      let maxSeq = -1;
      const take = (seq: number): SpooledRow | undefined => {
        const row = this.#stmts.get.get(seq);
        if (!row) { res.unknown += 1; return undefined; }
        this.#stmts.del.run(seq);
        taken.depth += 1;
        taken.bytes += row.bytes;
        if (seq > maxSeq) maxSeq = seq;
        return row;
      };
      for (const [list, outcome] of [[ack.stored, 'stored'], [ack.duplicate, 'duplicate']] as const) {
        for (const seq of list) if (take(seq)) { res.deleted += 1; this.#m.acked.inc({ outcome }); }
      }
      for (const r of ack.rejected) {
        const row = take(r.seq);
        if (!row) continue;
        this.#stmts.quarantine.run(r.seq, now, r.code, r.reason, row.body);
        res.quarantined += 1;
        this.#m.quarantined.inc({ code: r.code });
      }
      if (maxSeq >= 0) {
        this.#stmts.setMeta.run('last_ack_seq', Math.max(maxSeq, this.#stmts.getMeta.get('last_ack_seq')?.value ?? -1));
        this.#stmts.setMeta.run('last_ack_ms', now);
      }
      if (res.unknown) this.#m.unknownAck.inc({}, res.unknown);
      return res;
    };
    const ackTx = db.transaction(this.#ackTx);
    this.#ackTx = (ack) => {
      const res = ackTx.immediate(ack);
      this.#depth -= taken.depth;
      this.#bytes -= taken.bytes;
      return res;
    };
  }

  /** Open (or create) a spool file. Throws EDGE_SPOOL_OPEN when the file is unusable. */
  static open(opts: SpoolOptions): Spool {
    return new Spool(opts);
  }

  /** Sign and commit one reading; returns it signed, with its seq. */
  append(draft: SpoolDraft): SignedReading {
    return this.appendMany([draft])[0]!;
  }

  /** Sign and commit several readings in one transaction (consecutive seqs). */
  appendMany(drafts: SpoolDraft[]): SignedReading[] {
    if (drafts.length === 0) return [];
    const out = guard('append', () => this.#appendTx(drafts));
    this.#m.appended.inc({}, out.length);
    return out;
  }

  /** Up to `limit` spooled rows with seq > `afterSeq`, oldest first (what to send next). */
  pending(afterSeq: number, limit: number): SpooledRow[] {
    return guard('pending', () => this.#stmts.pending.all(afterSeq, limit));
  }

  /** Apply an ack in one transaction: delete stored/duplicate, quarantine rejected. Throws EDGE_SPOOL_BUSY when locked (nothing applied). */
  applyAck(ack: AckInput): AckResult {
    return guard('applyAck', () => this.#ackTx(ack));
  }

  /**
   * Enforce the bounds (policy in README "Spool policy"):
   * 1. age: readings spooled more than maxAgeMs ago are evicted (reason 'age');
   * 2. bytes: over maxBytes, evict oldest first — ordinary readings before activation
   *    readings — down to 90 % of maxBytes (reason 'bytes').
   * Every eviction is recorded as a seq range in `evictions` and counted in
   * `spool_evicted_total{reason}`. Quarantine is never evicted.
   */
  enforceBounds(): EvictionRecord[] {
    const records: EvictionRecord[] = [];
    const tx = this.#db.transaction(() => {
      const now = this.#now();
      const aged = this.#db.prepare<[number], { seq: number; bytes: number }>('SELECT seq, bytes FROM readings WHERE created_ms < ? ORDER BY seq').all(now - this.#maxAgeMs);
      if (aged.length) records.push(this.#evict(aged, 'age', now));
      if (this.#bytes > this.#maxBytes) {
        const target = Math.floor(this.#maxBytes * EVICT_TARGET_FRACTION);
        for (const activation of [0, 1]) {
          if (this.#bytes <= target) break;
          const it = this.#db.prepare<[number], { seq: number; bytes: number }>('SELECT seq, bytes FROM readings WHERE activation = ? ORDER BY seq').iterate(activation);
          const victims: { seq: number; bytes: number }[] = [];
          let projected = this.#bytes;
          for (const row of it) {
            if (projected <= target) break;
            victims.push(row);
            projected -= row.bytes;
          }
          if (victims.length) records.push(this.#evict(victims, 'bytes', now));
        }
      }
    });
    guard('enforceBounds', () => tx.immediate());
    return records;
  }

  #evict(rows: { seq: number; bytes: number }[], reason: 'age' | 'bytes', now: number): EvictionRecord {
    let bytes = 0;
    for (const r of rows) {
      this.#stmts.del.run(r.seq);
      bytes += r.bytes;
    }
    this.#depth -= rows.length;
    this.#bytes -= bytes;
    const rec: EvictionRecord = { evictedMs: now, reason, firstSeq: rows[0]!.seq, lastSeq: rows[rows.length - 1]!.seq, count: rows.length, bytes };
    this.#stmts.recordEviction.run(now, reason, rec.firstSeq, rec.lastSeq, rec.count, rec.bytes);
    this.#m.evicted.inc({ reason }, rows.length);
    return rec;
  }

  /** Summary numbers (cheap: a few indexed queries). */
  status(): SpoolStatus {
    return guard('status', () => this.#status());
  }

  #status(): SpoolStatus {
    const oldest = this.#stmts.oldest.get();
    const hwm = this.#stmts.getMeta.get('seq_hwm')!.value;
    return {
      depth: this.#depth,
      bytes: this.#bytes,
      oldestSeq: oldest?.seq ?? null,
      oldestCreatedMs: oldest?.createdMs ?? null,
      lastSeq: hwm >= 0 ? hwm : null,
      quarantined: this.#stmts.qcount.get()!.n,
      lastAckSeq: this.#stmts.getMeta.get('last_ack_seq')?.value ?? null,
      lastAckMs: this.#stmts.getMeta.get('last_ack_ms')?.value ?? null,
      evictedReadings: this.#stmts.evictedSum.get()!.n ?? 0,
    };
  }

  /** Iterate spooled rows oldest first (inspect/export). */
  *readings(fromSeq = 0, limit = Number.MAX_SAFE_INTEGER): IterableIterator<SpooledRow> {
    yield* this.#db.prepare<[number, number], SpooledRow>('SELECT seq, created_ms AS createdMs, meter, bytes, body FROM readings WHERE seq >= ? ORDER BY seq LIMIT ?').iterate(fromSeq, limit);
  }

  /** Iterate quarantined rows by seq. */
  *quarantined(limit = Number.MAX_SAFE_INTEGER): IterableIterator<QuarantinedRow> {
    yield* this.#db.prepare<[number], QuarantinedRow>('SELECT seq, quarantined_ms AS quarantinedMs, code, reason, body FROM quarantine ORDER BY seq LIMIT ?').iterate(limit);
  }

  /** All recorded evictions, oldest first. */
  evictions(): EvictionRecord[] {
    return this.#db.prepare<[], EvictionRecord>('SELECT evicted_ms AS evictedMs, reason, first_seq AS firstSeq, last_seq AS lastSeq, count, bytes FROM evictions ORDER BY id').all();
  }

  /** Run SQLite's integrity_check; 'ok' when sound. */
  integrityCheck(): string {
    return String(this.#db.pragma('integrity_check', { simple: true }));
  }

  /** Close the database (checkpoints the WAL). */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
