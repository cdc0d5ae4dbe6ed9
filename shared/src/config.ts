/**
 * A tiny schema validator for component config files (DESIGN §8): one JSON object, validated
 * once at start, defaults filled in, environment overrides applied, and any problem reported as
 * `CONFIG_INVALID` naming the field path, what was expected and what was found.
 *
 * Environment overrides: `${PREFIX}_${PATH}` where the path's camelCase names become
 * UPPER_SNAKE and nesting is `__`: with prefix `LIGHTNODE`, `mqtt.keepaliveSec` is
 * `LIGHTNODE_MQTT__KEEPALIVE_SEC`. Scalars parse by the field's type; arrays and objects take JSON.
 * Unknown fields are refused (a typo must not silently fall back to a default).
 */
import { LightNodeError, ValidationError, describe } from './errors.js';

interface Common<T> {
  /** One line for humans (shown in READMEs via describeSchema). */
  doc: string;
  /** Used when the field is absent. A field with neither default nor `optional` is required. */
  default?: T;
  /** Absent → `undefined` instead of an error. */
  optional?: true;
}
export type FieldSpec =
  | (Common<string> & { type: 'string'; enum?: readonly string[]; pattern?: RegExp; minLength?: number })
  | (Common<number> & { type: 'integer' | 'number'; min?: number; max?: number; unit?: string })
  | (Common<boolean> & { type: 'boolean' })
  | (Common<never> & { type: 'object'; fields: Schema })
  | (Common<unknown[]> & { type: 'array'; items: FieldSpec; minItems?: number; maxItems?: number });
export type Schema = { readonly [name: string]: FieldSpec };

type Value<F> =
  F extends { type: 'string'; enum: readonly (infer E)[] } ? E
  : F extends { type: 'string' } ? string
  : F extends { type: 'integer' | 'number' } ? number
  : F extends { type: 'boolean' } ? boolean
  : F extends { type: 'object'; fields: infer S } ? ConfigOf<S>
  : F extends { type: 'array'; items: infer I } ? Value<I>[]
  : never;
/** The validated config type of a schema. */
export type ConfigOf<S> = {
  -readonly [K in keyof S]: S[K] extends { optional: true } ? Value<S[K]> | undefined : Value<S[K]>;
};

const CODE = 'CONFIG_INVALID';

/** `keepaliveSec` → `KEEPALIVE_SEC`. */
export function envName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function expectedOf(f: FieldSpec): string {
  switch (f.type) {
    case 'string': return f.enum ? f.enum.map((e) => JSON.stringify(e)).join(' | ') : f.pattern ? `a string matching ${f.pattern}` : 'a string';
    case 'integer':
    case 'number': {
      const range = f.min !== undefined || f.max !== undefined ? ` in ${f.min ?? '-∞'}..${f.max ?? '∞'}` : '';
      return `${f.type === 'integer' ? 'an integer' : 'a number'}${range}${f.unit ? ` (${f.unit})` : ''}`;
    }
    case 'boolean': return 'true or false';
    case 'object': return 'an object';
    case 'array': return `an array of ${expectedOf(f.items)}`;
  }
}

function check(f: FieldSpec, v: unknown, path: string): unknown {
  const fail = (): never => { throw new ValidationError(CODE, path, expectedOf(f), v); };
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string' || (f.enum && !f.enum.includes(v)) || (f.pattern && !f.pattern.test(v)) || v.length < (f.minLength ?? 0)) fail();
      return v;
    case 'integer':
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v) || (f.type === 'integer' && !Number.isSafeInteger(v))) fail();
      if ((f.min !== undefined && (v as number) < f.min) || (f.max !== undefined && (v as number) > f.max)) fail();
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') fail();
      return v;
    case 'object':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail();
      return checkObject(f.fields, v as Record<string, unknown>, `${path}.`);
    case 'array':
      if (!Array.isArray(v) || v.length < (f.minItems ?? 0) || v.length > (f.maxItems ?? Infinity)) fail();
      return (v as unknown[]).map((x, i) => check(f.items, x, `${path}[${i}]`));
  }
}

