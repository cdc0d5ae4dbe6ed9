// The data-access service suite (service-suite.ts) on a SQLite file, anvil and the embedded broker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { serviceSuite } from './service-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-access-service-'));
serviceSuite('sqlite', {
  open: async () => openSqliteStore({ path: join(dir, 'bal.db') }),
  destroy: async () => rmSync(dir, { recursive: true, force: true }),
});
