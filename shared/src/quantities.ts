/**
 * The quantities a reading may carry: OBIS codes (IEC 62056-61, `A-B:C.D.E`) with their SI unit
 * and the resolution (power-of-ten `scale`) at which we store a physical value as an integer.
 *
 * Resolution choice: finer than any meter we read reports (SDM float32 ≈ 7 significant digits,
 * SunSpec int16 + SF, Chain 2 integers in Wh/W), coarse enough that a year of energy still fits a
 * safe integer. A reading may carry another scale (e.g. SunSpec's own scale factor); the table
 * scale is the one `toMeasurement` uses when it converts a float.
 *
 * Project codes: quantities with no standard OBIS code use value group C = 128 (OBIS reserves
 * C = 128…199 for manufacturer-specific codes), so every quantity keeps the same grammar.
 */
import { ValidationError, LightNodeError } from './errors.js';
import type { Measurement } from './reading.js';

/** One row of the quantity table. */
export interface QuantityInfo {
  /** OBIS code or project code, `A-B:C.D.E`. */
  readonly code: string;
  /** SI unit (one of the units of reading.ts). */
  readonly unit: string;
  /** Power of ten of one stored integer step: -1 means 0.1 `unit`. */
  readonly scale: number;
  /** Human description. */
  readonly name: string;
  /** True for codes of the project's manufacturer-specific range (C = 128). */
  readonly project?: true;
}

type Row = [code: string, unit: string, scale: number, name: string, project?: true];

