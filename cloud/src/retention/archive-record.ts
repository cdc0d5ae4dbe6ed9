/**
 * One line of a day archive (JSON Lines, cloud/README.md "Retention"): the store's id, arrival time and
 * leaf index of a reading, and its receipt — the same receipt `GET /api/readings/:id/receipt`
 * serves, so a line's `receipt` verifies offline with `verify-receipt`. Pure: building a line,
 * parsing and checking an untrusted one, and the UTC day helpers of the retention unit.
 */
import { LightNodeError, isLightNodeError, ValidationError } from '@lightnode/shared/errors';
import { validateReceipt, verifyReceiptOffline, type Receipt } from '@lightnode/shared/receipt';
import type { Hex } from '@lightnode/shared/hex';
import type { DeploymentInfo } from '../api/receipt.js';
import type { AnchorRecord, StoredReading } from '../store/types.js';
import { DAY_MS } from '../store/sql.js';

export { DAY_MS };

export interface ArchiveRecord {
  v: 1;
  /** Store id (kept across archive and restore; API lookups by id). */
  id: number;
  /** When the BAL received the reading (its day of arrival is the archive's day). */
  receivedAtMs: number;
  /** Position among the anchor's leaves. */
  leafIndex: number;
  receipt: Receipt;
}

/** Start of the UTC day holding `ms`. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** `2026-09-01` for the day starting at `dayMs`. */
export const dayName = (dayMs: number): string => new Date(dayMs).toISOString().slice(0, 10);

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parse `YYYY-MM-DD` (UTC) to the day's start in ms. */
export function parseDayName(s: string, field = 'day'): number {
  const m = DAY_RE.exec(s);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || !Number.isFinite(ms) || dayName(ms) !== s) throw new ValidationError('BAL_RETENTION_INVALID', field, 'a UTC day YYYY-MM-DD', s);
  return ms;
}

/** `YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD` (inclusive) → the days' starts, at most 3,660. */
export function parseDayRange(s: string, field = 'days'): number[] {
  const [a, b, ...rest] = s.split('..');
  if (rest.length) throw new ValidationError('BAL_RETENTION_INVALID', field, 'YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD', s);
  const from = parseDayName(a!, field);
  const to = b === undefined ? from : parseDayName(b, field);
  if (to < from || (to - from) / DAY_MS >= 3660) throw new ValidationError('BAL_RETENTION_INVALID', field, 'a range of at most 3,660 days, first day first', s);
  const out: number[] = [];
  for (let d = from; d <= to; d += DAY_MS) out.push(d);
  return out;
}

/** The archive line of a confirmed reading and its receipt (one line, newline-terminated). */
export function archiveLine(r: StoredReading, receipt: Receipt): string {
  const rec: ArchiveRecord = { v: 1, id: r.id, receivedAtMs: r.receivedAtMs, leafIndex: r.leafIndex!, receipt };
  return `${JSON.stringify(rec)}\n`;
}

/** What a line is checked against: the BAL's deployment, the day, and the store's anchors. */
export interface RecordContext {
  deployment: DeploymentInfo;
  dayMs: number;
  /** The store's anchor of that index (null: unknown). */
  anchor(index: number): AnchorRecord | null;
}

const bad = (line: number, reason: string, details: Record<string, unknown> = {}): LightNodeError =>
  new LightNodeError('BAL_ARCHIVE_RECORD_INVALID', `archive line ${line}: ${reason}`, { line, ...details });

const isCount = (x: unknown, min = 0): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;

/**
 * Parse and check one untrusted archive line: its shape, the receipt's shape and offline checks
 * (digest, signature, Merkle path to the root), that the receipt is for this deployment, that
 * its anchor is the store's anchor of that index (root, transaction, leaf count) and confirmed,
 * and that the arrival time is in the day. Returns the reading to restore; throws
 * `BAL_ARCHIVE_RECORD_INVALID` naming the line and the reason.
 */
export function checkArchiveLine(text: string, line: number, ctx: RecordContext): StoredReading {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { throw bad(line, 'not JSON'); }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(line, 'not an object');
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'id,leafIndex,receipt,receivedAtMs,v') throw bad(line, `fields ${keys}, expected id, leafIndex, receipt, receivedAtMs, v`);
  if (o.v !== 1) throw bad(line, 'v is not 1');
  if (!isCount(o.id, 1)) throw bad(line, 'id is not a positive integer');
  if (!isCount(o.receivedAtMs) || dayOf(o.receivedAtMs) !== ctx.dayMs) throw bad(line, `receivedAtMs is not in ${dayName(ctx.dayMs)}`);
  if (!isCount(o.leafIndex)) throw bad(line, 'leafIndex is not an integer >= 0');
  let receipt: Receipt;
  try {
    receipt = validateReceipt(o.receipt);
    verifyReceiptOffline(receipt);
  } catch (err) {
    throw bad(line, `receipt: ${(err as Error).message}`, { cause: isLightNodeError(err) ? err.code : 'unknown' });
  }
  const d = ctx.deployment;
  if (receipt.chainId !== d.chainId || receipt.contracts.podRegistry !== d.podRegistry.toLowerCase() || receipt.contracts.readingAnchor !== d.readingAnchor.toLowerCase()) {
    throw bad(line, 'receipt is for another chain or contracts than this BAL');
  }
  const a = ctx.anchor(receipt.anchor.index);
  if (!a || a.status !== 'confirmed' || a.root.toLowerCase() !== receipt.anchor.root || a.transaction.toLowerCase() !== receipt.anchor.transaction
    || a.leafCount !== receipt.anchor.leafCount) {
    throw bad(line, `anchor ${receipt.anchor.index} differs from the store's confirmed anchor of that index`, { anchor: receipt.anchor.index });
  }
  if (o.leafIndex >= a.leafCount) throw bad(line, `leafIndex ${o.leafIndex} >= the anchor's ${a.leafCount} leaves`);
  const reading = receipt.reading;
  return {
    id: o.id, pod: reading.pod, device: receipt.signer as Hex, seq: reading.seq, timestampMs: reading.timestamp, receivedAtMs: o.receivedAtMs,
    digest: receipt.digest, reading, status: 'confirmed', anchorIndex: a.index, leafIndex: o.leafIndex,
  };
}
