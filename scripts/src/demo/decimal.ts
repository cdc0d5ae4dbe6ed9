/**
 * A reading value as a person reads it: `value` × 10^`scale` written out exactly in decimal
 * (22969, −2 → "229.69"), digits kept, no floating point — what the demo prints for a receipt.
 */
export function decimal(value: number, scale: number): string {
  const sign = value < 0 ? '-' : '';
  const digits = String(Math.abs(value));
  if (scale >= 0) return `${sign}${digits}${'0'.repeat(scale)}`;
  const padded = digits.padStart(-scale + 1, '0');
  return `${sign}${padded.slice(0, scale)}.${padded.slice(scale)}`;
}