// prettier-ignore
const ROWS: Row[] = [
  // energy registers (cumulative), 1 Wh / 1 varh / 1 VAh
  ['1-0:1.8.0', 'Wh', 0, 'active energy import (+A), total'],
  ['1-0:1.8.1', 'Wh', 0, 'active energy import, tariff band F1'],
  ['1-0:1.8.2', 'Wh', 0, 'active energy import, tariff band F2'],
  ['1-0:1.8.3', 'Wh', 0, 'active energy import, tariff band F3'],
  ['1-0:1.8.4', 'Wh', 0, 'active energy import, tariff band F4'],
  ['1-0:1.8.5', 'Wh', 0, 'active energy import, tariff band F5'],
  ['1-0:1.8.6', 'Wh', 0, 'active energy import, tariff band F6'],
  ['1-0:2.8.0', 'Wh', 0, 'active energy export (-A), total'],
  ['1-0:15.8.0', 'Wh', 0, 'active energy absolute (|+A| + |-A|), total'],
  ['1-0:21.8.0', 'Wh', 0, 'active energy import L1'],
  ['1-0:41.8.0', 'Wh', 0, 'active energy import L2'],
  ['1-0:61.8.0', 'Wh', 0, 'active energy import L3'],
  ['1-0:22.8.0', 'Wh', 0, 'active energy export L1'],
  ['1-0:42.8.0', 'Wh', 0, 'active energy export L2'],
  ['1-0:62.8.0', 'Wh', 0, 'active energy export L3'],
  ['1-0:3.8.0', 'varh', 0, 'reactive energy import (+R), total'],
  ['1-0:4.8.0', 'varh', 0, 'reactive energy export (-R), total'],
  ['1-0:9.8.0', 'VAh', 0, 'apparent energy import, total'],
  ['1-0:10.8.0', 'VAh', 0, 'apparent energy export, total'],
  // instantaneous power, 0.1 W / var / VA
  ['1-0:1.7.0', 'W', -1, 'active power import (+P)'],
  ['1-0:2.7.0', 'W', -1, 'active power export (-P)'],
  ['1-0:16.7.0', 'W', -1, 'active power net (+P - -P), signed'],
  ['1-0:36.7.0', 'W', -1, 'active power net L1, signed'],
  ['1-0:56.7.0', 'W', -1, 'active power net L2, signed'],
  ['1-0:76.7.0', 'W', -1, 'active power net L3, signed'],
  ['1-0:3.7.0', 'var', -1, 'reactive power (+Q positive, signed as the meter reports)'],
  ['1-0:23.7.0', 'var', -1, 'reactive power L1, signed'],
  ['1-0:43.7.0', 'var', -1, 'reactive power L2, signed'],
  ['1-0:63.7.0', 'var', -1, 'reactive power L3, signed'],
  ['1-0:9.7.0', 'VA', -1, 'apparent power'],
  ['1-0:29.7.0', 'VA', -1, 'apparent power L1'],
  ['1-0:49.7.0', 'VA', -1, 'apparent power L2'],
  ['1-0:69.7.0', 'VA', -1, 'apparent power L3'],
  // averages and maxima of active power (demand), 0.1 W
  ['1-0:1.5.0', 'W', -1, 'active power import, average of the last completed period (quarter hour)'],
  ['1-0:1.6.0', 'W', -1, 'active power import, maximum demand of the billing period (month)'],
  // voltage 0.01 V, current 1 mA, frequency 0.01 Hz, power factor 0.001
  ['1-0:32.7.0', 'V', -2, 'voltage L1-N'],
  ['1-0:52.7.0', 'V', -2, 'voltage L2-N'],
  ['1-0:72.7.0', 'V', -2, 'voltage L3-N'],
  ['1-0:12.7.0', 'V', -2, 'voltage, phase average L-N'],
  ['1-0:12.3.0', 'V', -2, 'voltage minimum of the period (any phase)'],
  ['1-0:12.6.0', 'V', -2, 'voltage maximum of the period (any phase)'],
  ['1-0:31.7.0', 'A', -3, 'current L1'],
  ['1-0:51.7.0', 'A', -3, 'current L2'],
  ['1-0:71.7.0', 'A', -3, 'current L3'],
  ['1-0:90.7.0', 'A', -3, 'current, sum of phases'],
  ['1-0:91.7.0', 'A', -3, 'current, neutral'],
  ['1-0:14.7.0', 'Hz', -2, 'supply frequency'],
  ['1-0:13.7.0', '1', -3, 'power factor, total'],
  ['1-0:33.7.0', '1', -3, 'power factor L1'],
  ['1-0:53.7.0', '1', -3, 'power factor L2'],
  ['1-0:73.7.0', '1', -3, 'power factor L3'],
  ['0-0:96.7.21', '1', 0, 'number of power failures (any phase)'],
  ['0-0:96.14.0', '1', 0, 'current tariff band (1..6 = F1..F6)'],
  // project codes (C = 128): quantities with no standard OBIS code
  ['1-0:128.1.0', 'deg', -1, 'phase angle, total', true],
  ['1-0:128.2.1', '%', -2, 'voltage THD L1', true],
  ['1-0:128.2.2', '%', -2, 'voltage THD L2', true],
  ['1-0:128.2.3', '%', -2, 'voltage THD L3', true],
  ['1-0:128.3.0', 'Wh', 0, 'active energy import in the current quarter hour so far (Chain 2 CurrQuartActEnergy)', true],
  ['1-0:128.3.1', 'Wh', 0, 'active energy import in the previous quarter hour (Chain 2 PrevQuartActEnergy)', true],
  ['1-0:128.4.1', 'Wh', 0, 'daily active energy import, tariff band F1 (Chain 2 CF5)', true],
  ['1-0:128.4.2', 'Wh', 0, 'daily active energy import, tariff band F2', true],
  ['1-0:128.4.3', 'Wh', 0, 'daily active energy import, tariff band F3', true],
  ['1-0:128.4.4', 'Wh', 0, 'daily active energy import, tariff band F4', true],
  ['1-0:128.4.5', 'Wh', 0, 'daily active energy import, tariff band F5', true],
  ['1-0:128.4.6', 'Wh', 0, 'daily active energy import, tariff band F6', true],
  ['1-0:128.5.1', 'Wh', 0, 'monthly active energy import, tariff band F1 (Chain 2 CF10)', true],
  ['1-0:128.5.2', 'Wh', 0, 'monthly active energy import, tariff band F2', true],
  ['1-0:128.5.3', 'Wh', 0, 'monthly active energy import, tariff band F3', true],
  ['1-0:128.5.4', 'Wh', 0, 'monthly active energy import, tariff band F4', true],
  ['1-0:128.5.5', 'Wh', 0, 'monthly active energy import, tariff band F5', true],
  ['1-0:128.5.6', 'Wh', 0, 'monthly active energy import, tariff band F6', true],
  ['1-0:128.6.0', 'W', -1, 'daily maximum instantaneous active power import (Chain 2 CF5)', true],
  ['1-0:128.7.0', 's', 0, 'supply interruption duration (Chain 2 OutageDuration)', true],
  ['1-0:128.7.1', '1', 0, 'Chain 2 event counter (EventsCounter)', true],
  ['1-0:128.8.0', 'W', -1, 'contractual power (Chain 2 CF20 ContractPower)', true],
  ['1-0:128.8.1', 'W', -1, 'available power (Chain 2 CF20 AvailablePower)', true],
  ['1-0:128.9.0', '1', 0, 'weekly count of samples with Veff within ±10 % (Chain 2 CF9)', true],
  ['1-0:128.9.1', '1', 0, 'weekly count of samples with Veff -15 %…-10 %', true],
  ['1-0:128.9.2', '1', 0, 'weekly count of samples with Veff +10 %…+15 %', true],
  ['1-0:128.9.3', '1', 0, 'weekly count of samples with Veff above +15 %', true],
  ['1-0:128.9.4', '1', 0, 'weekly count of samples with Veff below -15 %', true],
  ['1-0:128.10.0', 'W', -1, 'EMS active power setpoint read back', true],
  // synchrophasors (IEEE C37.118): angles are UTC-referenced (C37.118.1 §4.2), unlike OBIS C = 81's angles between phases
  ['1-0:128.11.1', 'deg', -3, 'synchrophasor angle, voltage L1 (C37.118, UTC-referenced)', true],
  ['1-0:128.11.2', 'deg', -3, 'synchrophasor angle, voltage L2', true],
  ['1-0:128.11.3', 'deg', -3, 'synchrophasor angle, voltage L3', true],
  ['1-0:128.12.1', 'deg', -3, 'synchrophasor angle, current L1', true],
  ['1-0:128.12.2', 'deg', -3, 'synchrophasor angle, current L2', true],
  ['1-0:128.12.3', 'deg', -3, 'synchrophasor angle, current L3', true],
  ['1-0:128.13.0', 'Hz/s', -3, 'rate of change of frequency (ROCOF, C37.118 DFREQ)', true],
  ['0-0:128.14.0', 's', -9, 'measurement time below the millisecond of the reading timestamp (C37.118 FRACSEC rest), ns', true],
  ['0-0:128.15.0', '1', 0, 'C37.118 STAT word of the PMU block (bits as C37.118.2 §6.3 Table 7)', true],
];

