// User field rules at the boundary: username, wallet address, role.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { USERNAME_RE } from '../../src/broker/acl.js';
import { USERNAME_PATTERN, validateRole, validateUsername, validateWalletAddress } from '../../src/access/validate.js';

function refused(fn: () => unknown, field: string): void {
  try { fn(); } catch (err) {
    assert.ok(isLightNodeError(err, 'BAL_ACCESS_USER_INVALID'), String(err));
    assert.is(err.details.field, field);
    return;
  }
  assert.unreachable(`expected BAL_ACCESS_USER_INVALID on ${field}`);
}

test('usernames: 3..64 of [A-Za-z0-9._-], each also a valid MQTT username', () => {
  for (const ok of ['abc', 'Alice.Smith', 'dso_platform-01', 'a'.repeat(64), 'aggregator.eu']) {
    assert.is(validateUsername(ok), ok);
    assert.ok(USERNAME_RE.test(ok));
  }
  for (const bad of ['ab', 'a'.repeat(65), 'alice smith', 'alice/1', 'alice+', 'al#ice', 'al:ice', '$SYS', 'élodie', '', null, 42, undefined]) {
    refused(() => validateUsername(bad), 'username');
  }
  refused(() => validateUsername('x', 'body.username'), 'body.username');
  assert.not.ok(USERNAME_PATTERN.test('a:b'), 'stricter than the broker rule (no colon)');
});

test('usernames that look like PoD codes (device accounts) are refused in any case', () => {
  for (const pod of ['IT001E00000001', 'it001e00000001', 'IT001E12345678A']) refused(() => validateUsername(pod), 'username');
  assert.is(validateUsername('IT001-producer'), 'IT001-producer');
});

test('wallet addresses: 20-byte hex, lower-cased, non-zero', () => {
  assert.is(validateWalletAddress(`0x${'AbC1'.repeat(10)}`), `0x${'abc1'.repeat(10)}`);
  for (const bad of ['0x1234', `0x${'g'.repeat(40)}`, `${'a'.repeat(40)}`, `0x${'0'.repeat(40)}`, `0x${'a'.repeat(42)}`, 7, null]) {
    refused(() => validateWalletAddress(bad), 'wallet');
  }
});

test('roles: admin, producer, consumer', () => {
  for (const r of ['admin', 'producer', 'consumer']) assert.is(validateRole(r), r);
  for (const bad of ['dso', 'Admin', '', null]) refused(() => validateRole(bad), 'role');
});

test.run();