function checkObject(schema: Schema, obj: Record<string, unknown>, prefix: string): Record<string, unknown> {
  for (const k of Object.keys(obj)) if (!Object.hasOwn(schema, k)) throw new ValidationError(CODE, `${prefix}${k}`, `no such field (known: ${Object.keys(schema).join(', ')})`, obj[k]);
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(schema)) {
    let v = obj[k];
    if (v === undefined && f.type === 'object' && !f.optional) v = {}; // nested defaults fill in
    if (v === undefined) {
      if (f.default !== undefined) v = structuredClone(f.default);
      else if (f.optional) continue;
      else throw new ValidationError(CODE, `${prefix}${k}`, `${expectedOf(f)} (required)`, undefined);
    }
    out[k] = check(f, v, `${prefix}${k}`);
  }
  return out;
}

function parseEnvValue(f: FieldSpec, raw: string, name: string, path: string): unknown {
  const bad = (): never => { throw new LightNodeError(CODE, `${name} (${path}): expected ${expectedOf(f)}, found ${describe(raw)}`, { field: path, env: name, expected: expectedOf(f), found: describe(raw) }); };
  switch (f.type) {
    case 'string': return raw;
    case 'integer':
    case 'number': return raw.trim() === '' || !Number.isFinite(Number(raw)) ? bad() : Number(raw);
    case 'boolean': return ['true', '1', 'yes'].includes(raw.toLowerCase()) ? true : ['false', '0', 'no'].includes(raw.toLowerCase()) ? false : bad();
    default:
      try { return JSON.parse(raw); } catch { return bad(); }
  }
}

function applyEnv(schema: Schema, obj: Record<string, unknown>, env: Record<string, string | undefined>, envPrefix: string, pathPrefix: string): void {
  for (const [k, f] of Object.entries(schema)) {
    const name = `${envPrefix}${envName(k)}`;
    const path = `${pathPrefix}${k}`;
    const raw = env[name];
    if (raw !== undefined) obj[k] = parseEnvValue(f, raw, name, path);
    else if (f.type === 'object') {
      const child = obj[k];
      const nestedSet = Object.keys(env).some((e) => e.startsWith(`${name}__`) && env[e] !== undefined);
      if (!nestedSet) continue;
      if (child !== undefined && (typeof child !== 'object' || child === null || Array.isArray(child))) continue; // reported by check()
      const copy = { ...((child as Record<string, unknown>) ?? {}) };
      applyEnv(f.fields, copy, env, `${name}__`, `${path}.`);
      obj[k] = copy;
    }
  }
}

/**
 * Validate `input` (a parsed config file, `{}` when there is none) against `schema`, after
 * applying environment overrides `${envPrefix}_…` from `env`. Returns a fresh object with
 * defaults filled in. Throws `CONFIG_INVALID` naming the field.
 */
export function parseConfig<S extends Schema>(schema: S, input: unknown, opts: { env?: Record<string, string | undefined>; envPrefix?: string } = {}): ConfigOf<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ValidationError(CODE, 'config', 'a JSON object', input);
  const obj = { ...(input as Record<string, unknown>) };
  if (opts.env && opts.envPrefix) applyEnv(schema, obj, opts.env, `${opts.envPrefix}_`, '');
  return checkObject(schema, obj, '') as ConfigOf<S>;
}

/** Like parseConfig, from the file's text (JSON). `source` names the file in errors. */
export function parseConfigText<S extends Schema>(schema: S, text: string, opts: { env?: Record<string, string | undefined>; envPrefix?: string; source?: string } = {}): ConfigOf<S> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new LightNodeError(CODE, `${opts.source ?? 'config'}: not valid JSON (${(e as Error).message})`, { field: opts.source ?? 'config', expected: 'JSON' }, { cause: e });
  }
  return parseConfig(schema, input, opts);
}

/** One row per field (path, type, unit, default, env name, doc), e.g. for a README table. */
export function describeSchema(schema: Schema, envPrefix = '', prefix = ''): { path: string; type: string; unit: string; default: string; env: string; doc: string }[] {
  return Object.entries(schema).flatMap(([k, f]) => {
    const env = envPrefix ? `${envPrefix}_${envName(k)}` : '';
    const row = {
      path: `${prefix}${k}`, type: expectedOf(f), unit: (f.type === 'integer' || f.type === 'number') && f.unit ? f.unit : '',
      default: f.default !== undefined ? JSON.stringify(f.default) : f.optional || f.type === 'object' ? '' : '(required)', env, doc: f.doc,
    };
    return f.type === 'object' ? [row, ...describeSchema(f.fields, env ? `${env}_` : '', `${prefix}${k}.`)] : [row];
  });
}
