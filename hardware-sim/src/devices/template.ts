/**
 * Device templates: one JSON data file per meter model under `hardware-sim/devices/`
 * (STYLE habit 2: adding a meter adds a file, not code). This module validates them at the
 * boundary; the register engine renders physical state through them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import { SNAPSHOT_UNITS } from '../physics/meter-model.js';

export type WordOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';
export const WORD_ORDERS: readonly WordOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
export type PointType = 'float32' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'acc32' | 'sunssf' | 'string';
const POINT_TYPES: readonly PointType[] = ['float32', 'int16', 'uint16', 'int32', 'uint32', 'acc32', 'sunssf', 'string'];

/** Registers occupied by each type (strings give their own `length`). */
export const TYPE_WORDS: Record<Exclude<PointType, 'string'>, number> = {
  float32: 2, int16: 1, uint16: 1, int32: 2, uint32: 2, acc32: 2, sunssf: 1,
};

export interface PointDef {
  /** Point name, unique in the template (SunSpec names where they exist). */
  name: string;
  /** 3 = holding registers, 4 = input registers. */
  fc: 3 | 4;
  /** PDU address (0-based, as on the wire). */
  address: number;
  type: PointType;
  /** Physical source in the meter snapshot, e.g. `voltage.L1`; absent for constants. */
  source?: string;
  /** Constant value (numbers, or text for `string`). */
  value?: number | string;
  /** Unit of the register value after scaling, e.g. `kWh`; converted from the source's SI unit. */
  unit?: string;
  /** Name of the `sunssf` point holding this point's power-of-ten scale factor. */
  scaleFactor?: string;
  /** Registers of a `string` point. */
  length?: number;
  /** OBIS code of the quantity, for readers (documentation; the simulator does not use it). */
  quantity?: string;
}

export interface RegisterRange { fc: 3 | 4; start: number; count: number }

export interface DeviceTemplate {
  model: string;
  manufacturer: string;
  description: string;
  /** Number of phases of the physical model behind the registers. */
  phases: 1 | 3;
  /** Word order of 32-bit values (default ABCD = most significant word first, big-endian). */
  wordOrder: WordOrder;
  /** Readable register ranges; reads outside them are answered with exception 2. */
  ranges: RegisterRange[];
  points: PointDef[];
}

const UNIT_FACTORS: Record<string, number> = {
  'Wh>kWh': 1e-3, 'varh>kvarh': 1e-3, 'W>kW': 1e-3, 'var>kvar': 1e-3, 'VA>kVA': 1e-3, '1>%': 100,
};

/** Multiplier from the SI unit of `source` to `unit` (throws for unknown pairs). */
export function unitFactor(source: string, unit: string | undefined): number {
  const si = SNAPSHOT_UNITS[source.split('.')[0]!];
  if (si === undefined) throw new LightNodeError('SIM_TEMPLATE_INVALID', `unknown source ${source}`);
  if (unit === undefined || unit === si) return 1;
  const f = UNIT_FACTORS[`${si}>${unit}`];
  if (f === undefined) throw new LightNodeError('SIM_TEMPLATE_INVALID', `cannot convert ${si} to ${unit}`);
  return f;
}

/** Words a point occupies. */
export function pointWords(p: PointDef): number {
  return p.type === 'string' ? p.length ?? 0 : TYPE_WORDS[p.type];
}

function fail(model: string, field: string, expected: string, found: unknown): never {
  throw new ValidationError('SIM_TEMPLATE_INVALID', `${model}.${field}`, expected, found);
}

