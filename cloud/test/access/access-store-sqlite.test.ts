import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { accessStoreContract } from './access-store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-access-'));
accessStoreContract('sqlite', {
  open: async () => openSqliteStore({ path: join(dir, 'bal.db') }),
  destroy: async () => rmSync(dir, { recursive: true, force: true }),
  rawSql: async (sql) => {
    const db = new Database(join(dir, 'bal.db'));
    try { db.exec(sql); } finally { db.close(); }
  },
});
