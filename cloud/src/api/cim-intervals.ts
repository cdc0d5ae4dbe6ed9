/**
 * Quarter-hour interval data of the CIM export (issue 13 §3): `GET /api/readings/cim?pod=…
 * &intervals=15min&day=YYYY-MM-DD` (or `from`/`to` on local quarter boundaries, optional
 * `toleranceMs`) answers a `reply` MeterReadings whose MeterReading carry IntervalBlocks of
 * 15-minute energy deltas derived from the PoD's signed register readings
 * (shared/src/cim/interval-blocks.ts has the rule and the quality codes). Reads every reading
 * of the range (paged) but keeps only register values; a range holding more than
 * MAX_INTERVAL_READINGS readings is refused with a 400 naming `to`.
 */
import { randomUUID } from 'node:crypto';
import type { CimMessage } from '@lightnode/shared/cim/model';
import type { Hex } from '@lightnode/shared/hex';
import { replyHeader } from '@lightnode/shared/cim/readings-map';
import { MAX_QUARTER_RANGE_MS, MAX_TOLERANCE_MS, deriveQuarterHourBlocks, quarterHourReplyErrors, registerPointsOf, type RegisterPoint } from '@lightnode/shared/cim/interval-blocks';
import { ROME, isQuarterBoundary, localDayBounds } from '@lightnode/shared/cim/local-time';
import type { BalStore } from '../store/types.js';
import { badRequest, forbidden } from './api-error.js';
import { canSeePod, type Principal } from './auth.js';
import { checkQueryKeys, optTime, parsePod } from './query.js';

/** Readings read for one interval answer, at most (≈ 2 days of 1 s polling; 31 days of 15 min). */
export const MAX_INTERVAL_READINGS = 200_000;

/** The query keys of the interval form. */
export const INTERVAL_QUERY_KEYS = ['pod', 'intervals', 'day', 'from', 'to', 'toleranceMs'] as const;

/** The anchor transaction of each anchor index met, asked once per index. */
export function anchorTransactions(store: Pick<BalStore, 'anchorByIndex'>): (index: number | null) => Promise<Hex | null> {
  const cache = new Map<number, Hex | null>();
  return async (index) => {
    if (index === null) return null;
    if (!cache.has(index)) cache.set(index, (await store.anchorByIndex(index))?.transaction ?? null);
    return cache.get(index)!;
  };
}

function range(q: Record<string, unknown>): { fromMs: number; toMs: number } {
  if (q.day !== undefined) {
    if (q.from !== undefined || q.to !== undefined) throw badRequest('day', 'either day or from/to, not both', q.day);
    const day = q.day;
    if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw badRequest('day', 'a local date YYYY-MM-DD (Europe/Rome)', day);
    try {
      const b = localDayBounds(day, ROME);
      return { fromMs: b.startMs, toMs: b.endMs };
    } catch {
      throw badRequest('day', 'a calendar date YYYY-MM-DD (2001 or later)', day);
    }
  }
  const fromMs = optTime(q, 'from');
  const toMs = optTime(q, 'to');
  if (fromMs === undefined || toMs === undefined) throw badRequest(fromMs === undefined ? 'from' : 'to', 'day=YYYY-MM-DD, or both from and to (quarter-hour boundaries)', fromMs === undefined ? q.from : q.to);
  for (const [name, ms] of [['from', fromMs], ['to', toMs]] as const) {
    if (!isQuarterBoundary(ms, ROME)) throw badRequest(name, 'a quarter-hour boundary (hh:00, :15, :30 or :45 in Europe/Rome, seconds 0)', q[name]);
  }
  if (toMs <= fromMs) throw badRequest('to', 'a time after from', q.to);
  if (toMs - fromMs > MAX_QUARTER_RANGE_MS) throw badRequest('to', `at most ${MAX_QUARTER_RANGE_MS / 86_400_000} days after from`, q.to);
  return { fromMs, toMs };
}

function tolerance(q: Record<string, unknown>): number {
  const v = q.toleranceMs;
  if (v === undefined) return 0;
  if (typeof v !== 'string' || !/^[0-9]{1,5}$/.test(v) || Number(v) > MAX_TOLERANCE_MS) throw badRequest('toleranceMs', `an integer 0..${MAX_TOLERANCE_MS}`, v);
  return Number(v);
}

/** The `reply` message of the interval form (query checked here; 400/403 as ApiError). */
export async function quarterHourMessage(store: BalStore, p: Principal, q: Record<string, unknown>, pageSize: number, source: string): Promise<CimMessage> {
  checkQueryKeys(q, INTERVAL_QUERY_KEYS);
  if (q.intervals !== '15min') throw badRequest('intervals', "'15min' (quarter-hour energy deltas)", q.intervals);
  if (q.pod === undefined) throw badRequest('pod', 'a PoD code (interval data is of one PoD)', undefined);
  const pod = parsePod(q.pod);
  const { fromMs, toMs } = range(q);
  const toleranceMs = tolerance(q);
  if (!canSeePod(p, pod)) throw forbidden(`no access to PoD ${pod}`);
  const txOf = anchorTransactions(store);
  const points: RegisterPoint[] = [];
  let afterId: number | undefined;
  let read = 0;
  for (;;) {
    const page = await store.listReadings({
      pod, limit: pageSize, fromMs: fromMs - toleranceMs, toMs: toMs + toleranceMs + 1,
      ...(p.pods ? { pods: [...p.pods] } : {}), ...(afterId !== undefined ? { afterId } : {}),
    });
    read += page.items.length;
    if (read > MAX_INTERVAL_READINGS) throw badRequest('to', `a range holding at most ${MAX_INTERVAL_READINGS} readings of the PoD (ask for fewer days)`, q.to ?? q.day);
    for (const r of page.items) {
      const pts = registerPointsOf([{ reading: r.reading, digest: r.digest, anchorTransaction: null }]);
      if (pts.length === 0) continue;
      const tx = await txOf(r.anchorIndex);
      for (const pt of pts) points.push({ ...pt, anchorTransaction: tx });
    }
    if (page.nextAfterId === null) break;
    afterId = page.nextAfterId;
  }
  const result = deriveQuarterHourBlocks(pod, points, { fromMs, toMs, toleranceMs, zone: ROME });
  const errors = quarterHourReplyErrors(result);
  return {
    Header: replyHeader({ Timestamp: new Date().toISOString(), Source: source, MessageID: randomUUID() }),
    Reply: { Result: errors.length > 0 ? 'PARTIAL' : 'OK', Error: errors },
    Payload: { MeterReadings: { MeterReading: result.MeterReading } },
  };
}
