/**
 * Civil time of a zone (default Europe/Rome, the Italian market's time) for quarter-hour data,
 * through `Intl.DateTimeFormat` with `timeZone`: no clock and no time-zone dependency here.
 *
 * Why the quarter grid needs no table: a local quarter boundary is an instant whose local time
 * is hh:00, :15, :30 or :45. Rome's offsets (+01:00 CET, +02:00 CEST) are whole hours, so those
 * instants are exactly the UTC multiples of 15 minutes; `isQuarterBoundary` still asks the zone
 * and refuses a zone whose offset is not a multiple of 15 minutes. What the zone decides is the
 * day: local midnight to local midnight holds 96 quarters, 92 on the last Sunday of March (02:00
 * jumps to 03:00) and 100 on the last Sunday of October (03:00 goes back to 02:00).
 */
import { ValidationError } from '../errors.js';

/** The zone of Italian metering (ARERA quarter-hour data is in Italian local time). */
export const ROME = 'Europe/Rome';
/** One quarter hour, ms. */
export const QUARTER_MS = 15 * 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    } catch (e) {
      throw new ValidationError('CIM_FIELD_INVALID', 'timeZone', 'an IANA time zone like Europe/Rome', zone);
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Local wall-clock fields of the instant `ms` in `zone`. */
function wallClock(ms: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

/** Offset of `zone` from UTC at the instant `ms`, in whole minutes (Rome: 60 or 120). */
export function zoneOffsetMinutes(ms: number, zone = ROME): number {
  const w = wallClock(ms, zone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return Math.round((asUtc - (ms - (((ms % 1000) + 1000) % 1000))) / 60_000);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The instant `ms` as an xs:dateTime in local time with its offset, e.g. `2026-03-29T03:00:00+02:00`. */
export function toLocalDateTime(ms: number, zone = ROME): string {
  const off = zoneOffsetMinutes(ms, zone);
  const local = new Date(ms + off * 60_000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const frac = local.getUTCMilliseconds() ? `.${pad(local.getUTCMilliseconds(), 3)}` : '';
  return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${frac}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** True when `ms` is a local quarter-hour boundary of `zone` (hh:00/15/30/45:00.000 local). */
export function isQuarterBoundary(ms: number, zone = ROME): boolean {
  const off = zoneOffsetMinutes(ms, zone);
  if (off % 15 !== 0) throw new ValidationError('CIM_FIELD_INVALID', 'timeZone', 'a zone whose UTC offset is a multiple of 15 minutes', `${zone} (${off} min)`);
  return (ms + off * 60_000) % QUARTER_MS === 0;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The instant of local midnight starting `date` (YYYY-MM-DD) in `zone`. */
function localMidnight(y: number, mo: number, d: number, zone: string): number {
  const wall = Date.UTC(y, mo - 1, d);
  // Two fixed-point steps settle it for any offset; midnight is never inside a Rome DST gap (02:00–03:00).
  let ms = wall - zoneOffsetMinutes(wall, zone) * 60_000;
  ms = wall - zoneOffsetMinutes(ms, zone) * 60_000;
  return ms;
}

/**
 * The local day `date` (YYYY-MM-DD) of `zone` as [startMs, endMs): local midnight to the next
 * local midnight (23, 24 or 25 hours in Rome). Throws `CIM_FIELD_INVALID` naming `field` for a
 * date that is not a calendar date.
 */
export function localDayBounds(date: string, zone = ROME, field = 'day'): { startMs: number; endMs: number } {
  const m = typeof date === 'string' ? DATE_RE.exec(date) : null;
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (!m || y < 2001 || check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new ValidationError('CIM_FIELD_INVALID', field, 'a calendar date YYYY-MM-DD (2001 or later)', date);
  }
  const next = new Date(Date.UTC(y, mo - 1, d + 1));
  return { startMs: localMidnight(y, mo, d, zone), endMs: localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), zone) };
}
