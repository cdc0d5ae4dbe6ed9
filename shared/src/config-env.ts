/**
 * The one environment-override convention of every component (DESIGN §8):
 *
 *   `<PREFIX>_<PATH>`, where PATH is the field's dotted path with each camelCase name in
 *   UPPER_SNAKE and the segments joined by `_`.
 *
 * With prefix `LIGHTNODE`, `mqtt.password` is `LIGHTNODE_MQTT_PASSWORD`; with `BAL`, `store.url` is
 * `BAL_STORE_URL`; with `SIM`, `timeAcceleration` is `SIM_TIME_ACCELERATION`. Only fields the
 * schema marks `env` are read (others with the prefix are ignored: the prefix is shared with
 * non-config variables such as `LIGHTNODE_CONFIG`); `defineConfig` refuses a schema in which two
 * such fields would get the same name, so a name always means one field. An empty variable
 * counts as unset (systemd `Environment=X=` and compose `${X:-}` must not blank a setting).
 * Scalars parse by the field's type; arrays and objects take JSON. Fields inside arrays have no
 * variable.
 */
import { LightNodeError, describe } from './errors.js';
import { describeExpected, schemaEntries, type FieldSpec, type Schema } from './config-schema.js';

const CODE = 'CONFIG_INVALID';

/** `keepaliveSec` → `KEEPALIVE_SEC`. */
export function envName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The variable for a field path: `envVarName('BAL', ['store', 'url'])` → `BAL_STORE_URL`. */
export function envVarName(prefix: string, segments: readonly string[]): string {
  return [prefix, ...segments.map(envName)].join('_');
}

/** One env-settable field: its variable, dotted path and spec. */
export interface EnvField { name: string; path: string; segments: readonly string[]; field: FieldSpec }

/** The env-settable fields of a schema, in schema order. */
export function envFields(schema: Schema, prefix: string): EnvField[] {
  return schemaEntries(schema)
    .filter((e) => e.field.env !== undefined && !e.inArray)
    .map((e) => ({ name: envVarName(prefix, e.segments), path: e.path, segments: e.segments, field: e.field }));
}

/** Throws CONFIG_SCHEMA when two env-settable fields of `schema` map to one variable (a schema bug). */
export function assertUniqueEnvNames(schema: Schema, prefix: string): void {
  const seen = new Map<string, string>();
  for (const f of envFields(schema, prefix)) {
    const other = seen.get(f.name);
    if (other !== undefined) throw new LightNodeError('CONFIG_SCHEMA', `${f.name} would name both ${other} and ${f.path}`, { env: f.name, fields: [other, f.path] });
    seen.set(f.name, f.path);
  }
}

function parseEnvValue(f: FieldSpec, raw: string, name: string, path: string): unknown {
  const bad = (): never => {
    const expected = describeExpected(f);
    const found = f.secret ? 'a value (not shown)' : describe(raw); // a secret never reaches a message
    throw new LightNodeError(CODE, `${name} (${path}): expected ${expected}, found ${found}`, { field: path, env: name, expected, found });
  };
  switch (f.type) {
    case 'string': return raw;
    case 'integer':
    case 'number': return raw.trim() === '' || !Number.isFinite(Number(raw)) ? bad() : Number(raw);
    case 'boolean': return ['true', '1', 'yes'].includes(raw.toLowerCase()) ? true : ['false', '0', 'no'].includes(raw.toLowerCase()) ? false : bad();
    default:
      try { return JSON.parse(raw); } catch { return bad(); }
  }
}

/**
 * A copy of `input` (a parsed, not yet validated config object) with the schema's env-settable
 * fields set from `env`. Intermediate objects are created as needed; a non-object in the way is
 * left for validation to report. Throws CONFIG_INVALID naming the variable and the field.
 */
export function applyEnvOverrides(schema: Schema, prefix: string, input: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, unknown> {
  const out = structuredClone(input);
  for (const f of envFields(schema, prefix)) {
    const raw = env[f.name];
    if (raw === undefined || raw === '') continue;
    const value = parseEnvValue(f.field, raw, f.name, f.path);
    let cur: Record<string, unknown> = out;
    let blocked = false;
    for (const seg of f.segments.slice(0, -1)) {
      const next = cur[seg] ?? (cur[seg] = {});
      if (typeof next !== 'object' || next === null || Array.isArray(next)) { blocked = true; break; }
      cur = next as Record<string, unknown>;
    }
    if (!blocked) cur[f.segments[f.segments.length - 1]!] = value;
  }
  return out;
}
