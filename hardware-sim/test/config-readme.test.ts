// hardware-sim/README.md's configuration table is generated from the schema; this fails when it drifts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { configTable, readmeConfigTable } from '@lightnode/shared/config-table';
import { LAB_CONFIG } from '../src/lab-config.js';

test('hardware-sim/README.md configuration table = the schema (fix: node --import tsx scripts/src/readme-tables.ts)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.is(readmeConfigTable(readme, 'hardware-sim'), configTable(LAB_CONFIG));
});

test.run();
