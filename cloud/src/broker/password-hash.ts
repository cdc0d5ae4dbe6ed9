/**
 * Mosquitto-compatible password hashes, so one credentials file serves the embedded broker and
 * a production Mosquitto (`password_file`):
 * - `$7$<iterations>$<salt b64>$<hash b64>`: PBKDF2-HMAC-SHA512, 64-byte key (mosquitto 2 default);
 * - `$6$<salt b64>$<hash b64>`: SHA-512(password ‖ salt) (mosquitto ≤ 1.6), verified only.
 */
import { pbkdf2, randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** mosquitto_passwd's default iteration count is 101; we default higher (the format carries it). */
export const DEFAULT_PBKDF2_ITERATIONS = 1000;
const SALT_BYTES = 12;
const KEY_BYTES = 64;

const HASH7_RE = /^\$7\$(\d{1,9})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
const HASH6_RE = /^\$6\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** True when `s` looks like a hash this module can verify. */
export function isPasswordHash(s: string): boolean {
  const m7 = HASH7_RE.exec(s);
  if (m7) return Number(m7[1]) >= 1;
  return HASH6_RE.test(s);
}

/** Hash a password in the `$7$` format. */
export async function hashPassword(password: string, opts: { iterations?: number; salt?: Uint8Array } = {}): Promise<string> {
  const iterations = opts.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > 10_000_000) throw new RangeError('iterations: expected 1..10000000');
  const salt = Buffer.from(opts.salt ?? randomBytes(SALT_BYTES));
  const key = await pbkdf2Async(password, salt, iterations, KEY_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Check a password against a `$7$` or `$6$` hash in constant time; false for malformed hashes. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m7 = HASH7_RE.exec(hash);
  if (m7) {
    const iterations = Number(m7[1]);
    if (iterations < 1) return false;
    const expected = Buffer.from(m7[3]!, 'base64');
    if (expected.length === 0) return false;
    const key = await pbkdf2Async(password, Buffer.from(m7[2]!, 'base64'), iterations, expected.length, 'sha512');
    return timingSafeEqual(key, expected);
  }
  const m6 = HASH6_RE.exec(hash);
  if (m6) {
    const expected = Buffer.from(m6[2]!, 'base64');
    const got = createHash('sha512').update(password, 'utf8').update(Buffer.from(m6[1]!, 'base64')).digest();
    return expected.length === got.length && timingSafeEqual(got, expected);
  }
  return false;
}

/** bcrypt cost of `natsPasswordHash` (nats-server checks it at every connect). */
export const NATS_BCRYPT_COST = 10;

/** The same password as a bcrypt hash, the form nats-server 2.9 accepts (`bal nats-config`). */
export async function hashNatsPassword(password: string, cost = NATS_BCRYPT_COST): Promise<string> {
  const { default: bcrypt } = await import('bcryptjs');
  return bcrypt.hash(password, cost);
}
