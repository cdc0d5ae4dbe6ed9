/**
 * The README table of an error-code catalogue (one row per code, sorted), and its place between
 * `<!-- error-codes:begin -->` and `<!-- error-codes:end -->`. Generated so the tables cannot
 * drift from the catalogues (shared/test/error-catalogue.test.ts; regenerate with
 * `node --import tsx scripts/src/error-tables.ts`).
 */
import { LightNodeError } from './errors.js';

export const ERROR_TABLE_BEGIN = '<!-- error-codes:begin -->';
export const ERROR_TABLE_END = '<!-- error-codes:end -->';

/** Markdown table `| code | meaning |` of a catalogue, codes sorted. */
export function errorCodeTable(codes: Readonly<Record<string, string>>): string {
  const rows = Object.entries(codes).sort(([a], [b]) => a.localeCompare(b)).map(([code, meaning]) => `| \`${code}\` | ${meaning.replace(/\|/g, '\\|')} |`);
  return ['| code | meaning |', '|---|---|', ...rows].join('\n');
}

/** The table currently between the markers of `readme`, or null when the markers are missing. */
export function readmeErrorTable(readme: string): string | null {
  const m = new RegExp(`${ERROR_TABLE_BEGIN}\\n([\\s\\S]*?)\\n${ERROR_TABLE_END}`).exec(readme);
  return m ? m[1]! : null;
}

/** `readme` with `table` put between the markers. Throws CONFIG_TABLE_MARKERS when they are missing. */
export function withErrorTable(readme: string, table: string): string {
  const start = readme.indexOf(ERROR_TABLE_BEGIN);
  const end = start < 0 ? -1 : readme.indexOf(ERROR_TABLE_END, start);
  if (end < 0) throw new LightNodeError('CONFIG_TABLE_MARKERS', `no ${ERROR_TABLE_BEGIN} … ${ERROR_TABLE_END} in the README`);
  return `${readme.slice(0, start + ERROR_TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}
