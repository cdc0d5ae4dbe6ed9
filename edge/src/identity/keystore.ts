/**
 * Encrypted keystore at rest, in the Ethereum "Web3 Secret Storage" v3 format with scrypt
 * (https://ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/),
 * so the DSO's fleet tooling (ethers `encryptKeystoreJson` / `decryptKeystoreJson`) and the
 * edge read each other's files. scrypt runs in node:crypto (native, off the JS heap); the MAC is
 * keccak256(derivedKey[16..32] || ciphertext) from @noble/hashes; the cipher is AES-128-CTR.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { chmodSync, openSync, readFileSync, renameSync, statSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { LightNodeError } from '@lightnode/shared/errors';
import { DeviceKey } from './device-key.js';

/** The JSON document of a v3 keystore (the subset we read and write). */
export interface KeystoreV3 {
  version: 3;
  id: string;
  address: string; // lower-case hex, no 0x (as geth and ethers write it)
  crypto: {
    cipher: 'aes-128-ctr';
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: 'scrypt';
    kdfparams: { dklen: number; n: number; r: number; p: number; salt: string };
    mac: string;
  };
}

/** scrypt cost parameters. */
export interface ScryptParams { n: number; r: number; p: number }

/**
 * Default cost: N = 2^15 (32 MiB of scrypt memory, ≈ 0.1–0.3 s on a Raspberry Pi 4).
 * geth's "standard" 2^18 needs 256 MiB, more than a Pi-class agent should spike to at start;
 * files written with any N (e.g. ethers' default 2^17) are read as-is.
 */
export const DEFAULT_SCRYPT: ScryptParams = { n: 1 << 15, r: 8, p: 1 };

/** Hard ceiling on N read from a file, so a hostile keystore cannot ask for gigabytes. */
const MAX_SCRYPT_N = 1 << 20;

function scrypt(password: string, salt: Uint8Array, params: ScryptParams, dklen: number): Promise<Uint8Array> {
  const pw = Buffer.from(password.normalize('NFKC'), 'utf8'); // ethers normalises NFKC
  const maxmem = 128 * params.n * params.r * params.p + 128 * params.r * 1024 + 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scryptCb(pw, salt, dklen, { N: params.n, r: params.r, p: params.p, maxmem }, (err, key) => {
      if (err) reject(new LightNodeError('EDGE_KEYSTORE_INVALID', `scrypt failed: ${err.message}`));
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.length));
    });
  });
}

function mac(derived: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const buf = new Uint8Array(16 + ciphertext.length);
  buf.set(derived.subarray(16, 32), 0);
  buf.set(ciphertext, 16);
  return keccak_256(buf);
}

/** Encrypt `key` under `password` into a v3 keystore document. */
export async function encryptKeystore(key: DeviceKey, password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<KeystoreV3> {
  if (typeof password !== 'string' || password.length === 0) {
    throw new LightNodeError('EDGE_KEYSTORE_PASSWORD', 'keystore password: expected a non-empty string');
  }
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const derived = await scrypt(password, salt, params, 32);
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
  const ciphertext = key.withSecret((secret) => Buffer.concat([cipher.update(secret), cipher.final()]));
  return {
    version: 3,
    id: randomUUID(),
    address: key.address.slice(2),
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: bytesToHex(iv) },
      ciphertext: bytesToHex(ciphertext),
      kdf: 'scrypt',
      kdfparams: { dklen: 32, n: params.n, r: params.r, p: params.p, salt: bytesToHex(salt) },
      mac: bytesToHex(mac(derived, ciphertext)),
    },
  };
}

function field(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const rec = cur as Record<string, unknown>;
    // geth writes "crypto", some old tools "Crypto"
    cur = part === 'crypto' ? (rec.crypto ?? rec.Crypto) : rec[part];
  }
  return cur;
}

function hexField(doc: unknown, path: string, bytes?: number): Uint8Array {
  const v = field(doc, path);
  if (typeof v !== 'string' || !/^(0x)?([0-9a-fA-F]{2})*$/.test(v) || (bytes !== undefined && v.replace(/^0x/, '').length !== bytes * 2)) {
    throw new LightNodeError('EDGE_KEYSTORE_INVALID', `keystore ${path}: expected ${bytes ?? 'even-length'} hex bytes`, { field: path });
  }
  return hexToBytes(v.replace(/^0x/, '').toLowerCase());
}

function intField(doc: unknown, path: string, min: number, max: number): number {
  const v = field(doc, path);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new LightNodeError('EDGE_KEYSTORE_INVALID', `keystore ${path}: expected integer ${min}..${max}`, { field: path });
  }
  return v;
}

