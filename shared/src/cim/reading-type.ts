/**
 * OBIS ↔ IEC 61968-9 ReadingType: one table, each row with its evidence
 * (reference/cim-61968-9.md §3, §4; Connexo ObisCodeToReadingTypeFactory and its tests).
 *
 * Decisions:
 * - Registers (OBIS D = 8) are accumulation 1 bulkQuantity, in kWh (multiplier 3, unit 72):
 *   Connexo's test vector for 1-0:1.8.0 and its demo template for 1-0:2.8.0.
 * - Instantaneous values (OBIS D = 7) are accumulation **6 indicating**, as Connexo's test vectors
 *   for 1-0:31.7.0 and 1-0:32.7.0 have it, so our codes equal an MDM's tested ones. IEC also has
 *   12 instantaneous (SEP2 / Green Button use it): a code with 12 is read as its 6 twin, never
 *   written.
 * - Voltage is measurementKind **158 voltage** (Connexo); the older 54 rmsVoltage is read as 158.
 * - Phases per quantity (Connexo PhaseMapping): current and energy of L1/L2/L3 are 128 A,
 *   64 B, 32 C; voltage L-N is 129 AN, 65 BN, 33 CN. Totals are 0.
 * - Tariff registers 1-0:1.8.E carry tou = E (TimeOfUseMapping).
 * - Power is kW (multiplier 3), voltage V, current A, frequency Hz (multiplier 0).
 * - Quarter-hour data uses each register's 15-minute deltaData twin (measuringPeriod 2,
 *   accumulation 4), derived from the register rows below (`quarterHourDeltaOfObis`).
 * Rows marked `derived` apply Connexo's rules without a literal test vector. Quantities not in
 * the table (reactive, apparent, power factor, project codes C = 128) have no ReadingType here:
 * they are refused, never guessed (`CIM_QUANTITY_UNMAPPED`, `CIM_READING_TYPE_UNKNOWN`).
 */
import { ValidationError } from '../errors.js';
import { READING_TYPE_RE } from './model.js';

/** One mapping row. */
export interface ReadingTypeRow {
  /** OBIS code of the quantity table (quantities.ts). */
  readonly obis: string;
  /** The 18-part ReadingType code. */
  readonly code: string;
  /** Unit of the quantity table; the code's unit field (index 16) says the same thing. */
  readonly unit: string;
  /** Power of ten of the code (index 15): the CIM value is in 10^multiplier × unit. */
  readonly multiplier: number;
  /** Where the row comes from. */
  readonly evidence: 'vector' | 'demo' | 'derived';
}

type Row = [obis: string, code: string, unit: string, evidence: ReadingTypeRow['evidence']];
const rt = (acc: number, flow: number, kind: number, tou: number, phase: number, mult: number, unit: number): string =>
  `0.0.0.${acc}.${flow}.1.${kind}.0.0.0.0.${tou}.0.0.${phase}.${mult}.${unit}.0`;

// prettier-ignore
const ROWS: Row[] = [
  ['1-0:1.8.0', rt(1, 1, 12, 0, 0, 3, 72), 'Wh', 'vector'],
  ...[1, 2, 3, 4, 5, 6].map((e): Row => [`1-0:1.8.${e}`, rt(1, 1, 12, e, 0, 3, 72), 'Wh', 'derived']),
  ['1-0:2.8.0', rt(1, 19, 12, 0, 0, 3, 72), 'Wh', 'demo'],
  ['1-0:21.8.0', rt(1, 1, 12, 0, 128, 3, 72), 'Wh', 'derived'],
  ['1-0:41.8.0', rt(1, 1, 12, 0, 64, 3, 72), 'Wh', 'derived'],
  ['1-0:61.8.0', rt(1, 1, 12, 0, 32, 3, 72), 'Wh', 'derived'],
  ['1-0:22.8.0', rt(1, 19, 12, 0, 128, 3, 72), 'Wh', 'derived'],
  ['1-0:42.8.0', rt(1, 19, 12, 0, 64, 3, 72), 'Wh', 'derived'],
  ['1-0:62.8.0', rt(1, 19, 12, 0, 32, 3, 72), 'Wh', 'derived'],
  ['1-0:1.7.0', rt(6, 1, 37, 0, 0, 3, 38), 'W', 'derived'],
  ['1-0:2.7.0', rt(6, 19, 37, 0, 0, 3, 38), 'W', 'derived'],
  ['1-0:31.7.0', rt(6, 0, 4, 0, 128, 0, 5), 'A', 'vector'],
  ['1-0:51.7.0', rt(6, 0, 4, 0, 64, 0, 5), 'A', 'derived'],
  ['1-0:71.7.0', rt(6, 0, 4, 0, 32, 0, 5), 'A', 'derived'],
  ['1-0:32.7.0', rt(6, 0, 158, 0, 129, 0, 29), 'V', 'vector'],
  ['1-0:52.7.0', rt(6, 0, 158, 0, 65, 0, 29), 'V', 'derived'],
  ['1-0:72.7.0', rt(6, 0, 158, 0, 33, 0, 29), 'V', 'derived'],
  ['1-0:14.7.0', rt(6, 0, 15, 0, 0, 0, 33), 'Hz', 'derived'],
];

