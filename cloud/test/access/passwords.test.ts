// Password hashing (scrypt, RFC 7914) and the password policy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scryptSync } from 'node:crypto';
import { isLightNodeError } from '@lightnode/shared/errors';
import { DEFAULT_SCRYPT, checkPasswordPolicy, hashPassword, needsRehash, verifyPassword } from '../../src/access/passwords.js';

const CHEAP = { N: 2 ** 10, r: 8, p: 1 };
const PW = 'correct horse battery staple';

test('hash format scrypt$N$r$p$salt$hash; verify accepts the password and refuses others', async () => {
  const h = await hashPassword(PW, { params: CHEAP });
  assert.match(h, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  assert.not.ok(h.includes(PW));
  assert.ok(await verifyPassword(PW, h));
  assert.not.ok(await verifyPassword(`${PW}!`, h));
  assert.not.ok(await verifyPassword('', h));
  assert.is.not(await hashPassword(PW, { params: CHEAP }), h, 'a fresh salt each time');
});

test('the hash is scrypt itself (independent recomputation with node:crypto scryptSync)', async () => {
  const h = await hashPassword(PW, { params: CHEAP });
  const [, , , , salt, hash] = h.split('$');
  assert.is(scryptSync(PW, Buffer.from(salt!, 'base64'), 32, { N: 1024, r: 8, p: 1 }).toString('base64'), hash);
});

test('default parameters N=2^15 r=8 p=1 (one real-cost hash)', async () => {
  assert.equal(DEFAULT_SCRYPT, { N: 32768, r: 8, p: 1 });
  const h = await hashPassword(PW);
  assert.ok(h.startsWith('scrypt$32768$8$1$'));
  assert.ok(await verifyPassword(PW, h));
  assert.not.ok(needsRehash(h));
  assert.ok(needsRehash(await hashPassword(PW, { params: CHEAP })));
});

test('passwords are NFC-normalised: composed and decomposed forms verify alike', async () => {
  const composed = 'pässwörd-long-enough';
  const h = await hashPassword(composed, { params: CHEAP });
  assert.ok(await verifyPassword(composed.normalize('NFD'), h));
});

test('hashing does not block the event loop', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  await Promise.all([1, 2, 3].map(() => hashPassword(PW, { params: { N: 2 ** 14, r: 8, p: 1 } })));
  clearInterval(timer);
  assert.ok(ticks > 0, 'timers ran while hashing');
});

test('a missing user (stored null) and malformed or oversized stored hashes verify false', async () => {
  assert.is(await verifyPassword(PW, null), false);
  const good = await hashPassword(PW, { params: CHEAP });
  const parts = good.split('$');
  const with_ = (i: number, v: string) => parts.map((p, j) => (j === i ? v : p)).join('$');
  for (const bad of ['', 'scrypt', good.replace('scrypt', 'bcrypt'), with_(1, '1000'), with_(1, String(2 ** 24)), with_(2, '0'), with_(2, '64'),
    with_(3, '99'), with_(4, 'c2FsdA=='), with_(5, 'aGFzaA=='), `${good}$extra`, with_(1, '01024'), with_(5, `${parts[5]}AAAA`), with_(4, `*${parts[4]}`)]) {
    assert.is(await verifyPassword(PW, bad), false, bad);
  }
});

test('policy: 12..256 characters, BAL_ACCESS_USER_INVALID naming password, never echoing it', () => {
  assert.is(checkPasswordPolicy('x'.repeat(12)), 'x'.repeat(12));
  assert.is(checkPasswordPolicy('x'.repeat(256)), 'x'.repeat(256));
  assert.is(checkPasswordPolicy('🔑'.repeat(12)), '🔑'.repeat(12), 'characters, not UTF-16 units');
  assert.is(checkPasswordPolicy('twelve-chars'), 'twelve-chars');
  for (const bad of ['eleven-char', 'x'.repeat(257), '', 12345678901234, null, undefined]) {
    try { checkPasswordPolicy(bad); assert.unreachable(String(bad)); } catch (err) {
      assert.ok(isLightNodeError(err, 'BAL_ACCESS_USER_INVALID'));
      assert.is(err.details.field, 'password');
      const text = JSON.stringify(err.toJSON()) + err.message;
      if (typeof bad === 'string' && bad.length > 0) assert.not.ok(text.includes(bad.slice(0, 11)), 'the password is not echoed');
    }
  }
  try { checkPasswordPolicy('secret-pw'); assert.unreachable(); } catch (err) {
    assert.not.ok(JSON.stringify((err as { toJSON(): unknown }).toJSON()).includes('secret-pw'));
    assert.ok((err as Error).message.includes('found 9 characters'));
  }
});

test.run();
