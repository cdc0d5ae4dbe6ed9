import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { retentionSuite } from './retention-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-retention-db-'));
const path = join(dir, 'bal.db');
retentionSuite('sqlite', {
  open: async () => openSqliteStore({ path }),
  storeConfig: { kind: 'sqlite', path },
  childArgs: ['sqlite', path],
  destroy: async () => rmSync(dir, { recursive: true, force: true }),
});
