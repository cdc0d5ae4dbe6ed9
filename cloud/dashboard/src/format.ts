/** Display helpers (pure). */

/** `0x1234…abcd`. */
export function shortHex(h: string | null | undefined, keep = 6): string {
  if (!h) return '—';
  return h.length <= 2 + 2 * keep ? h : `${h.slice(0, 2 + keep)}…${h.slice(-keep + 2)}`;
}

/** Local date and time, seconds precision. */
export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "12 s ago", "3 min ago", "2 h ago". */
export function ago(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export interface Measurement { quantity: string; value: number; scale: number; unit: string }

/** value × 10^scale as a number (for charts). */
export function scaled(m: Measurement): number {
  return m.value * 10 ** m.scale;
}

/** "1234.5 Wh" (exact decimal placement of the integer value). */
export function measurement(m: Measurement): string {
  const neg = m.value < 0;
  let digits = String(Math.abs(m.value));
  let s: string;
  if (m.scale >= 0) s = digits + '0'.repeat(m.scale);
  else {
    const k = -m.scale;
    digits = digits.padStart(k + 1, '0');
    s = `${digits.slice(0, -k)}.${digits.slice(-k)}`;
  }
  return `${neg ? '-' : ''}${s} ${m.unit}`;
}
