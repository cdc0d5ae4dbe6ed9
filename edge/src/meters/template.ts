/**
 * Meter templates: a meter model is a data file (edge/templates/*.json), not code. This module
 * validates a template once, at the boundary (fail closed, naming the field), and loads the
 * shipped ones. Format documented in edge/src/meters/README.md.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '@lightnode/shared/errors';
import { quantityInfo } from '@lightnode/shared/quantities';
import { REGISTER_TYPES, WORD_ORDERS, registerCount, type RegisterType, type WordOrder } from '../modbus/decode.js';
import { MODBUS_MAX_READ_REGISTERS } from '../modbus/planner.js';
import { ratingProblem, type Rating } from './plausibility.js';

export interface TemplatePoint {
  /** Point name, unique in the template (register-map name, e.g. `TotWhImp`). */
  name: string;
  /** OBIS or project code from @lightnode/shared/quantities. */
  quantity: string;
  /** 3 (holding registers) or 4 (input registers). */
  functionCode: 3 | 4;
  /** PDU address (0-based); for SunSpec templates the offset from the model's ID register. */
  address: number;
  type: RegisterType;
  wordOrder: WordOrder;
  /** Unit the device reports in (documentation and check), e.g. `kWh`. */
  sourceUnit: string;
  /** SI unit after conversion; must equal the quantity table's unit. */
  unit: string;
  /** physical = raw × 10^SF × multiplier, e.g. 1000 for kWh → Wh. */
  multiplier: number;
  /** Address (same addressing as `address`) of the SunSpec scale-factor register, if any. */
  scaleFactorAddress?: number;
  /** Plausibility window of the physical value (SI unit), winning over the template's `rating`; outside → dropped by the agent's gate (plausibility.ts). */
  min?: number;
  max?: number;
}

export interface MeterTemplate {
  /** Template id (file name without .json). */
  id: string;
  description: string;
  /** Treat SunSpec "not implemented" sentinels (0x8000, 0xFFFF, acc 0, NaN) as absent points. */
  sentinels: boolean;
  /** Largest hole (registers) the planner reads through to join two points. */
  maxHoleFill: number;
  /** Largest read (registers), ≤ 125. */
  maxRegisters: number;
  /** Present for SunSpec devices: addresses are offsets inside the first matching model. */
  sunspec?: { models: number[]; minLength: number; bases?: number[] };
  /** What the meter is built for (nominal V and Hz, Imax, phases): the plausibility windows of its quantities (plausibility.ts). */
  rating?: Rating;
  points: TemplatePoint[];
}

const E = 'CONFIG_TEMPLATE_INVALID';

function fail(field: string, expected: string, found: unknown): never {
  throw new ValidationError(E, field, expected, found);
}

function int(x: unknown, field: string, lo: number, hi: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) fail(field, `integer ${lo}..${hi}`, x);
  return x;
}

function str(x: unknown, field: string, maxLength = 200): string {
  if (typeof x !== 'string' || x.length === 0 || x.length > maxLength) fail(field, `string of 1..${maxLength} chars`, x);
  return x;
}

function finite(x: unknown, field: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) fail(field, 'finite number', x);
  return x;
}

