/**
 * Config schemas as data (DESIGN §8): each component declares every field of its config file
 * once — type, bounds, unit, default, one line of doc, whether it is a secret and whether the
 * environment may set it. The validator (config.ts), the environment overrides (config-env.ts),
 * the README tables (config-table.ts) and the TypeScript type (`ConfigOf`) all read this one
 * declaration, so they cannot drift apart.
 */

interface Common<T> {
  /** One line for humans (the README table's "meaning"). */
  doc: string;
  /** Used when the field is absent. A field with neither default nor `optional` is required. */
  default?: T;
  /** README text for a default computed elsewhere (e.g. `ln-<pod>`), when there is no `default`. */
  defaultDoc?: string;
  /** Absent (or null) → `undefined` instead of an error. */
  optional?: true;
  /** `null` is a value of its own (kept as null, distinct from absent). */
  nullable?: true;
  /** A credential: its value is never shown in an error message or a README table. */
  secret?: true;
  /**
   * The environment may set it (config-env.ts: `<PREFIX>_<PATH>`); `'only'` = the environment is
   * its only source and the file may not hold it (keys that must never sit in a file).
   */
  env?: true | 'only';
}
export type FieldSpec =
  | (Common<string> & { type: 'string'; enum?: readonly string[]; pattern?: RegExp; minLength?: number; unit?: string; expected?: string })
  | (Common<number> & { type: 'integer' | 'number'; min?: number; max?: number; unit?: string; enum?: readonly number[] })
  | (Common<boolean> & { type: 'boolean' })
  | (Common<never> & { type: 'object'; fields: Schema; required?: true; additionalDoc?: string })
  | (Common<unknown[]> & { type: 'array'; items: FieldSpec; minItems?: number; maxItems?: number });
export type Schema = { readonly [name: string]: FieldSpec };

type Base<F> =
  F extends { type: 'string'; enum: readonly (infer E)[] } ? E
  : F extends { type: 'string' } ? string
  : F extends { type: 'integer' | 'number'; enum: readonly (infer E)[] } ? E
  : F extends { type: 'integer' | 'number' } ? number
  : F extends { type: 'boolean' } ? boolean
  : F extends { type: 'object'; fields: infer S; additionalDoc: string } ? ConfigOf<S> & { [extra: string]: unknown }
  : F extends { type: 'object'; fields: infer S } ? ConfigOf<S>
  : F extends { type: 'array'; items: infer I } ? Value<I>[]
  : never;
type Value<F> = F extends { nullable: true } ? Base<F> | null : Base<F>;
/** The validated config type of a schema (what `parseConfig` returns). */
export type ConfigOf<S> = {
  -readonly [K in keyof S]: S[K] extends { optional: true } ? Value<S[K]> | undefined : Value<S[K]>;
};

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` ${min}..${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

/** What a field accepts, in words: the "expected" of a CONFIG_INVALID message and the README's type column (the unit has a column of its own). */
export function describeExpected(f: FieldSpec): string {
  switch (f.type) {
    case 'string':
      if (f.expected) return f.expected;
      if (f.enum) return f.enum.map((e) => JSON.stringify(e)).join(' | ');
      if (f.pattern) return `string matching ${f.pattern}`;
      return (f.minLength ?? 1) > 0 ? 'non-empty string' : 'string';
    case 'integer':
    case 'number':
      if (f.enum) return f.enum.join(' | ');
      return `${f.type}${range(f.min, f.max)}`;
    case 'boolean': return 'boolean';
    case 'object': return 'object';
    case 'array': return `array of ${describeExpected(f.items)}`;
  }
}

/** One field of a schema with its dotted path (arrays add `[]`), depth first, objects before their fields. */
export interface SchemaEntry { path: string; segments: readonly string[]; field: FieldSpec; inArray: boolean }

/** Every field of a schema, depth first (the order of the README table). */
export function schemaEntries(schema: Schema, prefix: readonly string[] = [], inArray = false): SchemaEntry[] {
  return Object.entries(schema).flatMap(([k, f]) => {
    const segments = [...prefix, k];
    const path = segments.join('.').replace(/\.\[\]/g, '[]');
    const own: SchemaEntry = { path, segments, field: f, inArray };
    if (f.type === 'object') return [own, ...schemaEntries(f.fields, segments, inArray)];
    if (f.type === 'array' && f.items.type === 'object') return [own, ...schemaEntries(f.items.fields, [...segments, '[]'], true)];
    return [own];
  });
}