/**
 * Decrypt a v3 keystore (object or JSON text). Throws EDGE_KEYSTORE_INVALID for a malformed
 * document and EDGE_KEYSTORE_PASSWORD when the MAC does not match (wrong password or tampering).
 */
export async function decryptKeystore(json: unknown, password: string): Promise<DeviceKey> {
  let doc: unknown = json;
  if (typeof json === 'string') {
    try { doc = JSON.parse(json); } catch { throw new LightNodeError('EDGE_KEYSTORE_INVALID', 'keystore: not JSON'); }
  }
  if (field(doc, 'version') !== 3) throw new LightNodeError('EDGE_KEYSTORE_INVALID', 'keystore version: expected 3', { field: 'version' });
  if (field(doc, 'crypto.kdf') !== 'scrypt') throw new LightNodeError('EDGE_KEYSTORE_INVALID', 'keystore crypto.kdf: expected "scrypt"', { field: 'crypto.kdf' });
  if (field(doc, 'crypto.cipher') !== 'aes-128-ctr') throw new LightNodeError('EDGE_KEYSTORE_INVALID', 'keystore crypto.cipher: expected "aes-128-ctr"', { field: 'crypto.cipher' });
  const n = intField(doc, 'crypto.kdfparams.n', 2, MAX_SCRYPT_N);
  if ((n & (n - 1)) !== 0) throw new LightNodeError('EDGE_KEYSTORE_INVALID', 'keystore crypto.kdfparams.n: expected a power of two', { field: 'crypto.kdfparams.n' });
  const r = intField(doc, 'crypto.kdfparams.r', 1, 64);
  const p = intField(doc, 'crypto.kdfparams.p', 1, 16);
  const dklen = intField(doc, 'crypto.kdfparams.dklen', 32, 64);
  const salt = hexField(doc, 'crypto.kdfparams.salt');
  const iv = hexField(doc, 'crypto.cipherparams.iv', 16);
  const ciphertext = hexField(doc, 'crypto.ciphertext', 32);
  const expectedMac = hexField(doc, 'crypto.mac', 32);
  const derived = await scrypt(password, salt, { n, r, p }, dklen);
  if (!timingSafeEqual(mac(derived, ciphertext), expectedMac)) {
    throw new LightNodeError('EDGE_KEYSTORE_PASSWORD', 'keystore: MAC mismatch (wrong password or corrupted file)');
  }
  const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
  const secret = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  try {
    const key = DeviceKey.fromSecret(new Uint8Array(secret));
    const addr = field(doc, 'address');
    if (typeof addr === 'string' && addr.replace(/^0x/, '').toLowerCase() !== key.address.slice(2)) {
      throw new LightNodeError('EDGE_KEYSTORE_INVALID', 'keystore address: does not match the decrypted key', { field: 'address' });
    }
    return key;
  } finally {
    secret.fill(0);
  }
}

/**
 * Write a keystore file with mode 0600, atomically (temp file + fsync + rename), so a power cut
 * never leaves a half-written key. Refuses to overwrite unless `overwrite` is set.
 */
export function writeKeystoreFile(path: string, doc: KeystoreV3, opts: { overwrite?: boolean } = {}): void {
  let exists = false;
  try { statSync(path); exists = true; } catch { /* absent */ }
  if (exists && !opts.overwrite) {
    throw new LightNodeError('EDGE_KEYSTORE_EXISTS', `keystore ${path} already exists (refusing to overwrite a device identity)`, { path });
  }
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(doc, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600); // umask cannot widen it, but be explicit
  renameSync(tmp, path);
}

/**
 * Read and decrypt a keystore file. Refuses a file readable by group or others
 * (EDGE_KEYSTORE_PERMISSIONS), like ssh does for private keys.
 */
export async function readKeystoreFile(path: string, password: string): Promise<DeviceKey> {
  let st;
  try { st = statSync(path); } catch {
    throw new LightNodeError('EDGE_KEYSTORE_MISSING', `keystore ${path} not found (run \`lightnode keygen\`)`, { path });
  }
  if ((st.mode & 0o077) !== 0) {
    throw new LightNodeError('EDGE_KEYSTORE_PERMISSIONS', `keystore ${path}: mode ${(st.mode & 0o777).toString(8)} is readable by others; expected 600`, { path });
  }
  return decryptKeystore(readFileSync(path, 'utf8'), password);
}

/** The address stored in a keystore file, without decrypting it (for `lightnode status`). */
export function keystoreAddress(path: string): string | null {
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { address?: unknown };
    return typeof doc.address === 'string' ? `0x${doc.address.replace(/^0x/, '').toLowerCase()}` : null;
  } catch {
    return null;
  }
}