/** The mapping table, by OBIS code. */
export const READING_TYPES_BY_OBIS: ReadonlyMap<string, ReadingTypeRow> = new Map(
  ROWS.map(([obis, code, unit, evidence]) => [obis, Object.freeze({ obis, code, unit, multiplier: Number(code.split('.')[15]), evidence })]),
);
/** The mapping table, by ReadingType code. */
export const READING_TYPES_BY_CODE: ReadonlyMap<string, ReadingTypeRow> = new Map([...READING_TYPES_BY_OBIS.values()].map((r) => [r.code, r]));

/** The ReadingType of an OBIS quantity, or undefined when the table has none. */
export function readingTypeOfObis(obis: string): ReadingTypeRow | undefined {
  return READING_TYPES_BY_OBIS.get(obis);
}

/**
 * Quarter-hour interval data (issue 13 §3): the 15-minute delta twin of each energy register row
 * (accumulation 1 bulkQuantity) — measuringPeriod 2 (15-min) and accumulation 4 (deltaData),
 * every other field kept, as the reference's "[15-minute] Secondary Delta A+ (kWh)"
 * `0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0` (reference §3, §4). Derived from the table above, so a
 * register and its delta cannot disagree on flow, phase, tariff or unit.
 */
export const QUARTER_HOUR_MEASURING_PERIOD = 2;
export const DELTA_DATA_ACCUMULATION = 4;

const quarterHourTwin = (r: ReadingTypeRow): ReadingTypeRow => {
  const f = r.code.split('.');
  f[2] = String(QUARTER_HOUR_MEASURING_PERIOD);
  f[3] = String(DELTA_DATA_ACCUMULATION);
  return Object.freeze({ ...r, code: f.join('.') });
};
/** The 15-minute deltaData ReadingTypes, by the OBIS code of their register. */
export const QUARTER_HOUR_DELTAS_BY_OBIS: ReadonlyMap<string, ReadingTypeRow> = new Map(
  [...READING_TYPES_BY_OBIS.values()].filter((r) => r.code.split('.')[3] === '1').map((r) => [r.obis, quarterHourTwin(r)]),
);
/** The 15-minute deltaData ReadingTypes, by code. */
export const QUARTER_HOUR_DELTAS_BY_CODE: ReadonlyMap<string, ReadingTypeRow> = new Map([...QUARTER_HOUR_DELTAS_BY_OBIS.values()].map((r) => [r.code, r]));

/** The 15-minute delta ReadingType of an energy register's OBIS code; undefined for anything that is not a mapped register. */
export function quarterHourDeltaOfObis(obis: string): ReadingTypeRow | undefined {
  return QUARTER_HOUR_DELTAS_BY_OBIS.get(obis);
}

/** The code with the documented aliases folded: accumulation 12 → 6, measurementKind 54 → 158. */
function canonical(code: string): string {
  const f = code.split('.');
  if (f[3] === '12') f[3] = '6';
  if (f[6] === '54') f[6] = '158';
  return f.join('.');
}

/**
 * The row of a ReadingType code (aliases folded). Throws `CIM_READING_TYPE_INVALID` for a
 * malformed code and `CIM_READING_TYPE_UNKNOWN`, naming the code and what it means, for one the
 * table does not hold.
 */
export function readingTypeRow(code: string, field = 'ReadingType.ref'): ReadingTypeRow {
  if (typeof code !== 'string' || !READING_TYPE_RE.test(code)) throw new ValidationError('CIM_READING_TYPE_INVALID', field, 'an 18-part ReadingType code', code);
  const row = READING_TYPES_BY_CODE.get(canonical(code));
  if (!row) throw new ValidationError('CIM_READING_TYPE_UNKNOWN', field, `a ReadingType of the OBIS table (this one is ${describeReadingType(code)})`, code);
  return row;
}

// Names of the enum values we meet (Connexo com.elster.jupiter.cbo.*, reference §3); others print as numbers.
const ACCUMULATION: Record<string, string> = { 1: 'bulkQuantity', 2: 'continuousCumulative', 3: 'cumulative', 4: 'deltaData', 6: 'indicating', 9: 'summation', 12: 'instantaneous' };
const FLOW: Record<string, string> = { 1: 'forward', 4: 'net', 19: 'reverse', 20: 'total' };
const KIND: Record<string, string> = { 4: 'current', 8: 'demand', 12: 'energy', 15: 'frequency', 37: 'power', 38: 'powerFactor', 54: 'rmsVoltage', 158: 'voltage' };
const UNIT: Record<string, string> = { 5: 'A', 29: 'V', 33: 'Hz', 38: 'W', 61: 'VA', 63: 'VAr', 65: 'cosφ', 71: 'VAh', 72: 'Wh', 73: 'VArh' };
const MULT: Record<string, string> = { '-3': 'm', 0: '', 3: 'k', 6: 'M', 9: 'G' };

/** A short human name of a ReadingType code, e.g. "bulkQuantity forward energy kWh". */
export function describeReadingType(code: string): string {
  const f = code.split('.');
  if (f.length !== 18) return 'not an 18-part code';
  const part = (table: Record<string, string>, v: string, label: string): string => table[v] ?? `${label} ${v}`;
  const phase = f[14] !== '0' ? ` phases ${f[14]}` : '';
  const tou = f[11] !== '0' ? ` tou ${f[11]}` : '';
  const period = f[2] !== '0' ? `period ${f[2]} ` : '';
  return `${period}${part(ACCUMULATION, f[3]!, 'accumulation')} ${part(FLOW, f[4]!, 'flow')} ${part(KIND, f[6]!, 'kind')} ${MULT[f[15]!] ?? `10^${f[15]} `}${part(UNIT, f[16]!, 'unit')}${tou}${phase}`;
}
