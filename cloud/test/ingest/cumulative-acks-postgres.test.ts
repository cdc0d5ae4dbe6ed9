// Cumulative acks on the PostgreSQL store (local PostgreSQL, db `test`, a random schema dropped afterwards).
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { cumulativeAckSuite } from './cumulative-acks-suite.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_cumack_${randomBytes(6).toString('hex')}`;
cumulativeAckSuite('postgres', async () => openPostgresStore({ url, schema }), async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
});
