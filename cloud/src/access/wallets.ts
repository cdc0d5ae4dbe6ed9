/**
 * Custodial wallets (docs/data-access.md "Wallets"): the BAL generates a user's secp256k1 key
 * and keeps it encrypted with AES-256-GCM under one master key file. The wallet address is the
 * GCM associated data, so a ciphertext copied onto another user's row does not decrypt. Key
 * bytes are never logged or put into an error.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as secp from '@noble/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { LightNodeError } from '@lightnode/shared/errors';
import { bytesToHex, isAddress, type Hex } from '@lightnode/shared/hex';

export const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'aes256gcm';
const AAD_PREFIX = 'lightnode custodial wallet v1:';

const walletKeyError = (message: string, details: Record<string, unknown> = {}): LightNodeError =>
  new LightNodeError('BAL_ACCESS_WALLET_KEY', message, details);

/**
 * Read the master key at `path`, creating it (32 random bytes, mode 0600, folder 0700) when
 * missing. Refused (BAL_ACCESS_WALLET_KEY) when the file is not a regular file, when group or
 * other have any permission on it (POSIX), or when it is not exactly 32 bytes.
 */
export function loadOrCreateMasterKey(path: string): Uint8Array {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw walletKeyError(`cannot open the wallet master key ${path}`, { path, cause: (err as NodeJS.ErrnoException).code });
    const key = randomBytes(MASTER_KEY_BYTES);
    try {
      writeFileSync(path, key, { mode: 0o600, flag: 'wx' }); // wx: never overwrite a key another process just wrote
      chmodSync(path, 0o600); // the umask may have removed bits, never added: make it exact
      return new Uint8Array(key);
    } catch (werr) {
      if ((werr as NodeJS.ErrnoException).code !== 'EEXIST') throw walletKeyError(`cannot create the wallet master key ${path}`, { path, cause: (werr as NodeJS.ErrnoException).code });
      fd = openSync(path, 'r');
    }
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw walletKeyError(`the wallet master key ${path} is not a regular file`, { path });
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw walletKeyError(`the wallet master key ${path} is accessible by group or other (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`, { path, mode: (st.mode & 0o777).toString(8) });
    }
    const key = readFileSync(fd);
    if (key.length !== MASTER_KEY_BYTES) throw walletKeyError(`the wallet master key ${path} is malformed: ${key.length} bytes, expected ${MASTER_KEY_BYTES}`, { path, length: key.length });
    return new Uint8Array(key);
  } finally {
    closeSync(fd);
  }
}

/** The lower-case address of a secp256k1 private key (keccak-256 of the uncompressed public key, last 20 bytes). */
export function addressOfPrivateKey(privateKey: Uint8Array): Hex {
  const pub = secp.getPublicKey(privateKey, false);
  return bytesToHex(keccak_256(pub.subarray(1)).subarray(12));
}

function checkMasterKey(masterKey: Uint8Array): void {
  if (!(masterKey instanceof Uint8Array) || masterKey.length !== MASTER_KEY_BYTES) throw walletKeyError(`the master key must be ${MASTER_KEY_BYTES} bytes`);
}

/** Canonical base64 only (Node's decoder skips junk and stops at padding; a stored value must round-trip). */
function strictBase64(text: string): Buffer | null {
  const buf = Buffer.from(text, 'base64');
  return buf.toString('base64') === text ? buf : null;
}

const aad = (address: Hex): Buffer => Buffer.from(AAD_PREFIX + address.toLowerCase(), 'utf8');

/** A new custodial wallet. */
export interface CustodialWallet {
  /** Lower-case address. */
  address: Hex;
  /** `aes256gcm$<iv b64>$<ciphertext b64>$<tag b64>`: the private key under the master key, bound to `address`. */
  encryptedKey: string;
}

/** Generate a key, encrypt it under `masterKey` with the address as associated data. */
export function newCustodialWallet(masterKey: Uint8Array): CustodialWallet {
  checkMasterKey(masterKey);
  const privateKey = secp.utils.randomSecretKey();
  try {
    const address = addressOfPrivateKey(privateKey);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(address));
    const ct = Buffer.concat([cipher.update(privateKey), cipher.final()]);
    const encryptedKey = [FORMAT, iv.toString('base64'), ct.toString('base64'), cipher.getAuthTag().toString('base64')].join('$');
    return { address, encryptedKey };
  } finally {
    privateKey.fill(0);
  }
}

/**
 * The private key of a custodial wallet. BAL_ACCESS_WALLET_KEY when the ciphertext is
 * malformed, was tampered with, belongs to another address or another master key.
 */
export function unlock(masterKey: Uint8Array, encryptedKey: string, address: Hex): Uint8Array {
  checkMasterKey(masterKey);
  if (!isAddress(address)) throw walletKeyError('unlock: the wallet address is not a 20-byte 0x address');
  const parts = typeof encryptedKey === 'string' ? encryptedKey.split('$') : [];
  if (parts.length !== 4 || parts[0] !== FORMAT) throw walletKeyError('the encrypted wallet key is malformed', { address });
  const [iv, ct, tag] = parts.slice(1).map(strictBase64);
  if (!iv || !ct || !tag || iv.length !== IV_BYTES || ct.length !== 32 || tag.length !== TAG_BYTES) throw walletKeyError('the encrypted wallet key is malformed', { address });
  let key: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(address));
    decipher.setAuthTag(tag);
    key = Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    throw walletKeyError('the encrypted wallet key does not decrypt for this address under this master key', { address });
  }
  const privateKey = new Uint8Array(key);
  key.fill(0);
  if (!secp.utils.isValidSecretKey(privateKey) || addressOfPrivateKey(privateKey) !== address.toLowerCase()) {
    privateKey.fill(0);
    throw walletKeyError('the decrypted wallet key does not belong to this address', { address });
  }
  return privateKey;
}