/** Validates a parsed template file; throws ValidationError `SIM_TEMPLATE_INVALID` naming the field. */
export function validateTemplate(x: unknown, name = 'template'): DeviceTemplate {
  if (typeof x !== 'object' || x === null) fail(name, '', 'object', x);
  const t = x as Record<string, unknown>;
  if (typeof t.model !== 'string') fail(name, 'model', 'string', t.model);
  if (t.phases !== 1 && t.phases !== 3) fail(name, 'phases', '1 or 3', t.phases);
  const wordOrder = t.wordOrder ?? 'ABCD';
  if (!WORD_ORDERS.includes(wordOrder as WordOrder)) fail(name, 'wordOrder', WORD_ORDERS.join('|'), wordOrder);
  if (!Array.isArray(t.ranges) || t.ranges.length === 0) fail(name, 'ranges', 'non-empty array', t.ranges);
  t.ranges.forEach((r: RegisterRange, i) => {
    if ((r?.fc !== 3 && r?.fc !== 4) || !Number.isInteger(r.start) || !Number.isInteger(r.count) || r.count < 1 || r.start + r.count > 65536) {
      fail(name, `ranges[${i}]`, '{fc: 3|4, start, count} within 0..65535', r);
    }
  });
  if (!Array.isArray(t.points)) fail(name, 'points', 'array', t.points);
  const names = new Set<string>();
  const ranges = t.ranges as RegisterRange[];
  (t.points as PointDef[]).forEach((p, i) => {
    const f = `points[${i}]`;
    if (typeof p?.name !== 'string' || names.has(p.name)) fail(name, `${f}.name`, 'unique string', p?.name);
    names.add(p.name);
    if (!POINT_TYPES.includes(p.type)) fail(name, `${f}.type`, POINT_TYPES.join('|'), p.type);
    if (p.fc !== 3 && p.fc !== 4) fail(name, `${f}.fc`, '3 or 4', p.fc);
    const words = pointWords(p);
    if (!Number.isInteger(p.address) || words < 1) fail(name, `${f}.address`, 'integer address and positive length', p.address);
    if (!ranges.some((r) => r.fc === p.fc && p.address >= r.start && p.address + words <= r.start + r.count)) {
      fail(name, `${f}.address`, 'inside a declared range', p.address);
    }
    if ((p.source === undefined) === (p.value === undefined)) fail(name, `${f}`, 'exactly one of source, value', p);
    if (p.source !== undefined) {
      try { unitFactor(p.source, p.unit); } catch (e) { fail(name, `${f}.source`, (e as Error).message, p.source); }
    }
  });
  (t.points as PointDef[]).forEach((p, i) => {
    if (p.scaleFactor !== undefined && !(t.points as PointDef[]).some((q) => q.name === p.scaleFactor && q.type === 'sunssf')) {
      fail(name, `points[${i}].scaleFactor`, 'name of a sunssf point', p.scaleFactor);
    }
  });
  return {
    model: t.model,
    manufacturer: String(t.manufacturer ?? ''),
    description: String(t.description ?? ''),
    phases: t.phases,
    wordOrder: wordOrder as WordOrder,
    ranges,
    points: t.points as PointDef[],
  };
}

/** Directory of the committed device data files. */
export const DEVICES_DIR = fileURLToPath(new URL('../../devices/', import.meta.url));

/** Names of the bundled templates. */
export const BUNDLED_TEMPLATES = ['sdm630', 'sdm120', 'sunspec-meter'] as const;

/**
 * Loads and validates `devices/<name>.json`, or a file when given a path (`./my-meter.json`,
 * `my-meter.json`, `/etc/lab/meter.json`). An unreadable or non-JSON file is SIM_TEMPLATE_INVALID
 * naming the file.
 */
export function loadTemplate(nameOrPath: string): DeviceTemplate {
  const path = nameOrPath.includes('/') || nameOrPath.endsWith('.json') ? nameOrPath : `${DEVICES_DIR}${nameOrPath}.json`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? 'not JSON';
    const known = path === nameOrPath ? '' : ` (bundled: ${BUNDLED_TEMPLATES.join(', ')})`;
    throw new LightNodeError('SIM_TEMPLATE_INVALID', `device data file ${path}: cannot read it (${why})${known}`, { template: nameOrPath, path });
  }
  return validateTemplate(parsed, nameOrPath);
}
