import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { retentionSuite } from './retention-suite.js';

// Local PostgreSQL (trust auth, db `test`); its own random schema, dropped after the suite.
const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_retention_${randomBytes(6).toString('hex')}`;
retentionSuite('postgres', {
  open: () => openPostgresStore({ url, schema }),
  storeConfig: { kind: 'postgres', url, schema },
  childArgs: ['postgres', url, schema],
  destroy: async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
  },
});
