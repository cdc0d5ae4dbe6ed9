// Bearer sessions over a real (in-memory SQLite) AccessStore and a fake clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { FakeClock } from '@lightnode/shared/clock';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { DEFAULT_SESSION_TTL_MS, createSessions, hashToken } from '../../src/access/sessions.js';
import type { BalStore } from '../../src/store/types.js';
import type { UserRecord } from '../../src/access/types.js';

let store: BalStore; let alice: UserRecord; let bob: UserRecord;
const clock = new FakeClock(1_700_000_000_000);

test.before(async () => {
  store = openSqliteStore({ path: ':memory:' });
  const mk = (username: string, n: number) => store.createUser({ username, role: 'consumer', passwordHash: 'scrypt$x', wallet: `0x${n.toString(16).padStart(40, '0')}`, custody: 'external', encryptedKey: null }, clock.now());
  alice = await mk('alice', 1);
  bob = await mk('bob', 2);
});
test.after(async () => { await store.close(); });

test('issue: a 32-byte base64url token, only its SHA-256 stored, expiring after the TTL (default 1 h)', async () => {
  const sessions = createSessions({ store, clock });
  const { token, expiresAtMs } = await sessions.issue(alice.id);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.is(Buffer.from(token, 'base64url').length, 32);
  assert.is(expiresAtMs, clock.now() + DEFAULT_SESSION_TTL_MS);
  assert.is(hashToken(token), createHash('sha256').update(token).digest('hex'));
  assert.is(await store.sessionByTokenHash(token, clock.now()), null, 'the token itself is not stored');
  assert.equal(await store.sessionByTokenHash(hashToken(token), clock.now()), { tokenHash: hashToken(token), userId: alice.id, expiresAtMs });
  assert.is.not((await sessions.issue(alice.id)).token, token);
});

test('resolve: the user until expiry, null after; malformed and unknown tokens are null', async () => {
  const sessions = createSessions({ store, clock, ttlMs: 60_000 });
  const { token, expiresAtMs } = await sessions.issue(alice.id);
  const r = await sessions.resolve(token);
  assert.is(r!.user.id, alice.id);
  assert.is(r!.user.username, 'alice');
  assert.is(r!.expiresAtMs, expiresAtMs);
  await clock.advance(59_999);
  assert.ok(await sessions.resolve(token));
  await clock.advance(1);
  assert.is(await sessions.resolve(token), null);
  for (const bad of ['', 'x', `${token}x`, token.slice(1), 'A'.repeat(43), 42 as unknown as string]) assert.is(await sessions.resolve(bad), null);
});

test('a disabled user resolves to null; revoke ends one session, revokeAllOf all of a user', async () => {
  const sessions = createSessions({ store, clock });
  const a1 = await sessions.issue(alice.id);
  const a2 = await sessions.issue(alice.id);
  const b1 = await sessions.issue(bob.id);
  await store.setEnabled(bob.id, false, clock.now());
  assert.is(await sessions.resolve(b1.token), null);
  await store.setEnabled(bob.id, true, clock.now());
  assert.ok(await sessions.resolve(b1.token));
  await sessions.revoke(a1.token);
  assert.is(await sessions.resolve(a1.token), null);
  assert.ok(await sessions.resolve(a2.token));
  await sessions.revoke('not-a-token');
  await sessions.revokeAllOf(alice.id);
  assert.is(await sessions.resolve(a2.token), null);
  assert.ok(await sessions.resolve(b1.token), "another user's session stays");
});

test('issue for an unknown user is refused by the store', async () => {
  const sessions = createSessions({ store, clock });
  try { await sessions.issue(999); assert.unreachable(); } catch (err) { assert.is((err as { code?: string }).code, 'BAL_ACCESS_USER_UNKNOWN'); }
});

test.run();
