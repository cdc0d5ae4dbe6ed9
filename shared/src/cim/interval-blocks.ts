/**
 * Quarter-hour interval data from cumulative energy registers (issue 13 §3): one CIM
 * IntervalBlock per (meter, register) with one IntervalReading per local quarter hour of the
 * range (Europe/Rome, local-time.ts), ReadingType the register's 15-minute deltaData twin
 * (reading-type.ts `quarterHourDeltaOfObis`). Pure: the caller brings the signed readings.
 *
 * The rule — never an invented value:
 * - The register is *known at a boundary* b when a signed reading lies at b exactly, or within
 *   `toleranceMs` of b (default 0: exactly). Of several, the closest wins, the earlier on a tie;
 *   readings at the same instant with the same value are one (the smallest digest is kept).
 * - A quarter is **complete** when the register is known at both boundaries: its value is
 *   register(end) − register(start), exact decimal text in kWh (no interpolation, no float), with
 *   quality `2.10.0` (MDC, derived, deterministic). Consecutive complete quarters share their
 *   boundary reading, so their values add up to the register's advance, even with a tolerance.
 * - Any other quarter carries **no value**, only a quality (Connexo QualityCodeIndex, system 2 =
 *   MDC, the BAL that collected the readings):
 *   - `2.4.8` resetOccurred: the register went down between the two boundary readings (a
 *     counter reset or a meter change) — a negative delta is never given;
 *   - `2.5.258` suspect: two readings at one boundary instant disagree;
 *   - `2.4.2` partialInterval: readings inside the quarter, but the register is not known at
 *     both boundaries (a value over part of the quarter would not be the quarter's value);
 *   - `2.5.259` knownMissingRead: no reading inside the quarter.
 * - Traceability: each IntervalReading carries the boundary readings it rests on as
 *   ReadingQualities `1.0.0` (as the export's readings do, readings-map.ts) with source
 *   `lightnode:eip712-digest:start` / `:end`, the reading's EIP-712 digest as `comment` and the
 *   reading's own time as `timeStamp`; once anchored also `lightnode:anchor-transaction:start`
 *   / `:end` with the transaction hash. `verify-receipt` and `/api/readings/{id}/receipt` take
 *   it from there.
 * - An IntervalReading's `timeStamp` is the END of its quarter in local time with its offset
 *   (the Connexo sample's convention), so both 02:15 of 25 October 2026 are told apart
 *   (`+02:00`, then `+01:00`).
 */
import { ValidationError } from '../errors.js';
import type { Hex } from '../hex.js';
import type { CimIntervalBlock, CimIntervalReading, CimMeterReading, CimReadingQuality, CimReplyError } from './model.js';
import { CERT_QUALITY_REF, type CertifiedReading } from './readings-map.js';
import { quarterHourDeltaOfObis } from './reading-type.js';
import { QUARTER_MS, ROME, isQuarterBoundary, toLocalDateTime } from './local-time.js';

/** Quality refs of interval readings (Connexo QualityCodeSystem.MDC . category . index). */
export const QUARTER_QUALITY = {
  complete: '2.10.0',
  reset: '2.4.8',
  conflict: '2.5.258',
  partial: '2.4.2',
  missing: '2.5.259',
} as const;
export type QuarterStatus = keyof typeof QUARTER_QUALITY;
export const QUARTER_STATUSES = Object.keys(QUARTER_QUALITY) as QuarterStatus[];

export const START_DIGEST_SOURCE = 'lightnode:eip712-digest:start';
export const END_DIGEST_SOURCE = 'lightnode:eip712-digest:end';
export const START_ANCHOR_SOURCE = 'lightnode:anchor-transaction:start';
export const END_ANCHOR_SOURCE = 'lightnode:anchor-transaction:end';

/** Largest boundary tolerance: one minute, far below half a quarter, so no reading can serve two boundaries. */
export const MAX_TOLERANCE_MS = 60_000;
/** Largest range derived at once: 31 days (≈ 3,000 quarters per register). */
export const MAX_QUARTER_RANGE_MS = 31 * 86_400_000;

