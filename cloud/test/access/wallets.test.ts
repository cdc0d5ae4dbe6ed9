// Custodial wallets: the master key file (0600, refused when readable by others or malformed),
// AES-256-GCM encryption bound to the address, address derivation cross-checked with ethers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, computeAddress, hexlify } from 'ethers';
import { isLightNodeError, type LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { addressOfPrivateKey, loadOrCreateMasterKey, newCustodialWallet, unlock } from '../../src/access/wallets.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-wallets-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function walletKeyRefused(fn: () => unknown): LightNodeError {
  try { fn(); } catch (err) {
    assert.ok(isLightNodeError(err, 'BAL_ACCESS_WALLET_KEY'), String(err));
    return err;
  }
  assert.unreachable('expected BAL_ACCESS_WALLET_KEY');
  throw new Error('unreachable');
}

test('the master key is created once (32 bytes, mode 0600, folder created) and read back the same', () => {
  const path = join(dir, 'a', 'b', 'wallet.key');
  const k1 = loadOrCreateMasterKey(path);
  assert.is(k1.length, 32);
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.equal(new Uint8Array(readFileSync(path)), k1);
  assert.equal(loadOrCreateMasterKey(path), k1);
  assert.not.equal(loadOrCreateMasterKey(join(dir, 'other.key')), k1);
});

test('a master key readable or writable by group/other, malformed, or a folder is refused', () => {
  const path = join(dir, 'loose.key');
  writeFileSync(path, Buffer.alloc(32, 7), { mode: 0o600 });
  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
    chmodSync(path, mode);
    const err = walletKeyRefused(() => loadOrCreateMasterKey(path));
    assert.ok(err.message.includes('chmod 600'));
    assert.not.ok(err.message.includes('0707070707'), 'no key bytes in the message');
  }
  chmodSync(path, 0o400);
  assert.is(loadOrCreateMasterKey(path).length, 32, 'owner read-only is fine');
  for (const bytes of [31, 33, 0, 64]) {
    const p = join(dir, `short-${bytes}.key`);
    writeFileSync(p, Buffer.alloc(bytes, 1), { mode: 0o600 });
    walletKeyRefused(() => loadOrCreateMasterKey(p));
  }
  const folder = join(dir, 'folder.key');
  mkdirSync(folder, { mode: 0o700 });
  walletKeyRefused(() => loadOrCreateMasterKey(folder));
});

test('addresses match ethers for known keys', () => {
  for (const hex of ['0x0000000000000000000000000000000000000000000000000000000000000001', `0x${'ac'.repeat(32)}`, Wallet.createRandom().privateKey]) {
    const key = Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
    assert.is(addressOfPrivateKey(key), computeAddress(hex).toLowerCase());
  }
  // The first anvil account: a published test vector.
  assert.is(addressOfPrivateKey(Uint8Array.from(Buffer.from('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', 'hex'))), '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
});

test('a custodial wallet round-trips: unlock gives the key of the address', () => {
  const master = loadOrCreateMasterKey(join(dir, 'rt.key'));
  const w = newCustodialWallet(master);
  assert.match(w.address, /^0x[0-9a-f]{40}$/);
  assert.match(w.encryptedKey, /^aes256gcm\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  const key = unlock(master, w.encryptedKey, w.address);
  assert.is(key.length, 32);
  assert.is(new Wallet(hexlify(key)).address.toLowerCase(), w.address);
  assert.not.ok(w.encryptedKey.includes(Buffer.from(key).toString('base64')), 'the key is not stored in clear');
  assert.is(unlock(master, w.encryptedKey, w.address.toUpperCase().replace('0X', '0x') as Hex).length, 32, 'address in any case');
  const w2 = newCustodialWallet(master);
  assert.is.not(w2.address, w.address);
  assert.is.not(w2.encryptedKey.split('$')[1], w.encryptedKey.split('$')[1], 'a fresh IV per wallet');
});

test('tampering, another address, another master key or a malformed ciphertext: BAL_ACCESS_WALLET_KEY', () => {
  const master = loadOrCreateMasterKey(join(dir, 'tamper.key'));
  const a = newCustodialWallet(master);
  const b = newCustodialWallet(master);
  walletKeyRefused(() => unlock(master, a.encryptedKey, b.address)); // moved to another user's row
  walletKeyRefused(() => unlock(new Uint8Array(32).fill(9), a.encryptedKey, a.address));
  const [fmt, iv, ct, tag] = a.encryptedKey.split('$') as [string, string, string, string];
  const flip = (b64: string): string => { const x = Buffer.from(b64, 'base64'); x[0] ^= 1; return x.toString('base64'); };
  for (const bad of [[fmt, flip(iv), ct, tag], [fmt, iv, flip(ct), tag], [fmt, iv, ct, flip(tag)], ['aes128gcm', iv, ct, tag], [fmt, iv, ct], [fmt, iv, `${ct}AAAA`, tag], [fmt, '', ct, tag]]) {
    const err = walletKeyRefused(() => unlock(master, bad.join('$'), a.address));
    assert.not.ok(JSON.stringify(err.toJSON()).includes(ct), 'no ciphertext in the error');
  }
  walletKeyRefused(() => unlock(master, '', a.address));
  walletKeyRefused(() => unlock(master, a.encryptedKey, '0x1234' as Hex));
  walletKeyRefused(() => unlock(new Uint8Array(16), a.encryptedKey, a.address));
  walletKeyRefused(() => newCustodialWallet(new Uint8Array(31)));
});

test.run();
