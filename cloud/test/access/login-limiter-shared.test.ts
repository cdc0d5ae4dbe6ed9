// Stateless API instances: the failed-login windows live in the store, so two API instances on
// one PostgreSQL (each its own pool, as two `bal run` processes would have) share one limit.
// Failures through instance A lock the user on instance B; a success on B unlocks it on A; the
// per-address window is shared the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { FakeClock } from '@lightnode/shared/clock';
import { isLightNodeError } from '@lightnode/shared/errors';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { BalStore } from '../../src/store/types.js';
import { createLoginLimiter, storeFailureLog } from '../../src/access/login-limiter.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_test_limits_${randomBytes(6).toString('hex')}`;
const MIN = 60_000;
const stores: BalStore[] = [];
test.after(async () => {
  for (const s of stores) await s.close().catch(() => {});
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
});

async function instance(clock: FakeClock): Promise<ReturnType<typeof createLoginLimiter>> {
  const store = await openPostgresStore({ url, schema, poolSize: 2 });
  stores.push(store);
  return createLoginLimiter({ clock, log: storeFailureLog(store), perUser: { maxFailures: 3, windowMs: 15 * MIN }, perAddress: { maxFailures: 6, windowMs: 15 * MIN } });
}

test('failures on instance A lock the user on instance B; a success on B unlocks it on A', async () => {
  const clock = new FakeClock(1_800_000_000_000);
  const a = await instance(clock);
  const b = await instance(clock);
  for (let i = 0; i < 3; i++) {
    assert.ok((await b.check('alice', '10.0.0.9')).allowed, `B allows before failure ${i + 1} on A`);
    await a.failure('alice', `10.0.0.${i}`);
    await clock.advance(1000);
  }
  assert.equal(await b.check('alice', '10.0.0.9'), { allowed: false, retryAfterSec: 15 * 60 - 3 }, 'B refuses: A counted 3 failures');
  assert.equal((await b.check('ALICE', '10.0.0.9')).allowed, false, 'case-insensitive across instances');
  let refused: unknown = null;
  try { await b.assertAllowed('alice', '10.0.0.9'); } catch (err) { refused = err; }
  assert.ok(isLightNodeError(refused, 'BAL_ACCESS_LOGIN_RATE_LIMITED'));
  assert.equal((await a.check('bob', '10.0.0.9')).allowed, true, 'another user is not locked');

  await b.success('alice');
  assert.ok((await a.check('alice', '10.0.0.9')).allowed, 'a success on B cleared the user for A');

  // Per address: 3 failures on each instance, for different users, lock the address on both.
  for (let i = 0; i < 3; i++) { await a.failure(`u${i}`, '198.51.100.7'); await b.failure(`v${i}`, '198.51.100.7'); }
  assert.not.ok((await a.check('carol', '198.51.100.7')).allowed);
  assert.not.ok((await b.check('carol', '198.51.100.7')).allowed);
  await clock.advance(15 * MIN);
  assert.ok((await b.check('carol', '198.51.100.7')).allowed, 'the window slides on the shared times');
});

test.run();