/** Validates an untrusted template object; throws CONFIG_TEMPLATE_INVALID naming the field. */
export function validateTemplate(x: unknown): MeterTemplate {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail('template', 'object', x);
  const t = x as Record<string, unknown>;
  const id = str(t.id, 'id');
  const description = str(t.description, 'description', 1000);
  if (typeof t.sentinels !== 'boolean') fail('sentinels', 'boolean', t.sentinels);
  const maxHoleFill = int(t.maxHoleFill ?? 16, 'maxHoleFill', 0, MODBUS_MAX_READ_REGISTERS);
  const maxRegisters = int(t.maxRegisters ?? MODBUS_MAX_READ_REGISTERS, 'maxRegisters', 2, MODBUS_MAX_READ_REGISTERS);
  let sunspec: MeterTemplate['sunspec'];
  if (t.sunspec !== undefined) {
    const s = t.sunspec as Record<string, unknown>;
    if (typeof s !== 'object' || s === null) fail('sunspec', 'object', s);
    if (!Array.isArray(s.models) || s.models.length === 0) fail('sunspec.models', 'non-empty array of model ids', s.models);
    const models = s.models.map((m, i) => int(m, `sunspec.models[${i}]`, 1, 0xfffe));
    const minLength = int(s.minLength, 'sunspec.minLength', 0, 0xffff);
    sunspec = { models, minLength };
    if (s.bases !== undefined) {
      if (!Array.isArray(s.bases)) fail('sunspec.bases', 'array of addresses', s.bases);
      sunspec.bases = s.bases.map((b, i) => int(b, `sunspec.bases[${i}]`, 0, 0xfffd));
    }
  }
  if (t.rating !== undefined) {
    const problem = ratingProblem(t.rating);
    if (problem) fail(`rating${problem.field}`, problem.expected, t.rating);
  }
  if (!Array.isArray(t.points) || t.points.length === 0 || t.points.length > 64) fail('points', 'array of 1..64 points', t.points);
  const names = new Set<string>();
  const points = t.points.map((p, i) => validatePoint(p, `points[${i}]`, sunspec !== undefined));
  for (const [i, p] of points.entries()) {
    if (names.has(p.name)) fail(`points[${i}].name`, 'a unique name', p.name);
    names.add(p.name);
    if (sunspec && p.address + registerCount(p.type) > sunspec.minLength + 2) fail(`points[${i}].address`, `an offset inside the model (L >= ${sunspec.minLength})`, p.address);
  }
  return { id, description, sentinels: t.sentinels, maxHoleFill, maxRegisters, ...(sunspec ? { sunspec } : {}), ...(t.rating !== undefined ? { rating: { ...(t.rating as Rating) } } : {}), points };
}

function validatePoint(x: unknown, f: string, _sunspec: boolean): TemplatePoint {
  if (typeof x !== 'object' || x === null) fail(f, 'object', x);
  const p = x as Record<string, unknown>;
  const name = str(p.name, `${f}.name`);
  const quantity = str(p.quantity, `${f}.quantity`);
  const info = quantityInfo(quantity);
  if (!info) fail(`${f}.quantity`, 'a code of @lightnode/shared/quantities', quantity);
  const functionCode = p.functionCode;
  if (functionCode !== 3 && functionCode !== 4) fail(`${f}.functionCode`, '3 or 4', functionCode);
  const address = int(p.address, `${f}.address`, 0, 0xffff);
  if (!REGISTER_TYPES.includes(p.type as RegisterType) || p.type === 'sunssf') fail(`${f}.type`, 'int16|uint16|int32|uint32|acc32|float32', p.type);
  const type = p.type as RegisterType;
  if (!WORD_ORDERS.includes(p.wordOrder as WordOrder)) fail(`${f}.wordOrder`, 'ABCD|CDAB|BADC|DCBA', p.wordOrder);
  const unit = str(p.unit, `${f}.unit`);
  if (unit !== info.unit) fail(`${f}.unit`, `${info.unit} (unit of ${quantity})`, unit);
  const out: TemplatePoint = {
    name,
    quantity,
    functionCode,
    address,
    type,
    wordOrder: p.wordOrder as WordOrder,
    sourceUnit: str(p.sourceUnit, `${f}.sourceUnit`),
    unit,
    multiplier: finite(p.multiplier, `${f}.multiplier`),
  };
  if (out.multiplier === 0) fail(`${f}.multiplier`, 'a non-zero number', 0);
  if (p.scaleFactorAddress !== undefined) {
    out.scaleFactorAddress = int(p.scaleFactorAddress, `${f}.scaleFactorAddress`, 0, 0xffff);
  }
  if (p.min !== undefined) out.min = finite(p.min, `${f}.min`);
  if (p.max !== undefined) out.max = finite(p.max, `${f}.max`);
  if (out.min !== undefined && out.max !== undefined && out.min > out.max) fail(`${f}.max`, `>= min ${out.min}`, out.max);
  return out;
}

/** Directory of the shipped templates (edge/templates). */
export const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Loads and validates a template: a shipped id (`sdm630`) or a path to a JSON file. */
export function loadTemplate(idOrPath: string): MeterTemplate {
  const path = /^[a-z0-9-]+$/.test(idOrPath) ? `${TEMPLATE_DIR}${idOrPath}.json` : idOrPath;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    fail('template', `a shipped template id or readable JSON file`, idOrPath);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(`template ${idOrPath}`, 'valid JSON', text.slice(0, 40));
  }
  return validateTemplate(json);
}
