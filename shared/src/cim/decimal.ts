/**
 * Integer measurement ↔ CIM decimal text, exactly: a Measurement is `value × 10^scale` in its
 * unit, a CIM value is decimal text in `10^multiplier × unit` (the ReadingType's index 15). Only
 * digit strings move; the one `Number()` reads an integer of at most 16 digits, checked safe,
 * so no float rounding can enter a signed value.
 *
 * The fraction has exactly `multiplier − scale` digits, trailing zeros kept, so decoding gives the
 * same (value, scale) back: 1001 Wh at scale 0 in kWh is "1.001"; 16500 at scale −1 W in kW is
 * "1.6500". A scale above the multiplier (e.g. 5 × 10^4 V) would need trailing integer zeros that
 * decode to another scale: refused with `CIM_VALUE_UNREPRESENTABLE`.
 */
import { LightNodeError, ValidationError } from '../errors.js';
import { CIM_DECIMAL_RE } from './model.js';

const MIN_SCALE = -18;
const MAX_SCALE = 18;

/** Decimal text of `value × 10^scale` in units of 10^multiplier. */
export function measurementToDecimal(value: number, scale: number, multiplier: number): string {
  const fraction = multiplier - scale;
  if (!Number.isSafeInteger(value) || fraction < 0) {
    throw new LightNodeError('CIM_VALUE_UNREPRESENTABLE', `value ${value} × 10^${scale} has no exact decimal text in units of 10^${multiplier}`, { value, scale, multiplier });
  }
  const neg = value < 0;
  let digits = String(Math.abs(value));
  if (fraction === 0) return neg && value !== 0 ? `-${digits}` : digits;
  if (digits.length <= fraction) digits = digits.padStart(fraction + 1, '0');
  const text = `${digits.slice(0, digits.length - fraction)}.${digits.slice(digits.length - fraction)}`;
  return neg ? `-${text}` : text;
}

/** (value, scale) of decimal text in units of 10^multiplier; inverse of measurementToDecimal. */
export function decimalToMeasurement(text: string, multiplier: number, field = 'value'): { value: number; scale: number } {
  if (typeof text !== 'string' || !CIM_DECIMAL_RE.test(text)) throw new ValidationError('CIM_VALUE_INVALID', field, 'decimal text like 1502.331', text);
  const neg = text.startsWith('-');
  const [int, frac = ''] = (neg ? text.slice(1) : text).split('.') as [string, string?];
  const digits = (int + frac).replace(/^0+(?=\d)/, '');
  const scale = multiplier - frac.length;
  if (digits.length > 16 || !Number.isSafeInteger(Number(digits)) || scale < MIN_SCALE || scale > MAX_SCALE) {
    throw new ValidationError('CIM_VALUE_UNREPRESENTABLE', field, `a value that is a safe integer at a scale of ${MIN_SCALE}..${MAX_SCALE}`, text);
  }
  const value = Number(digits);
  return { value: neg && value !== 0 ? -value : value, scale: scale === 0 ? 0 : scale };
}
