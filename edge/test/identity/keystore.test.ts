import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DeviceKey, parseSecretKey } from '../../src/identity/device-key.js';
import { addressOf } from '@lightnode/shared/eip712';
import { decryptKeystore, encryptKeystore, readKeystoreFile, writeKeystoreFile } from '../../src/identity/keystore.js';
import { createLogger } from '../../src/ops/logger.js';
import { isLightNodeError, type ErrorCode } from '@lightnode/shared/errors';

const FAST = { n: 1 << 10, r: 8, p: 1 };
const dir = mkdtempSync(join(tmpdir(), 'ln-ks-'));
const fixture = new URL('../fixtures/ethers-keystore.json', import.meta.url);

async function rejects(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  try { await p; } catch (e) { assert.ok(isLightNodeError(e, code), `expected ${code}, got ${String(e)}`); return; }
  assert.unreachable(`expected ${code}`);
}

test('address derivation matches the well-known vector (web3 secret-storage test key)', () => {
  // Key and address from the Ethereum keystore documentation / ethers (checksummed there).
  const sk = parseSecretKey('0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');
  assert.is(addressOf(sk), '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23');
  assert.is(DeviceKey.fromSecret(sk).address, '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23'); // the key uses shared's derivation
});

test('a keystore written by ethers decrypts to the same key (interoperability with fleet tooling)', async () => {
  const key = await decryptKeystore(readFileSync(fixture, 'utf8'), 'correct horse battery staple');
  assert.is(key.address, '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23');
  await rejects(decryptKeystore(readFileSync(fixture, 'utf8'), 'wrong'), 'EDGE_KEYSTORE_PASSWORD');
});

test('round trip through a 0600 file; generated keys differ', async () => {
  const key = DeviceKey.generate();
  assert.is.not(key.address, DeviceKey.generate().address);
  const path = join(dir, 'key.json');
  writeKeystoreFile(path, await encryptKeystore(key, 'pw-1', FAST));
  assert.is(statSync(path).mode & 0o777, 0o600);
  const back = await readKeystoreFile(path, 'pw-1');
  assert.is(back.address, key.address);
  assert.ok(key.withSecret((a) => back.withSecret((b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0)));
  await rejects(readKeystoreFile(path, 'pw-2'), 'EDGE_KEYSTORE_PASSWORD');
  assert.throws(() => writeKeystoreFile(path, JSON.parse(readFileSync(path, 'utf8'))), (e: unknown) => isLightNodeError(e, 'EDGE_KEYSTORE_EXISTS'));
  chmodSync(path, 0o644);
  await rejects(readKeystoreFile(path, 'pw-1'), 'EDGE_KEYSTORE_PERMISSIONS');
  await rejects(readKeystoreFile(join(dir, 'absent.json'), 'pw-1'), 'EDGE_KEYSTORE_MISSING');
});

test('hostile keystores are refused with a code', async () => {
  const good = await encryptKeystore(DeviceKey.generate(), 'pw', FAST);
  const cases: [unknown, ErrorCode][] = [
    ['not json', 'EDGE_KEYSTORE_INVALID'],
    [{ ...good, version: 1 }, 'EDGE_KEYSTORE_INVALID'],
    [{ ...good, crypto: { ...good.crypto, kdf: 'pbkdf2' } }, 'EDGE_KEYSTORE_INVALID'],
    [{ ...good, crypto: { ...good.crypto, kdfparams: { ...good.crypto.kdfparams, n: 1 << 30 } } }, 'EDGE_KEYSTORE_INVALID'],
    [{ ...good, crypto: { ...good.crypto, kdfparams: { ...good.crypto.kdfparams, n: 1000 } } }, 'EDGE_KEYSTORE_INVALID'],
    [{ ...good, crypto: { ...good.crypto, ciphertext: 'zz' } }, 'EDGE_KEYSTORE_INVALID'],
    [{ ...good, crypto: { ...good.crypto, ciphertext: good.crypto.ciphertext.replace(/^./, (c) => (c === '0' ? '1' : '0')) } }, 'EDGE_KEYSTORE_PASSWORD'],
    [{ ...good, address: '00'.repeat(20) }, 'EDGE_KEYSTORE_INVALID'],
  ];
  for (const [doc, code] of cases) await rejects(decryptKeystore(doc, 'pw'), code);
  assert.throws(() => parseSecretKey('0x' + '00'.repeat(32)), (e: unknown) => isLightNodeError(e, 'EDGE_KEY_INVALID'));
  assert.throws(() => parseSecretKey('0x1234'), (e: unknown) => isLightNodeError(e, 'EDGE_KEY_INVALID'));
});

test('key material never reaches the logs', async () => {
  const key = DeviceKey.generate();
  const secretHex = key.withSecret((s) => Buffer.from(s).toString('hex'));
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  log.info('identity loaded', { identity: key, key, nested: { privateKey: '0x' + secretHex, secret: secretHex } });
  log.error('keystore failure', { err: await decryptKeystore('{}', 'pw').catch((e: unknown) => e) });
  try { parseSecretKey(secretHex.slice(0, 60) + 'zzzz'); } catch (e) { log.warn('bad import', { err: e }); }
  const text = lines.join('') + inspect(key) + String(key) + JSON.stringify({ key });
  assert.ok(lines.length === 3);
  assert.ok(text.includes(key.address), 'address is shown');
  assert.not.ok(text.includes(secretHex), 'secret hex leaked');
  assert.not.ok(text.includes(secretHex.slice(0, 16)), 'part of the secret leaked');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
