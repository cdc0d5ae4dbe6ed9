/**
 * Data users' passwords: scrypt (RFC 7914, node:crypto) in a self-describing string
 * `scrypt$N$r$p$<salt base64>$<hash base64>`, so the cost can rise later without breaking
 * stored hashes. Async (libuv thread pool): a login never blocks the event loop. Passwords are
 * NFC-normalised first (RFC 8265 OpaqueString), so the same typed password hashes the same on
 * every client. A password is never logged, echoed in an error or returned.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { LightNodeError } from '@lightnode/shared/errors';

/** scrypt cost parameters. */
export interface ScryptParams { N: number; r: number; p: number }

/** N = 2^15, r = 8, p = 1: ≈ 32 MiB and tens of ms per hash (OWASP's scrypt minimum is 2^17/8/1 at 128 MiB; 2^15 keeps a login burst within memory). */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = { N: 2 ** 15, r: 8, p: 1 };

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

const SALT_BYTES = 16;
const HASH_BYTES = 32;
// Bounds on the parameters read back from a stored hash, so a tampered row cannot ask for gigabytes.
const MAX_LOG_N = 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Uint8Array, { N, r, p }: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem above the 128·N·r the derivation needs (Node's default 32 MiB is exactly 2^15 · 8).
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Throws BAL_ACCESS_USER_INVALID (field `password`) unless the password is 12..256 characters; never echoes it. */
export function checkPasswordPolicy(password: unknown): string {
  const expected = `a string of ${PASSWORD_MIN_LENGTH}..${PASSWORD_MAX_LENGTH} characters`;
  if (typeof password !== 'string') {
    throw new LightNodeError('BAL_ACCESS_USER_INVALID', `password: expected ${expected}, found ${password === null ? 'null' : typeof password}`, { field: 'password', expected });
  }
  const length = [...password.normalize('NFC')].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new LightNodeError('BAL_ACCESS_USER_INVALID', `password: expected ${expected}, found ${length} characters`, { field: 'password', expected, length });
  }
  return password;
}

/** Hash a password (call checkPasswordPolicy first). `params`: cheaper costs for tests only. */
export async function hashPassword(password: string, opts: { params?: ScryptParams } = {}): Promise<string> {
  const params = opts.params ?? DEFAULT_SCRYPT;
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** The parts of a stored hash, or null when it is not one of ours (or asks for too much). */
function parse(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^[1-9][0-9]{0,9}$/.test(x!) ? Number(x) : NaN)) as [number, number, number];
  if (!(N >= 2 && N <= 2 ** MAX_LOG_N && (N & (N - 1)) === 0 && r >= 1 && r <= MAX_R && p >= 1 && p <= MAX_P)) return null;
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  // Canonical base64 only: Node's decoder skips junk, and a stored hash must round-trip.
  if (salt.toString('base64') !== parts[4] || hash.toString('base64') !== parts[5]) return null;
  if (salt.length < SALT_BYTES || hash.length !== HASH_BYTES) return null;
  return { params: { N, r, p }, salt, hash };
}

let dummy: Promise<string> | undefined;

/**
 * True when `password` matches `stored` (constant-time comparison). `stored` null (no such
 * user) still spends one default-cost derivation and answers false, so a login's timing does
 * not tell which usernames exist. A malformed stored hash answers false.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (typeof password !== 'string') return false;
  if (stored === null) {
    dummy ??= hashPassword('not-a-password-of-anyone');
    await verifyPassword(password, await dummy);
    return false;
  }
  const parsed = parse(stored);
  if (parsed === null) return false;
  const hash = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(hash, parsed.hash);
}

/** True when `stored` was hashed with weaker parameters than `params` (re-hash after a successful login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parse(stored);
  return parsed === null || parsed.params.N < params.N || parsed.params.r < params.r || parsed.params.p < params.p;
}
