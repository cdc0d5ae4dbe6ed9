/**
 * The README table of an error-code catalogue (one row per code, sorted), and its place between
 * `<!-- error-codes:begin -->` and `<!-- error-codes:end -->`. Generated so the tables cannot
 * drift from the catalogues (shared/test/error-catalogue.test.ts; regenerate with
 * `node --import tsx scripts/src/readme-tables.ts`).
 */
import { readmeBlock, withReadmeBlock } from './readme-block.js';

export const ERROR_TABLE_BEGIN = '<!-- error-codes:begin -->';
export const ERROR_TABLE_END = '<!-- error-codes:end -->';

/** Markdown table `| code | meaning |` of a catalogue, codes sorted. */
export function errorCodeTable(codes: Readonly<Record<string, string>>): string {
  const rows = Object.entries(codes).sort(([a], [b]) => a.localeCompare(b)).map(([code, meaning]) => `| \`${code}\` | ${meaning.replace(/\|/g, '\\|')} |`);
  return ['| code | meaning |', '|---|---|', ...rows].join('\n');
}

/** The table currently between the markers of `readme`, or undefined when the markers are missing. */
export function readmeErrorTable(readme: string): string | undefined {
  return readmeBlock(readme, `${ERROR_TABLE_BEGIN}\n`, `\n${ERROR_TABLE_END}`);
}

/** `readme` with `table` put between the markers. Throws CONFIG_TABLE_MARKERS when they are missing. */
export function withErrorTable(readme: string, table: string): string {
  return withReadmeBlock(readme, `${ERROR_TABLE_BEGIN}\n`, `\n${ERROR_TABLE_END}`, table);
}
