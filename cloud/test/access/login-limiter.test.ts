// Failed-login rate limit: sliding windows per username and per address, on a fake clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '@lightnode/shared/clock';
import { isLightNodeError } from '@lightnode/shared/errors';
import { createLoginLimiter } from '../../src/access/login-limiter.js';

const MIN = 60_000;

test('5 failures per user in 15 min: the 6th attempt waits until the oldest failure leaves the window', async () => {
  const clock = new FakeClock(0);
  const lim = createLoginLimiter({ clock });
  for (let i = 0; i < 5; i++) {
    assert.equal(await lim.check('alice', `10.0.0.${i}`), { allowed: true, retryAfterSec: 0 });
    await lim.failure('alice', `10.0.0.${i}`);
    await clock.advance(MIN);
  }
  // failures at 0, 1, 2, 3, 4 min; now 5 min
  assert.equal(await lim.check('alice', '10.9.9.9'), { allowed: false, retryAfterSec: 10 * 60 });
  assert.equal((await lim.check('ALICE', '10.9.9.9')).allowed, false, 'usernames case-insensitively');
  assert.equal(await lim.check('bob', '10.9.9.9'), { allowed: true, retryAfterSec: 0 }, 'other users unaffected');
  await clock.advance(10 * MIN - 1);
  assert.equal(await lim.check('alice', '10.9.9.9'), { allowed: false, retryAfterSec: 1 });
  await clock.advance(1);
  assert.equal(await lim.check('alice', '10.9.9.9'), { allowed: true, retryAfterSec: 0 }, 'sliding: one failure left the window');
  await lim.failure('alice', '10.9.9.9');
  assert.equal(await lim.check('alice', '10.9.9.9'), { allowed: false, retryAfterSec: 60 }, 'full again until the next oldest leaves');
});

test('20 failures per address across usernames; a success clears the user, not the address', async () => {
  const clock = new FakeClock(0);
  const lim = createLoginLimiter({ clock });
  for (let i = 0; i < 19; i++) await lim.failure(`user${i}`, '192.0.2.1');
  assert.ok((await lim.check('someone', '192.0.2.1')).allowed);
  await lim.failure('user19', '192.0.2.1');
  assert.equal(await lim.check('someone', '192.0.2.1'), { allowed: false, retryAfterSec: 15 * 60 });
  assert.ok((await lim.check('someone', '192.0.2.2')).allowed);
  await lim.success('someone');
  assert.not.ok((await lim.check('someone', '192.0.2.1')).allowed, 'the address stays throttled');

  for (let i = 0; i < 5; i++) await lim.failure('carol', '198.51.100.7');
  assert.not.ok((await lim.check('carol', '198.51.100.8')).allowed);
  await lim.success('Carol');
  assert.ok((await lim.check('carol', '198.51.100.8')).allowed, 'success reset the user');
});

test('assertAllowed throws BAL_ACCESS_LOGIN_RATE_LIMITED with retryAfterSec', async () => {
  const clock = new FakeClock(0);
  const lim = createLoginLimiter({ clock, perUser: { maxFailures: 2, windowMs: 30_000 } });
  await lim.assertAllowed('dave', 'a');
  await lim.failure('dave', 'a'); await lim.failure('dave', 'b');
  try { await lim.assertAllowed('dave', 'c'); assert.unreachable(); } catch (err) {
    assert.ok(isLightNodeError(err, 'BAL_ACCESS_LOGIN_RATE_LIMITED'));
    assert.equal(err.details, { retryAfterSec: 30 });
  }
});

test('memory is bounded: the least recently failed keys are evicted', async () => {
  const clock = new FakeClock(0);
  const lim = createLoginLimiter({ clock, maxKeys: 100, perUser: { maxFailures: 1, windowMs: MIN } });
  await lim.failure('victim', 'x');
  for (let i = 0; i < 1000; i++) await lim.failure(`spray${i}`, `addr${i}`);
  assert.ok(lim.trackedKeys <= 200);
  assert.ok((await lim.check('victim', 'y')).allowed, 'evicted (the cost of a bound; the per-address window still holds the sprayer)');
  assert.not.ok((await lim.check('spray999', 'y')).allowed);
  const lim2 = createLoginLimiter({ clock, maxKeys: 100, perUser: { maxFailures: 1, windowMs: MIN } });
  for (let i = 0; i < 1000; i++) { await lim2.failure('alice', `a${i}`); }
  assert.ok(lim2.trackedKeys <= 101, 'one user window of bounded length plus the address windows');
});

test('expired windows are dropped', async () => {
  const clock = new FakeClock(0);
  const lim = createLoginLimiter({ clock });
  await lim.failure('erin', 'z');
  await clock.advance(15 * MIN);
  assert.ok((await lim.check('erin', 'z')).allowed);
  assert.is(lim.trackedKeys, 0);
});

test.run();
