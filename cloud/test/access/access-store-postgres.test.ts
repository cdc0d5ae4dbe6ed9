import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { accessStoreContract } from './access-store-contract.js';

// Local PostgreSQL (trust auth, db `test`); the suite uses its own random schema and drops it.
const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_access_test_${randomBytes(6).toString('hex')}`;
async function withClient(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await c.connect();
  try { await fn(c); } finally { await c.end(); }
}

accessStoreContract('postgres', {
  open: () => openPostgresStore({ url, schema }),
  destroy: () => withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)),
  rawSql: (sql) => withClient((c) => c.query(sql)),
});
