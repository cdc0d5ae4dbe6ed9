// edge/README.md's configuration table is generated from the schema; this fails when it drifts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { configTable, readmeConfigTable } from '@lightnode/shared/config-table';
import { EDGE_CONFIG } from '../../src/config-schema.js';

test('edge/README.md "Configuration" table = the schema (fix: node --import tsx scripts/src/readme-tables.ts)', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.is(readmeConfigTable(readme, 'edge'), configTable(EDGE_CONFIG));
});

test.run();
