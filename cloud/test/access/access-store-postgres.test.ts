import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { accessStoreContract } from './access-store-contract.js';

// Local PostgreSQL (trust auth, db `test`); the suite uses its own random schema and drops it.
const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_access_test_${randomBytes(6).toString('hex')}`;
accessStoreContract('postgres', {
  open: () => openPostgresStore({ url, schema }),
  destroy: async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
  },
});