/** One signed value of one energy register. */
export interface RegisterPoint {
  meter: string;
  /** OBIS code of the register. */
  quantity: string;
  timestampMs: number;
  /** value × 10^scale in the quantity's unit (Wh). */
  value: number;
  scale: number;
  /** EIP-712 digest of the signed reading the value is part of. */
  digest: Hex;
  /** Its anchor transaction, null while pending. */
  anchorTransaction: Hex | null;
}

/** The energy-register values (those with a quarter-hour ReadingType) of certified readings. */
export function registerPointsOf(items: readonly CertifiedReading[]): RegisterPoint[] {
  const out: RegisterPoint[] = [];
  for (const { reading, digest, anchorTransaction } of items) {
    for (const m of reading.values) {
      if (!quarterHourDeltaOfObis(m.quantity)) continue;
      out.push({ meter: reading.meter, quantity: m.quantity, timestampMs: reading.timestamp, value: m.value, scale: m.scale, digest, anchorTransaction });
    }
  }
  return out;
}

export interface QuarterHourOptions {
  /** First quarter's start; a local quarter boundary. */
  fromMs: number;
  /** Last quarter's end (exclusive range end); a local quarter boundary after `fromMs`. */
  toMs: number;
  /** How far from a boundary a reading may be and still count as the register at it, ms (0..60,000; default 0). */
  toleranceMs?: number;
  /** IANA zone of the quarter grid and timestamps; default Europe/Rome. */
  zone?: string;
}

export interface QuarterHourResult {
  /** One per meter (by meter id), each with one IntervalBlock per register (by OBIS code). */
  MeterReading: CimMeterReading[];
  /** Quarters per range (the same for every block). */
  quarters: number;
  /** IntervalReadings by status, over all blocks. */
  counts: Record<QuarterStatus, number>;
}

/** A point with its value at the series' common scale. */
interface Point { p: RegisterPoint; v: bigint }
type Boundary = { kind: 'none' } | { kind: 'conflict'; t: number } | { kind: 'known'; pt: Point };

function checkOptions(o: QuarterHourOptions): { fromMs: number; toMs: number; tol: number; zone: string } {
  const zone = o.zone ?? ROME;
  const tol = o.toleranceMs ?? 0;
  if (!Number.isSafeInteger(o.fromMs) || !isQuarterBoundary(o.fromMs, zone)) throw new ValidationError('CIM_FIELD_INVALID', 'from', `a quarter-hour boundary of ${zone} (hh:00, :15, :30 or :45 local)`, o.fromMs);
  if (!Number.isSafeInteger(o.toMs) || !isQuarterBoundary(o.toMs, zone) || o.toMs <= o.fromMs) throw new ValidationError('CIM_FIELD_INVALID', 'to', `a quarter-hour boundary of ${zone} after from`, o.toMs);
  if (o.toMs - o.fromMs > MAX_QUARTER_RANGE_MS) throw new ValidationError('CIM_FIELD_INVALID', 'to', `at most ${MAX_QUARTER_RANGE_MS / 86_400_000} days after from`, o.toMs);
  if (!Number.isSafeInteger(tol) || tol < 0 || tol > MAX_TOLERANCE_MS) throw new ValidationError('CIM_FIELD_INVALID', 'toleranceMs', `an integer 0..${MAX_TOLERANCE_MS}`, tol);
  return { fromMs: o.fromMs, toMs: o.toMs, tol, zone };
}

/** Decimal text of `v` × 10^scale in units of 10^multiplier (exact, any size). */
export function scaledToDecimal(v: bigint, scale: number, multiplier: number): string {
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString();
  const fraction = multiplier - scale;
  let text: string;
  if (fraction <= 0) text = digits === '0' ? '0' : digits + '0'.repeat(-fraction);
  else {
    if (digits.length <= fraction) digits = digits.padStart(fraction + 1, '0');
    text = `${digits.slice(0, digits.length - fraction)}.${digits.slice(digits.length - fraction)}`;
  }
  return neg ? `-${text}` : text;
}

