/**
 * INTERIM: minimal stand-ins for da-store's passwords/wallets/sessions/login-limiter
 * modules, so the service typechecks before that branch lands. Replaced on merge.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';

const scryptAsync = (pw: string, salt: Buffer): Promise<Buffer> =>
  new Promise((res, rej) => { scrypt(pw, salt, 32, { N: 16384, r: 8, p: 1 }, (err, key) => (err ? rej(err) : res(key))); });

export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${(await scryptAsync(pw, salt)).toString('base64')}`;
}

export async function verifyPassword(pw: string, hash: string): Promise<boolean> {
  const [, salt, key] = hash.split('$');
  if (!salt || !key) return false;
  const got = await scryptAsync(pw, Buffer.from(salt, 'base64'));
  const want = Buffer.from(key, 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}

export function encryptKey(masterKey: Uint8Array, key: Hex): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', masterKey, iv);
  const ct = Buffer.concat([c.update(Buffer.from(key.slice(2), 'hex')), c.final()]);
  return `v1:${iv.toString('base64')}:${ct.toString('base64')}:${c.getAuthTag().toString('base64')}`;
}

export function decryptKey(masterKey: Uint8Array, blob: string): Hex {
  try {
    const [, iv, ct, tag] = blob.split(':');
    const d = createDecipheriv('aes-256-gcm', masterKey, Buffer.from(iv!, 'base64'));
    d.setAuthTag(Buffer.from(tag!, 'base64'));
    return `0x${Buffer.concat([d.update(Buffer.from(ct!, 'base64')), d.final()]).toString('hex')}`;
  } catch (err) {
    throw new LightNodeError('BAL_ACCESS_WALLET_KEY', 'a custodial wallet key does not decrypt under the master key', {}, { cause: err });
  }
}

export const tokenHash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
export function newToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: tokenHash(token) };
}

/** Failed logins per key in a sliding window; blocked after `maxFailures`. */
export class LoginLimiter {
  private readonly fails = new Map<string, number[]>();
  constructor(private readonly maxFailures = 5, private readonly windowMs = 15 * 60_000) {}
  /** ms until `key` may try again (0 = now). */
  retryAfterMs(key: string, nowMs: number): number {
    const f = (this.fails.get(key) ?? []).filter((t) => t > nowMs - this.windowMs);
    this.fails.set(key, f);
    return f.length >= this.maxFailures ? f[0]! + this.windowMs - nowMs : 0;
  }
  fail(key: string, nowMs: number): void { this.fails.set(key, [...(this.fails.get(key) ?? []), nowMs]); }
  succeed(key: string): void { this.fails.delete(key); }
}
