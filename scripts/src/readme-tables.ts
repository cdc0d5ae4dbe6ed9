/**
 * Regenerates the generated tables of the package READMEs: the configuration tables from the
 * config schemas (between `<!-- config-table:<name> -->` and `<!-- /config-table -->`) and the
 * error-code tables from the per-package catalogues (between `<!-- error-codes:begin -->` and
 * `<!-- error-codes:end -->`). Tests fail when a table drifts (each package's
 * config-readme test, shared/test/error-catalogue.test.ts); this script is the fix:
 *
 *   node --import tsx scripts/src/readme-tables.ts           rewrite the tables
 *   node --import tsx scripts/src/readme-tables.ts --check   exit 1 listing the READMEs that differ
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configTable, readmeConfigTable, withConfigTable } from '@lightnode/shared/config-table';
import { errorCodeTable, readmeErrorTable, withErrorTable } from '@lightnode/shared/error-table';
import { EDGE_CONFIG } from '@lightnode/edge/config-schema';
import { BAL_CONFIG } from '@lightnode/cloud/config-schema';
import { LAB_CONFIG } from '@lightnode/hardware-sim/lab-config';
import { EDGE_ERRORS } from '@lightnode/edge/error-codes';
import { BAL_ERRORS } from '@lightnode/cloud/error-codes';
import { SIM_ERRORS } from '@lightnode/hardware-sim/error-codes';
import { CONTRACTS_ERRORS } from '@lightnode/contracts/error-codes';

const root = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** One generated table: its README, the table as generated, how to read and replace it there. */
interface GeneratedTable { readme: string; table: string; current(text: string): string | undefined; put(text: string, table: string): string }

const configTables = [
  { readme: 'edge/README.md', def: EDGE_CONFIG },
  { readme: 'cloud/README.md', def: BAL_CONFIG },
  { readme: 'hardware-sim/README.md', def: LAB_CONFIG },
].map(({ readme, def }): GeneratedTable => ({
  readme, table: configTable(def), current: (t) => readmeConfigTable(t, def.name), put: (t, table) => withConfigTable(t, def.name, table),
}));

const errorTables = [
  { readme: 'edge/README.md', codes: EDGE_ERRORS },
  { readme: 'cloud/README.md', codes: BAL_ERRORS },
  { readme: 'hardware-sim/README.md', codes: SIM_ERRORS },
  { readme: 'contracts/README.md', codes: CONTRACTS_ERRORS },
].map(({ readme, codes }): GeneratedTable => ({ readme, table: errorCodeTable(codes), current: readmeErrorTable, put: withErrorTable }));

/** Every generated README table. */
export const README_TABLES: readonly GeneratedTable[] = [...configTables, ...errorTables];

function main(check: boolean): number {
  const stale = new Set<string>();
  for (const t of README_TABLES) {
    const text = readFileSync(root(t.readme), 'utf8');
    if (t.current(text) === t.table) continue;
    stale.add(t.readme);
    if (!check) writeFileSync(root(t.readme), t.put(text, t.table));
  }
  if (check && stale.size > 0) process.stderr.write(`README tables out of date: ${[...stale].join(', ')}\n`);
  else if (!check) process.stdout.write(stale.size ? `rewrote ${[...stale].join(', ')}\n` : 'README tables up to date\n');
  return check && stale.size > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.includes('--check'));