/** Index of the first point with timestamp >= t (points sorted by time). */
function lowerBound(pts: readonly Point[], t: number): number {
  let lo = 0;
  let hi = pts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pts[mid]!.p.timestampMs < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The register at boundary `b`: the closest reading within `tol` (earlier on a tie), or a conflict. */
function boundaryAt(pts: readonly Point[], b: number, tol: number): Boundary {
  let best: number | null = null;
  for (let i = lowerBound(pts, b - tol); i < pts.length && pts[i]!.p.timestampMs <= b + tol; i++) {
    const t = pts[i]!.p.timestampMs;
    if (best === null || Math.abs(t - b) < Math.abs(best - b)) best = t;
  }
  if (best === null) return { kind: 'none' };
  const at: Point[] = [];
  for (let i = lowerBound(pts, best); i < pts.length && pts[i]!.p.timestampMs === best; i++) at.push(pts[i]!);
  if (at.some((x) => x.v !== at[0]!.v)) return { kind: 'conflict', t: best };
  return { kind: 'known', pt: at[0]! }; // sorted by digest within an instant: the smallest
}

function certification(pt: Point, digestSource: string, anchorSource: string): CimReadingQuality[] {
  const timeStamp = new Date(pt.p.timestampMs).toISOString();
  const out: CimReadingQuality[] = [{ comment: pt.p.digest, source: digestSource, timeStamp, ReadingQualityType: { ref: CERT_QUALITY_REF } }];
  if (pt.p.anchorTransaction) out.push({ comment: pt.p.anchorTransaction, source: anchorSource, timeStamp, ReadingQualityType: { ref: CERT_QUALITY_REF } });
  return out;
}

/** One series (meter, register) → its IntervalBlock; counts go into `counts`. */
function seriesBlock(points: readonly RegisterPoint[], o: ReturnType<typeof checkOptions>, stamps: readonly string[], counts: Record<QuarterStatus, number>): CimIntervalBlock {
  const row = quarterHourDeltaOfObis(points[0]!.quantity)!;
  const minScale = Math.min(...points.map((p) => p.scale));
  const pts: Point[] = points.map((p) => ({ p, v: BigInt(p.value) * 10n ** BigInt(p.scale - minScale) }));
  // Time, then value (so equal instants never look like a decrease), then digest (determinism).
  pts.sort((a, b) => a.p.timestampMs - b.p.timestampMs || (a.v < b.v ? -1 : a.v > b.v ? 1 : 0) || (a.p.digest < b.p.digest ? -1 : a.p.digest > b.p.digest ? 1 : 0));
  const n = (o.toMs - o.fromMs) / QUARTER_MS;
  const bounds: Boundary[] = [];
  for (let k = 0; k <= n; k++) bounds.push(boundaryAt(pts, o.fromMs + k * QUARTER_MS, o.tol));
  const readings: CimIntervalReading[] = [];
  for (let k = 0; k < n; k++) {
    const startMs = o.fromMs + k * QUARTER_MS;
    const endMs = startMs + QUARTER_MS;
    const s = bounds[k]!;
    const e = bounds[k + 1]!;
    const qualities: CimReadingQuality[] = [];
    if (s.kind === 'known') qualities.push(...certification(s.pt, START_DIGEST_SOURCE, START_ANCHOR_SOURCE));
    if (e.kind === 'known') qualities.push(...certification(e.pt, END_DIGEST_SOURCE, END_ANCHOR_SOURCE));
    let status: QuarterStatus;
    let value: string | undefined;
    let comment: string | undefined;
    if (s.kind === 'known' && e.kind === 'known') {
      let down = false;
      for (let i = lowerBound(pts, s.pt.p.timestampMs); i < pts.length && pts[i]!.p.timestampMs <= e.pt.p.timestampMs; i++) {
        if (i > 0 && pts[i - 1]!.p.timestampMs >= s.pt.p.timestampMs && pts[i]!.v < pts[i - 1]!.v) down = true;
      }
      if (down || e.pt.v < s.pt.v) {
        status = 'reset';
        comment = 'register went down inside the quarter: no delta';
      } else {
        status = 'complete';
        value = scaledToDecimal(e.pt.v - s.pt.v, minScale, row.multiplier);
      }
    } else if (s.kind === 'conflict' || e.kind === 'conflict') {
      status = 'conflict';
      comment = `readings at ${new Date((s.kind === 'conflict' ? s : e as { t: number }).t).toISOString()} disagree`;
    } else {
      const skip = new Set([s, e].flatMap((b) => (b.kind === 'known' ? [b.pt] : [])));
      let inside = false;
      for (let i = lowerBound(pts, startMs + 1); i < pts.length && pts[i]!.p.timestampMs < endMs && !inside; i++) inside = !skip.has(pts[i]!);
      status = inside ? 'partial' : 'missing';
      comment = `register known at ${s.kind === 'known' ? 'start only' : e.kind === 'known' ? 'end only' : 'neither boundary'}`;
    }
    counts[status]++;
    const reading: CimIntervalReading = {
      timeStamp: stamps[k]!,
      ReadingQualities: [{ ...(comment ? { comment } : {}), ReadingQualityType: { ref: QUARTER_QUALITY[status] } }, ...qualities],
    };
    if (value !== undefined) reading.value = value;
    readings.push(reading);
  }
  return { IntervalReadings: readings, ReadingType: { ref: row.code } };
}

/**
 * The quarter-hour IntervalBlocks of one PoD's energy registers over [fromMs, toMs): points in
 * any order, duplicates allowed; points outside the range (± tolerance) and of quantities that
 * are not mapped registers are ignored. Throws `CIM_FIELD_INVALID` (naming from, to,
 * toleranceMs) for a range that is not on quarter boundaries or longer than 31 days.
 */
export function deriveQuarterHourBlocks(pod: string, points: readonly RegisterPoint[], options: QuarterHourOptions): QuarterHourResult {
  const o = checkOptions(options);
  const counts = Object.fromEntries(QUARTER_STATUSES.map((s) => [s, 0])) as Record<QuarterStatus, number>;
  const series = new Map<string, Map<string, RegisterPoint[]>>();
  const seen = new Set<string>();
  for (const p of points) {
    if (p.timestampMs < o.fromMs - o.tol || p.timestampMs > o.toMs + o.tol || !quarterHourDeltaOfObis(p.quantity)) continue;
    const key = `${p.meter}\u0000${p.quantity}\u0000${p.digest}`;
    if (seen.has(key)) continue; // the same signed reading given twice
    seen.add(key);
    const byQuantity = series.get(p.meter) ?? series.set(p.meter, new Map()).get(p.meter)!;
    (byQuantity.get(p.quantity) ?? byQuantity.set(p.quantity, []).get(p.quantity)!).push(p);
  }
  // Local end times, once for all blocks (Intl is the costly part of a block).
  const stamps = series.size === 0 ? [] : Array.from({ length: (o.toMs - o.fromMs) / QUARTER_MS }, (_, k) => toLocalDateTime(o.fromMs + (k + 1) * QUARTER_MS, o.zone));
  const MeterReading: CimMeterReading[] = [...series.keys()].sort().map((meter) => {
    const byQuantity = series.get(meter)!;
    const IntervalBlocks = [...byQuantity.keys()].sort().map((q) => seriesBlock(byQuantity.get(q)!, o, stamps, counts));
    return { IntervalBlocks, Meter: { mRID: meter, Names: [] }, Readings: [], UsagePoint: { mRID: pod, Names: [] } };
  });
  return { MeterReading, quarters: (o.toMs - o.fromMs) / QUARTER_MS, counts };
}

/** `Reply.Error` entries for a result whose quarters are not all complete (empty when they are). */
export function quarterHourReplyErrors(r: QuarterHourResult): CimReplyError[] {
  const without = QUARTER_STATUSES.filter((s) => s !== 'complete' && r.counts[s] > 0);
  if (without.length === 0) return [];
  const total = without.reduce((n, s) => n + r.counts[s], 0);
  return [{
    code: 'CIM_INTERVAL_INCOMPLETE', level: 'WARNING',
    reason: `${total} quarter-hour interval(s) without a value`,
    details: without.map((s) => `${r.counts[s]} ${s} (${QUARTER_QUALITY[s]})`).join(', '),
  }];
}
