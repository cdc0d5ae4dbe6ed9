/**
 * Italian time-of-use bands (ARERA): F1 Mon–Fri 08–19; F2 Mon–Fri 07–08 and 19–23, Sat 07–23;
 * F3 nights 23–07, Sundays. Holidays are not modelled; hours are taken in UTC (simulator choice).
 */

/** Tariff band 1, 2 or 3 at simulated time `ms`. */
export function tariffBand(ms: number): 1 | 2 | 3 {
  const d = new Date(ms);
  const day = d.getUTCDay(); // 0 Sunday
  const h = d.getUTCHours();
  if (day === 0 || h < 7 || h >= 23) return 3;
  if (day === 6) return 2;
  if (h >= 8 && h < 19) return 1;
  return 2;
}

/** Chain 2 DayType: 1 weekday, 2 Saturday, 3 Sunday. */
export function dayType(ms: number): 1 | 2 | 3 {
  const day = new Date(ms).getUTCDay();
  return day === 0 ? 3 : day === 6 ? 2 : 1;
}
