/**
 * Small field readers for config validation (validate once, at the boundary, fail closed):
 * each names the field path, what was expected and what arrived (ValidationError CONFIG_INVALID).
 */
import { ValidationError } from '@lightnode/shared/errors';

export type Obj = Record<string, unknown>;

const fail = (field: string, expected: string, found: unknown): never => {
  throw new ValidationError('CONFIG_INVALID', field, expected, found);
};

/** An object (or `{}` when absent and `optional`). */
export function obj(o: Obj, key: string, path: string, optional = true): Obj {
  const v = o[key];
  if (v === undefined && optional) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(`${path}${key}`, 'an object', v);
  return v as Obj;
}

/** A string matching `re` (default: non-empty). */
export function str(o: Obj, key: string, path: string, def?: string, re: RegExp = /./): string {
  const v = o[key];
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'string' || !re.test(v)) return fail(`${path}${key}`, `a string matching ${re}`, v);
  return v;
}

/** An optional string (undefined when absent). */
export function optStr(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0) return fail(`${path}${key}`, 'a non-empty string', v);
  return v;
}

/** An integer in [min, max]. */
export function int(o: Obj, key: string, path: string, def: number | undefined, min: number, max: number): number {
  const v = o[key];
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) return fail(`${path}${key}`, `an integer ${min}..${max}`, v);
  return v;
}

/** A boolean. */
export function bool(o: Obj, key: string, path: string, def: boolean): boolean {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') return fail(`${path}${key}`, 'true or false', v);
  return v;
}

/** One of the given string values. */
export function oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[], def?: T): T {
  const v = o[key];
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) return fail(`${path}${key}`, `one of ${values.join('|')}`, v);
  return v as T;
}

/** One of the given numbers. */
export function oneOfNum<T extends number>(o: Obj, key: string, path: string, values: readonly T[], def: T): T {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !(values as readonly number[]).includes(v)) return fail(`${path}${key}`, `one of ${values.join('|')}`, v);
  return v as T;
}

/** Refuse keys the schema does not know (typos must not be silently ignored). */
export function known(o: Obj, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${path}${k}`, `a known field (${keys.join(', ')})`, o[k]);
}

export { fail as configFail };
