/**
 * README configuration tables generated from a component's schema, so the documentation cannot
 * drift from the validator: `configTable(def)` renders the table, and the package READMEs hold it
 * between `<!-- config-table:<name> -->` and `<!-- /config-table -->`; each package has a test
 * that fails when the README differs (regenerate: `node --import tsx scripts/src/readme-tables.ts`).
 */
import { readmeBlock, withReadmeBlock } from './readme-block.js';
import { describeExpected, schemaEntries, type FieldSpec, type Schema } from './config-schema.js';
import { envVarName } from './config-env.js';
import type { ConfigDef } from './config.js';

/** One row of a config table. */
export interface ConfigRow { path: string; type: string; unit: string; default: string; env: string; doc: string; /** `default` is a value (not prose such as `from file`). */ literal: boolean }

function defaultText(f: FieldSpec): string {
  if (f.default !== undefined) return typeof f.default === 'string' ? f.default : JSON.stringify(f.default);
  if (f.defaultDoc !== undefined) return f.defaultDoc;
  if (f.optional || f.type === 'object') return '';
  return '(required)';
}

/** One row per field (objects before their fields, `path.*` for an open object's extra fields). */
export function describeSchema(schema: Schema, envPrefix = ''): ConfigRow[] {
  return schemaEntries(schema).flatMap((e) => {
    const f = e.field;
    const env = envPrefix && f.env !== undefined && !e.inArray ? envVarName(envPrefix, e.segments) + (f.env === 'only' ? ' (only)' : '') : '';
    const row: ConfigRow = {
      path: e.path, type: describeExpected(f), unit: 'unit' in f && f.unit ? f.unit : '',
      default: defaultText(f), literal: f.default !== undefined, env, doc: f.secret ? `${f.doc} (secret)` : f.doc,
    };
    return f.type === 'object' && f.additionalDoc !== undefined
      ? [row, { path: `${e.path}.*`, type: 'any', unit: '', default: '', literal: false, env: '', doc: f.additionalDoc }]
      : [row];
  });
}

/** A table cell: `|` escaped, and `<` outside code spans as `&lt;` (`ln-<pod>` must not read as an HTML tag). */
const cell = (s: string): string => s.split(/(`[^`]*`)/).map((part) => (part.startsWith('`') ? part : part.replace(/</g, '&lt;'))).join('').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => (s === '' ? '' : `\`${s}\``);

/** The Markdown table of a component's config (field, type, unit, default, env variable, meaning). */
export function configTable(def: ConfigDef): string {
  const lines = ['| field | type | unit | default | env | meaning |', '|---|---|---|---|---|---|'];
  for (const r of describeSchema(def.schema, def.envPrefix)) {
    const env = r.env.endsWith(' (only)') ? `${code(r.env.slice(0, -7))} (only)` : code(r.env);
    lines.push(`| ${code(r.path)} | ${cell(r.type.includes('/') ? code(r.type) : r.type)} | ${cell(r.unit)} | ${cell(r.literal ? code(r.default) : r.default)} | ${env} | ${cell(r.doc)} |`);
  }
  return `${lines.join('\n')}\n`;
}

const open = (name: string): string => `<!-- config-table:${name} -->\n`;
const CLOSE = '<!-- /config-table -->';

/** The table between a README's markers for `name`, or undefined when the markers are missing. */
export function readmeConfigTable(readme: string, name: string): string | undefined {
  return readmeBlock(readme, open(name), CLOSE);
}

/** The README with the table between the markers for `name` replaced. Throws CONFIG_TABLE_MARKERS when they are missing. */
export function withConfigTable(readme: string, name: string, table: string): string {
  return withReadmeBlock(readme, open(name), CLOSE, table);
}
