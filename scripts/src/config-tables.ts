/**
 * Regenerates the configuration tables of the package READMEs from the config schemas
 * (between `<!-- config-table:<name> -->` and `<!-- /config-table -->`). Each package has a test
 * that fails when its README table drifts from its schema; this script is the fix:
 *
 *   node --import tsx scripts/src/config-tables.ts           rewrite the tables
 *   node --import tsx scripts/src/config-tables.ts --check   exit 1 listing the READMEs that differ
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConfigDef } from '@lightnode/shared/config';
import { configTable, readmeConfigTable, withConfigTable } from '@lightnode/shared/config-table';
import { EDGE_CONFIG } from '@lightnode/edge/config-schema';
import { BAL_CONFIG } from '@lightnode/cloud/config-schema';
import { LAB_CONFIG } from '@lightnode/hardware-sim/lab-config';

const root = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Every README table and the schema it is generated from. */
export const CONFIG_TABLES: readonly { readme: string; def: ConfigDef }[] = [
  { readme: 'edge/README.md', def: EDGE_CONFIG },
  { readme: 'cloud/README.md', def: BAL_CONFIG },
  { readme: 'hardware-sim/README.md', def: LAB_CONFIG },
];

function main(check: boolean): number {
  const stale: string[] = [];
  for (const { readme, def } of CONFIG_TABLES) {
    const text = readFileSync(root(readme), 'utf8');
    const table = configTable(def);
    if (readmeConfigTable(text, def.name) === table) continue;
    stale.push(readme);
    if (!check) writeFileSync(root(readme), withConfigTable(text, def.name, table));
  }
  if (check && stale.length > 0) process.stderr.write(`config tables out of date: ${stale.join(', ')}\n`);
  else if (!check) process.stdout.write(stale.length ? `rewrote ${stale.join(', ')}\n` : 'config tables up to date\n');
  return check && stale.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.includes('--check'));
