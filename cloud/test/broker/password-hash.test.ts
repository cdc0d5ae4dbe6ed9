import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword, isPasswordHash, verifyPassword } from '../../src/broker/password-hash.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-pw-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function mosquittoPasswd(args: string[]): Map<string, string> {
  const file = join(dir, 'pw');
  execFileSync('mosquitto_passwd', args.map((a) => (a === 'FILE' ? file : a)));
  return new Map(readFileSync(file, 'utf8').trim().split('\n').map((l) => { const i = l.indexOf(':'); return [l.slice(0, i), l.slice(i + 1)] as [string, string]; }));
}

test('verifies hashes written by the real mosquitto_passwd ($7$ PBKDF2-SHA512 and $6$ SHA-512)', async () => {
  const users = mosquittoPasswd(['-c', '-b', 'FILE', 'alice', 'correct horse']);
  mosquittoPasswd(['-H', 'sha512', '-b', 'FILE', 'bob', 'b0b-pässword']);
  const all = mosquittoPasswd(['-b', 'FILE', 'carol', '']);
  assert.ok(users.get('alice')!.startsWith('$7$'));
  assert.ok(all.get('bob')!.startsWith('$6$'));
  assert.ok(await verifyPassword('correct horse', all.get('alice')!));
  assert.not.ok(await verifyPassword('correct horsE', all.get('alice')!));
  assert.ok(await verifyPassword('b0b-pässword', all.get('bob')!));
  assert.not.ok(await verifyPassword('b0b-password', all.get('bob')!));
  assert.ok(await verifyPassword('', all.get('carol')!));
  for (const h of all.values()) assert.ok(isPasswordHash(h));
});

test('hashPassword produces $7$ hashes that round-trip, with fresh salts', async () => {
  const a = await hashPassword('s3cret', { iterations: 101 });
  const b = await hashPassword('s3cret', { iterations: 101 });
  assert.match(a, /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
  assert.is.not(a, b);
  assert.ok(await verifyPassword('s3cret', a));
  assert.not.ok(await verifyPassword('s3cret ', a));
  const fixed = await hashPassword('x', { iterations: 2, salt: new Uint8Array(12) });
  assert.is(fixed, await hashPassword('x', { iterations: 2, salt: new Uint8Array(12) }));
});

test('malformed hashes never verify', async () => {
  for (const h of ['', 'plain', '$7$0$AAAA$AAAA', '$7$abc$AAAA$AAAA', '$5$AAAA$AAAA', '$7$101$$', '$6$%%%$AAAA', '$7$101$AAAA']) {
    assert.not.ok(await verifyPassword('x', h), h);
  }
  await assert.not.throws(() => verifyPassword('x', '$7$101$AAAA$AAAA'));
  try { await hashPassword('x', { iterations: 0 }); assert.unreachable(); } catch (e) { assert.instance(e, RangeError); }
});

test.run();
