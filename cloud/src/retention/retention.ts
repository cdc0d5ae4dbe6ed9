/**
 * Store retention (D3.2 §5.2.1 "two months online"; cloud/README.md "Retention"). A reading belongs to
 * the UTC day the BAL received it. A day whose end is `days` days or more in the past, and whose
 * readings are ALL confirmed, is
 *   1. exported: every reading with its receipt to the day's archive (archive-files.ts), merged
 *      with what an earlier pass already archived, written atomically;
 *   2. removed: `store.pruneDay` with the archive's content as the plan — a store row goes only
 *      if the complete archive holds it (same id and digest) and it is confirmed.
 * A day with any reading not yet confirmed waits (nothing of it is archived or removed).
 *
 * Crash safety: step 1 commits by renaming the manifest; step 2 records the day first and is
 * idempotent. A crash anywhere leaves every reading in the store, in a complete archive, or
 * both (never only in a partial one), and the next pass finishes the day: re-export merges
 * (adding nothing new), then pruning continues.
 *
 * `restoreDays` loads archived days back, checking every line (receipt offline checks, the
 * store's anchor) and the file's hash before it writes anything.
 */
import { createHash } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { LightNodeError, isLightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { validateReceipt } from '@lightnode/shared/receipt';
import { cimPayloadHash } from '@lightnode/shared/cim/signed-message';
import { ReceiptBuilder, type DeploymentInfo } from '../api/receipt.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import type { AnchorRecord, BalStore, CimMessageRecord, PrunePlan, StoredReading } from '../store/types.js';
import { DayArchiveWriter, readDayLines, readManifest, type DayManifest } from './archive-files.js';
import { archiveLine, checkArchiveLine, DAY_MS, dayName, dayOf } from './archive-record.js';

export interface RetentionSettings {
  /** Days of arrival kept in the store (whole UTC days before today minus this are archived). */
  days: number;
  archiveDir: string;
  /** SQLite: readings per delete transaction. */
  deleteBatchSize?: number;
}

export interface RetentionDeps {
  store: BalStore;
  deployment: DeploymentInfo;
  metrics: MetricsRegistry;
  log: Logger;
  now?: () => number;
  /**
   * Asked before each day of a pass (the retention lease's `isLeader`): false ends the pass there,
   * so an instance that lost the lease mid-pass does not go on archiving beside the new leader.
   */
  active?: () => boolean;
  /** Test hooks: called after a day's archive is committed (before removal) and after each delete batch. */
  hooks?: { afterArchive?: (dayMs: number) => void | Promise<void>; onDeleteBatch?: (deleted: number) => void | Promise<void> };
}

export interface DayOutcome {
  day: string;
  /** Readings newly written to the archive by this call. */
  archived: number;
  /** Readings removed from the store by this call. */
  pruned: number;
  /** Readings of the day left in the store. */
  remaining: number;
  /** Readings in the day's archive. */
  records: number;
  file: string;
}

export interface PassResult {
  /** Days before this one were due (ms). */
  cutoffMs: number;
  days: DayOutcome[];
  /** Due days held back because some of their readings are not confirmed. */
  waiting: { day: string; unconfirmed: number }[];
  errors: { day: string; code: string; message: string }[];
}

export interface Retention {
  /** One pass: every due day archived and removed (or resumed). Never throws; errors are in the result. */
  pass(): Promise<PassResult>;
  /** Archive (and remove) the given days now, due or not; a day with unconfirmed readings is refused. */
  archiveDays(days: number[]): Promise<PassResult>;
  /** Load archived days back into the store, every line checked first. */
  restoreDays(days: number[]): Promise<{ day: string; restored: number; present: number }[]>;
}

/** Readings per export page: the event loop runs between two (a page blocks it for a few ms). */
const PAGE = 200;

/** Exact runs of consecutive seqs per device. */
function seqRuns(keys: { device: Hex; seq: number }[]): PrunePlan['ranges'] {
  const byDevice = new Map<Hex, number[]>();
  for (const k of keys) { let a = byDevice.get(k.device); if (!a) byDevice.set(k.device, (a = [])); a.push(k.seq); }
  const out: PrunePlan['ranges'] = [];
  for (const [device, seqs] of byDevice) {
    seqs.sort((a, b) => a - b);
    let lo = seqs[0]!, hi = lo;
    for (const s of seqs.slice(1)) {
      if (s === hi || s === hi + 1) { hi = s; continue; }
      out.push({ device, minSeq: lo, maxSeq: hi });
      lo = hi = s;
    }
    out.push({ device, minSeq: lo, maxSeq: hi });
  }
  return out;
}

export function createRetention(settings: RetentionSettings, deps: RetentionDeps): Retention {
  const { store, deployment, log } = deps;
  const now = deps.now ?? Date.now;
  const dir = settings.archiveDir;
  const receipts = new ReceiptBuilder(deployment);
  const m = deps.metrics;
  const archivedC = m.counter('bal_retention_archived_readings_total', 'Readings written to day archives');
  const prunedC = m.counter('bal_retention_pruned_readings_total', 'Archived readings removed from the store');
  const restoredC = m.counter('bal_retention_restored_readings_total', 'Archived readings put back into the store by bal restore');
  const errorsC = m.counter('bal_retention_errors_total', 'Retention failures by code (the day stays in the store)', ['code']);
  const waitingG = m.gauge('bal_retention_days_waiting', 'Due days held back: some readings not yet confirmed');
  const daysG = m.gauge('bal_retention_archived_days', 'Days archived and removed from the store');

  /** Step 1: merge the day's confirmed store readings into its archive; returns the manifest and the prune plan. */
  async function exportDay(dayMs: number): Promise<{ manifest: DayManifest; plan: PrunePlan; added: number }> {
    const prior = readManifest(dir, dayMs);
    const w = new DayArchiveWriter(dir, dayMs);
    const records: PrunePlan['records'] = [];
    const keys: { device: Hex; seq: number }[] = [];
    const ids = new Set<number>();
    let added = 0;
    try {
      if (prior) {
        // Lines of the previous archive are carried over unchanged (they were checked when written).
        for await (const { text, line } of readDayLines(dir, prior)) {
          let rec: { id: number; leafIndex: number; receipt: { digest: Hex; signer: Hex; reading: { seq: number }; anchor: { index: number } } };
          try { rec = JSON.parse(text) as typeof rec; } catch { throw new LightNodeError('BAL_ARCHIVE_RECORD_INVALID', `${prior.file} line ${line}: not JSON`); }
          w.add(`${text}\n`, rec.id);
          ids.add(rec.id);
          records.push({ id: rec.id, digest: rec.receipt.digest, anchorIndex: rec.receipt.anchor.index });
          keys.push({ device: rec.receipt.signer, seq: rec.receipt.reading.seq });
        }
      }
      const anchors = new Map<number, AnchorRecord | null>();
      for (let after = 0; ;) {
        const page = await store.readingsOfDay(dayMs, after, PAGE);
        for (const r of page) {
          after = r.id;
          if (ids.has(r.id) || r.status !== 'confirmed' || r.anchorIndex === null) continue;
          if (!anchors.has(r.anchorIndex)) anchors.set(r.anchorIndex, await store.anchorByIndex(r.anchorIndex));
          const receipt = await receipts.build(r, anchors.get(r.anchorIndex)!, (i) => store.anchorLeaves(i), (h) => store.cimMessage(h));
          if (!receipt) continue; // confirmed without a block number: cannot happen; the day then keeps it
          w.add(archiveLine(r, receipt), r.id);
          ids.add(r.id);
          records.push({ id: r.id, digest: r.digest, anchorIndex: r.anchorIndex });
          keys.push({ device: r.device, seq: r.seq });
          added++;
        }
        if (page.length < PAGE) break;
        await tick(); // the event loop (ingest, API) runs between two pages
      }
      if (w.records === 0) throw new LightNodeError('BAL_RETENTION_INVALID', `day ${dayName(dayMs)} has no confirmed reading to archive`);
      let manifest: DayManifest;
      if (prior && added === 0) { w.abort(); manifest = prior; }
      else {
        try { manifest = w.commit({ chainId: deployment.chainId, contracts: { podRegistry: deployment.podRegistry, readingAnchor: deployment.readingAnchor }, createdAtMs: now() }); }
        catch (err) { throw new LightNodeError('BAL_ARCHIVE_WRITE_FAILED', `archive of ${dayName(dayMs)}: ${(err as Error).message}`, { day: dayName(dayMs) }); }
      }
      return { manifest, added, plan: { dayMs, sha256: manifest.sha256, records, ranges: seqRuns(keys) } };
    } catch (err) {
      w.abort();
      throw err;
    }
  }

  /** Steps 1 and 2 for one day. */
  async function archiveDay(dayMs: number): Promise<DayOutcome> {
    const { manifest, plan, added } = await exportDay(dayMs);
    archivedC.inc(undefined, added);
    await deps.hooks?.afterArchive?.(dayMs);
    const onBatch = deps.hooks?.onDeleteBatch;
    const res = await store.pruneDay(plan, { ...(settings.deleteBatchSize ? { batchSize: settings.deleteBatchSize } : {}), ...(onBatch ? { onBatch } : {}) });
    prunedC.inc(undefined, res.deleted);
    const out = { day: dayName(dayMs), archived: added, pruned: res.deleted, remaining: res.remaining, records: manifest.records, file: manifest.file };
    if (res.remaining > 0) {
      throw new LightNodeError('BAL_RETENTION_MISMATCH', `day ${out.day}: ${res.remaining} readings remain that the archive does not hold; the next pass archives them`, { ...out });
    }
    log.info('day archived', out);
    return out;
  }

  const fail = (res: PassResult, dayMs: number, err: unknown): void => {
    const code = isLightNodeError(err) ? err.code : 'BAL_ARCHIVE_WRITE_FAILED';
    errorsC.inc({ code });
    res.errors.push({ day: dayName(dayMs), code, message: (err as Error).message });
    log.error('retention: day not archived', { day: dayName(dayMs), code, err });
  };

  async function run(due: number[] | null): Promise<PassResult> {
    const cutoffMs = dayOf(now() - settings.days * DAY_MS);
    const res: PassResult = { cutoffMs, days: [], waiting: [], errors: [] };
    let todo: number[];
    const stored = new Set<number>();
    try {
      const before = due === null ? cutoffMs : Math.max(...due) + DAY_MS;
      const candidates = await store.retentionDays(before);
      const byDay = new Map(candidates.map((c) => [c.dayMs, c]));
      for (const c of candidates) stored.add(c.dayMs);
      const wanted = due === null ? candidates.map((c) => c.dayMs) : due.filter((d) => byDay.has(d));
      todo = [];
      for (const d of wanted) {
        const c = byDay.get(d)!;
        if (c.unconfirmed > 0) res.waiting.push({ day: dayName(d), unconfirmed: c.unconfirmed });
        else todo.push(d);
      }
      // Days a crash left recorded but not finished, whose readings are already all gone.
      for (const a of await store.archivedDays()) if (a.state === 'pruning' && !byDay.has(a.dayMs) && (due === null || due.includes(a.dayMs))) todo.push(a.dayMs);
      todo.sort((a, b) => a - b);
    } catch (err) {
      fail(res, cutoffMs, err);
      return res;
    }
    for (const d of todo) {
      if (deps.active && !deps.active()) { log.warn('retention lease lost; pass ends', { next: dayName(d) }); break; }
      try {
        if (!stored.has(d)) {
          // Nothing of the day left in the store: finish its record from the archive.
          const manifest = readManifest(dir, d);
          if (!manifest) throw new LightNodeError('BAL_ARCHIVE_NOT_FOUND', `day ${dayName(d)} is recorded as being archived but has no archive`);
          const { plan } = await exportDay(d);
          await store.pruneDay(plan);
          res.days.push({ day: dayName(d), archived: 0, pruned: 0, remaining: 0, records: manifest.records, file: manifest.file });
          continue;
        }
        res.days.push(await archiveDay(d));
      } catch (err) { fail(res, d, err); }
    }
    waitingG.set(res.waiting.length);
    try { daysG.set((await store.archivedDays()).filter((a) => a.state === 'pruned').length); } catch { /* gauge only */ }
    return res;
  }

  async function restoreDay(dayMs: number): Promise<{ day: string; restored: number; present: number }> {
    const day = dayName(dayMs);
    const manifest = readManifest(dir, dayMs);
    if (!manifest) throw new LightNodeError('BAL_ARCHIVE_NOT_FOUND', `no archive of ${day} in ${dir}`, { day });
    if (manifest.chainId !== deployment.chainId || manifest.contracts.readingAnchor.toLowerCase() !== deployment.readingAnchor.toLowerCase()
      || manifest.contracts.podRegistry.toLowerCase() !== deployment.podRegistry.toLowerCase()) {
      throw new LightNodeError('BAL_ARCHIVE_MANIFEST_INVALID', `archive of ${day} is for chain ${manifest.chainId} / ${manifest.contracts.readingAnchor}, not this BAL's`, { day });
    }
    const anchors = new Map<number, AnchorRecord | null>();
    const ctx = { deployment, dayMs, anchor: (i: number) => anchors.get(i) ?? null };
    const lineHashes: string[] = [];
    const seenIds = new Set<number>();
    const seenLeaves = new Set<string>();
    // The file's hash first (a changed file is named as such), then every line checked: nothing is written before both end.
    for await (const _ of readDayLines(dir, manifest)) { /* hash, size and line count only */ }
    for await (const { text, line } of readDayLines(dir, manifest)) {
      const idx = (() => { try { return (JSON.parse(text) as { receipt?: { anchor?: { index?: unknown } } }).receipt?.anchor?.index; } catch { return undefined; } })();
      if (typeof idx === 'number' && Number.isSafeInteger(idx) && idx >= 0 && !anchors.has(idx)) anchors.set(idx, await store.anchorByIndex(idx));
      const r = checkArchiveLine(text, line, ctx);
      const leafKey = `${r.anchorIndex}:${r.leafIndex}`;
      if (seenIds.has(r.id) || seenLeaves.has(leafKey)) throw new LightNodeError('BAL_ARCHIVE_RECORD_INVALID', `archive line ${line}: id ${r.id} or leaf ${leafKey} appears twice`, { line });
      seenIds.add(r.id); seenLeaves.add(leafKey);
      const leaves = await store.anchorLeaves(r.anchorIndex!);
      if (leaves.length === anchors.get(r.anchorIndex!)!.leafCount && leaves[r.leafIndex!] !== r.digest) {
        throw new LightNodeError('BAL_ARCHIVE_RECORD_INVALID', `archive line ${line}: leaf ${r.leafIndex} of anchor ${r.anchorIndex} is another reading`, { line });
      }
      lineHashes.push(createHash('sha256').update(text).digest('hex'));
    }
    // Pass 2: the same lines (each compared with pass 1's) written in chunks.
    let restored = 0, present = 0;
    let chunk: StoredReading[] = [];
    // Data servers' messages behind restored readings: put back first (kept in the store anyway
    // unless it is a new one), so their receipts build again.
    const messages = new Map<Hex, CimMessageRecord>();
    const flush = async (): Promise<void> => {
      for (const m of messages.values()) await store.storeCimMessage(m, []);
      messages.clear();
      const r = await store.restoreReadings(chunk);
      restored += r.restored; present += r.present; chunk = [];
    };
    for await (const { text, line } of readDayLines(dir, manifest)) {
      if (createHash('sha256').update(text).digest('hex') !== lineHashes[line - 1]) {
        throw new LightNodeError('BAL_ARCHIVE_HASH_MISMATCH', `archive ${manifest.file} changed while it was restored (line ${line})`, { day });
      }
      const { reading, cim } = checkArchiveLineFast(text, dayMs, ctx, line);
      chunk.push(reading);
      if (cim && !messages.has(cim.hash)) messages.set(cim.hash, cim);
      if (chunk.length >= PAGE) await flush();
    }
    if (chunk.length) await flush();
    restoredC.inc(undefined, restored);
    log.info('day restored', { day, restored, present });
    return { day, restored, present };
  }

  return {
    pass: () => run(null),
    archiveDays: (days) => run(days),
    async restoreDays(days) {
      const out = [];
      for (const d of days) {
        try { out.push(await restoreDay(d)); } catch (err) {
          errorsC.inc({ code: isLightNodeError(err) ? err.code : 'BAL_ARCHIVE_RECORD_INVALID' });
          throw err;
        }
      }
      return out;
    },
  };
}

/** Pass 2 of a restore: the line was fully checked in pass 1 (same bytes), so only its shape is read again (hex normalised). */
function checkArchiveLineFast(text: string, dayMs: number, ctx: { anchor(i: number): AnchorRecord | null }, line: number): { reading: StoredReading; cim: CimMessageRecord | null } {
  const o = JSON.parse(text) as { id: number; receivedAtMs: number; leafIndex: number; receipt: unknown };
  const receipt = validateReceipt(o.receipt);
  const a = ctx.anchor(receipt.anchor.index);
  if (!a || dayOf(o.receivedAtMs) !== dayMs) throw new LightNodeError('BAL_ARCHIVE_RECORD_INVALID', `archive line ${line}: changed since it was checked`, { line });
  const r = receipt.reading;
  let cim: CimMessageRecord | null = null;
  if (receipt.cim) {
    const payload = new Uint8Array(Buffer.from(receipt.cim.payload, 'base64'));
    cim = { hash: cimPayloadHash(payload), serverId: receipt.cim.serverId, signer: receipt.signer, signature: r.signature, payload, receivedAtMs: o.receivedAtMs };
  }
  return {
    reading: {
      id: o.id, pod: r.pod, device: receipt.signer, seq: r.seq, timestampMs: r.timestamp, receivedAtMs: o.receivedAtMs,
      digest: receipt.digest, reading: r, status: 'confirmed', anchorIndex: a.index, leafIndex: o.leafIndex,
    },
    cim,
  };
}

export interface RetentionTimerOptions {
  /**
   * The `retention` lease (anchor/lease.ts) when several instances could run retention: a pass
   * runs only while this instance leads it, else it is skipped (`bal_retention_skipped_passes_total`).
   */
  lease?: { isLeader(): boolean };
  metrics?: MetricsRegistry;
}

/**
 * Run `retention.pass()` every `intervalMs` (first after `firstDelayMs`), one at a time; `stop` waits
 * for a running pass. With a lease, only its leader runs passes (a pass started as leader finishes
 * the day it is on, then stops if the lease was lost: see `RetentionDeps.active`).
 */
export function startRetentionTimer(retention: Retention, intervalMs: number, firstDelayMs = 60_000, opts: RetentionTimerOptions = {}): { stop(): Promise<void> } {
  const skipped = opts.metrics?.counter('bal_retention_skipped_passes_total', 'Retention passes not run because another instance holds the retention lease', ['reason']);
  let running: Promise<unknown> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout;
  const once = async (): Promise<unknown> => {
    if (opts.lease && !opts.lease.isLeader()) { skipped?.inc({ reason: 'follower' }); return null; }
    return retention.pass();
  };
  const schedule = (ms: number): void => {
    timer = setTimeout(() => {
      running = once().finally(() => { running = null; if (!stopped) schedule(intervalMs); });
    }, ms);
    timer.unref();
  };
  schedule(firstDelayMs);
  return {
    async stop() { stopped = true; clearTimeout(timer); await running; },
  };
}