/** The quantity table, keyed by code. */
export const QUANTITIES: ReadonlyMap<string, QuantityInfo> = new Map(
  ROWS.map(([code, unit, scale, name, project]) => [code, Object.freeze(project ? { code, unit, scale, name, project } : { code, unit, scale, name })]),
);

/** OBIS grammar `A-B:C.D.E`, each group 0..255 written without leading zeros. */
const OBIS_RE = /^(?:0|[1-9]\d{0,2})-(?:0|[1-9]\d{0,2}):(?:0|[1-9]\d{0,2})\.(?:0|[1-9]\d{0,2})\.(?:0|[1-9]\d{0,2})$/;

/** True when `code` has the OBIS grammar `A-B:C.D.E` (groups 0..255). */
export function isObisCode(code: unknown): code is string {
  if (typeof code !== 'string' || !OBIS_RE.test(code)) return false;
  return code.split(/[-:.]/).every((g) => Number(g) <= 255);
}

/** Look a quantity up; `undefined` when it is not in the table. */
export function quantityInfo(code: string): QuantityInfo | undefined {
  return QUANTITIES.get(code);
}

/**
 * Turn a physical value (already in the table's SI unit, e.g. Wh not kWh) into an integer
 * measurement at the quantity's documented resolution. Rounds half away from zero.
 * Throws `PROTO_VALUE_NOT_FINITE` for NaN/±Infinity, `PROTO_QUANTITY_UNKNOWN` for a code not in
 * the table, `PROTO_VALUE_OUT_OF_RANGE` when the integer would not be a safe integer.
 */
export function toMeasurement(quantity: string, physical: number): Measurement {
  const info = QUANTITIES.get(quantity);
  if (!info) throw new ValidationError('PROTO_QUANTITY_UNKNOWN', 'quantity', 'a code of the quantity table', quantity);
  if (typeof physical !== 'number' || !Number.isFinite(physical)) {
    throw new ValidationError('PROTO_VALUE_NOT_FINITE', `value of ${quantity}`, 'a finite number', physical);
  }
  // Multiply by an exact power of ten (10^k, k ≤ 18, is exact in float64 up to 10^22) instead of
  // dividing by 10^scale, so 230.1 V at scale -2 gives 23010, not 23009.999….
  const scaled = info.scale <= 0 ? physical * 10 ** -info.scale : physical / 10 ** info.scale;
  const rounded = Math.sign(scaled) * Math.round(Math.abs(scaled));
  if (!Number.isSafeInteger(rounded)) {
    throw new LightNodeError('PROTO_VALUE_OUT_OF_RANGE', `value of ${quantity} does not fit a safe integer at scale ${info.scale}`, { quantity, physical });
  }
  return { quantity, value: rounded === 0 ? 0 : rounded, scale: info.scale, unit: info.unit };
}

/** The physical value of a measurement as a float (for display and plausibility checks only). */
export function physicalValue(m: Measurement): number {
  return m.scale >= 0 ? m.value * 10 ** m.scale : m.value / 10 ** -m.scale;
}
