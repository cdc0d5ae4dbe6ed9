/**
 * Italian civil time (Europe/Rome: CET, CEST from the last Sunday of March to the last Sunday
 * of October) for the Chain 2 simulator: a 2G meter keeps its tariff bands and its day, week
 * and month ends in local time, not UTC. Offsets come from the runtime's Intl time-zone data;
 * the offset is cached per UTC hour (Rome's switches happen at 01:00 UTC, on the hour), so the
 * generator's 10-second steps cost one Intl call an hour.
 */

/** Calendar fields of an instant in Italian local time. */
export interface RomeTime {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  /** 0 Sunday .. 6 Saturday */
  weekday: number;
  /** 0..23 */
  hour: number;
  minute: number;
}

const HOUR_MS = 3_600_000;
const FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Europe/Rome', hourCycle: 'h23',
  year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
});

let cachedHour = Number.NaN;
let cachedOffsetMs = 0;

/** Offset of Rome's local time from UTC at `ms`, in ms (3,600,000 in winter, 7,200,000 in summer). */
export function romeOffsetMs(ms: number): number {
  const hour = Math.floor(ms / HOUR_MS);
  if (hour !== cachedHour) {
    const start = hour * HOUR_MS;
    const p = Object.fromEntries(FORMAT.formatToParts(new Date(start)).map((x) => [x.type, x.value]));
    const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
    cachedOffsetMs = asUtc - start;
    cachedHour = hour;
  }
  return cachedOffsetMs;
}

/** Local calendar fields of `ms` in Europe/Rome. */
export function romeTime(ms: number): RomeTime {
  const local = new Date(ms + romeOffsetMs(ms));
  return {
    year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate(),
    weekday: local.getUTCDay(), hour: local.getUTCHours(), minute: local.getUTCMinutes(),
  };
}

/** True when `ms` is exactly a local midnight in Rome (a day boundary of the meter). */
export function isRomeMidnight(ms: number): boolean {
  const local = ms + romeOffsetMs(ms);
  return local % 86_400_000 === 0;
}
