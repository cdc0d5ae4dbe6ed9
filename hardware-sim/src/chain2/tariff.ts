/**
 * Italian time-of-use bands (ARERA): F1 Mon–Fri 08–19; F2 Mon–Fri 07–08 and 19–23, Sat 07–23;
 * F3 nights 23–07, Sundays. Hours are Italian local time (Europe/Rome, with summer time), as a
 * 2G meter keeps them. National holidays (F3 all day) are not modelled.
 */
import { romeTime } from './rome-time.js';

/** Tariff band 1, 2 or 3 at simulated time `ms`. */
export function tariffBand(ms: number): 1 | 2 | 3 {
  const { weekday, hour } = romeTime(ms);
  if (weekday === 0 || hour < 7 || hour >= 23) return 3;
  if (weekday === 6) return 2;
  if (hour >= 8 && hour < 19) return 1;
  return 2;
}

/** Chain 2 DayType of the local day holding `ms`: 1 weekday, 2 Saturday, 3 Sunday. */
export function dayType(ms: number): 1 | 2 | 3 {
  const { weekday } = romeTime(ms);
  return weekday === 0 ? 3 : weekday === 6 ? 2 : 1;
}
