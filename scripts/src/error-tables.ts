/**
 * Regenerates the error-code tables of the package READMEs from the per-package catalogues
 * (between `<!-- error-codes:begin -->` and `<!-- error-codes:end -->`). The catalogue test
 * (shared/test/error-catalogue.test.ts) fails when a table drifts; this script is the fix:
 *
 *   node --import tsx scripts/src/error-tables.ts           rewrite the tables
 *   node --import tsx scripts/src/error-tables.ts --check   exit 1 listing the READMEs that differ
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorCodeTable, readmeErrorTable, withErrorTable } from '@lightnode/shared/error-table';
import { EDGE_ERRORS } from '@lightnode/edge/error-codes';
import { BAL_ERRORS } from '@lightnode/cloud/error-codes';
import { SIM_ERRORS } from '@lightnode/hardware-sim/error-codes';
import { CONTRACTS_ERRORS } from '@lightnode/contracts/error-codes';

const root = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Every generated README error table and the catalogue it comes from. */
export const ERROR_TABLES: readonly { readme: string; codes: Readonly<Record<string, string>> }[] = [
  { readme: 'edge/README.md', codes: EDGE_ERRORS },
  { readme: 'cloud/README.md', codes: BAL_ERRORS },
  { readme: 'hardware-sim/README.md', codes: SIM_ERRORS },
  { readme: 'contracts/README.md', codes: CONTRACTS_ERRORS },
];

function main(check: boolean): number {
  const stale: string[] = [];
  for (const { readme, codes } of ERROR_TABLES) {
    const text = readFileSync(root(readme), 'utf8');
    const table = errorCodeTable(codes);
    if (readmeErrorTable(text) === table) continue;
    stale.push(readme);
    if (!check) writeFileSync(root(readme), withErrorTable(text, table));
  }
  for (const r of stale) process.stdout.write(`${check ? 'stale' : 'rewrote'} ${r}\n`);
  return check && stale.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.includes('--check'));
