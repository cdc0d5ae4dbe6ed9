import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { storeContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-store-'));
storeContract('sqlite', {
  open: async () => openSqliteStore({ path: join(dir, 'sub', 'bal.db') }),
  destroy: async () => rmSync(dir, { recursive: true, force: true }),
});
