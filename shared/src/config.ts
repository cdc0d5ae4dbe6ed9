/**
 * The config validator of every component (DESIGN §8): one JSON object, validated once at start
 * against the component's schema (config-schema.ts), defaults filled in, environment overrides
 * applied (config-env.ts), and any problem reported as `CONFIG_INVALID` naming the field path,
 * what was expected and what was found. Unknown fields are refused (a typo must not silently
 * fall back to a default); a top-level `$schema` (an editor hint) is allowed.
 */
import { LightNodeError, ValidationError, describe } from './errors.js';
import { describeExpected, type ConfigOf, type FieldSpec, type Schema } from './config-schema.js';
import { applyEnvOverrides, assertUniqueEnvNames, envFields } from './config-env.js';

export type { ConfigOf, FieldSpec, Schema } from './config-schema.js';

const CODE = 'CONFIG_INVALID';
const SECRET_FOUND = 'a value (not shown)';

/** A component's config: its name (README marker), env prefix and schema. */
export interface ConfigDef<S extends Schema = Schema> { readonly name: string; readonly envPrefix: string; readonly schema: S }

/** Declare a component's config; throws CONFIG_SCHEMA when two fields would share an env variable. */
export function defineConfig<const S extends Schema>(name: string, envPrefix: string, schema: S): ConfigDef<S> {
  assertUniqueEnvNames(schema, envPrefix);
  return { name, envPrefix, schema };
}

function check(f: FieldSpec, v: unknown, path: string): unknown {
  // A secret's value never reaches an error message or a log line.
  const fail = (): never => { throw new ValidationError(CODE, path, describeExpected(f), f.secret ? SECRET_FOUND : v); };
  if (v === null && f.nullable) return null;
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string' || v.length < (f.minLength ?? 1) || (f.enum && !f.enum.includes(v)) || (f.pattern && !f.pattern.test(v))) fail();
      return v;
    case 'integer':
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v) || (f.type === 'integer' && !Number.isSafeInteger(v))) fail();
      if ((f.min !== undefined && (v as number) < f.min) || (f.max !== undefined && (v as number) > f.max) || (f.enum && !f.enum.includes(v as number))) fail();
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') fail();
      return v;
    case 'object':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail();
      return checkObject(f.fields, v as Record<string, unknown>, `${path}.`, f.additionalDoc !== undefined);
    case 'array':
      if (!Array.isArray(v) || v.length < (f.minItems ?? 0) || v.length > (f.maxItems ?? Infinity)) fail();
      return (v as unknown[]).map((x, i) => check(f.items, x, `${path}[${i}]`));
  }
}

function checkObject(schema: Schema, obj: Record<string, unknown>, prefix: string, open = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    if (Object.hasOwn(schema, k) || (prefix === '' && k === '$schema')) continue;
    if (!open) throw new ValidationError(CODE, `${prefix}${k}`, `no such field (known: ${Object.keys(schema).join(', ')})`, obj[k]);
    out[k] = obj[k]; // an open object hands the rest to its consumer, which validates it
  }
  for (const [k, f] of Object.entries(schema)) {
    let v = obj[k];
    if (v === null && f.optional && !f.nullable) v = undefined;
    if (v === undefined && f.type === 'object' && !f.optional && !f.required) v = {}; // nested defaults fill in
    if (v === undefined) {
      if (f.default !== undefined) v = structuredClone(f.default);
      else if (f.optional) continue;
      else throw new ValidationError(CODE, `${prefix}${k}`, `${describeExpected(f)} (required)`, undefined);
    }
    out[k] = check(f, v, `${prefix}${k}`);
  }
  return out;
}

/** Options of parseConfig: `env` + `envPrefix` enable the environment overrides. */
export interface ParseOptions { env?: Record<string, string | undefined>; envPrefix?: string }

/**
 * Validate `input` (a parsed config file, `{}` when there is none) against `schema`, after
 * applying environment overrides `${envPrefix}_…` from `env`. Returns a fresh object with
 * defaults filled in. Throws `CONFIG_INVALID` naming the field.
 */
export function parseConfig<S extends Schema>(schema: S, input: unknown, opts: ParseOptions = {}): ConfigOf<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ValidationError(CODE, 'config', 'object', input);
  let obj = input as Record<string, unknown>;
  if (opts.envPrefix) {
    for (const f of envFields(schema, opts.envPrefix)) {
      if (f.field.env !== 'only') continue;
      const found = f.segments.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
      if (found !== undefined) throw new ValidationError(CODE, f.path, `absent from the file (set ${f.name} in the environment)`, f.field.secret ? SECRET_FOUND : found);
    }
    if (opts.env) obj = applyEnvOverrides(schema, opts.envPrefix, obj, opts.env);
  }
  return checkObject(schema, obj, '') as ConfigOf<S>;
}

/** parseConfig with a ConfigDef: its schema and env prefix. */
export function parseConfigOf<S extends Schema>(def: ConfigDef<S>, input: unknown, env?: Record<string, string | undefined>): ConfigOf<S> {
  return parseConfig(def.schema, input, { envPrefix: def.envPrefix, ...(env ? { env } : {}) });
}

/** Like parseConfig, from the file's text (JSON). `source` names the file in errors. */
export function parseConfigText<S extends Schema>(schema: S, text: string, opts: ParseOptions & { source?: string } = {}): ConfigOf<S> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new LightNodeError(CODE, `${opts.source ?? 'config'}: not valid JSON (${(e as Error).message})`, { field: opts.source ?? 'config', expected: 'JSON', found: describe(text) }, { cause: e });
  }
  return parseConfig(schema, input, opts);
}
