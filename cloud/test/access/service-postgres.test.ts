// The data-access service suite (service-suite.ts) on PostgreSQL (local, trust auth, db `test`,
// a random schema of its own, dropped at the end), anvil and the embedded broker.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { serviceSuite } from './service-suite.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_access_service_${randomBytes(6).toString('hex')}`;

serviceSuite('postgres', {
  open: () => openPostgresStore({ url, schema }),
  async destroy() {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
  },
});
