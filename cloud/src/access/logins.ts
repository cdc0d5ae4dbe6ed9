/**
 * The one password check of data users, for API logins and MQTT logins alike: failed attempts
 * limited per username and per remote address (login-limiter.ts; a limited attempt is refused
 * before any check), unknown user, wrong password and disabled user one and the same answer, and
 * never the password in a log. The broker's reconnecting clients may ask it to remember a
 * successful check per (user, password hash), so a reconnect costs no scrypt.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import { verifyPassword } from './passwords.js';
import { refuse } from './decision-signing.js';
import type { LoginLimiter } from './login-limiter.js';
import type { AccessStore, UserRecord } from './types.js';

/** Most remembered successful checks; past it the memory starts over (a miss only costs one scrypt). */
const MAX_REMEMBERED = 10_000;

export class PasswordGate {
  private readonly remembered = new Map<string, string>();

  constructor(private readonly store: Pick<AccessStore, 'userByName'>, private readonly limiter: LoginLimiter, private readonly log: Logger) {}

  /**
   * The enabled user `username` whose password this is. Throws BAL_ACCESS_LOGIN_RATE_LIMITED
   * (details.retryAfterSec) without checking, or BAL_ACCESS_LOGIN_FAILED (counted as a failure).
   */
  async check(username: unknown, password: unknown, remoteAddress: string, opts: { remember?: boolean; channel: 'api' | 'mqtt' }): Promise<UserRecord> {
    const name = typeof username === 'string' ? username.slice(0, 64) : '';
    const pw = typeof password === 'string' && password.length <= 1024 ? password : '';
    await this.limiter.assertAllowed(name, remoteAddress);
    const user = name ? await this.store.userByName(name) : null;
    const key = user ? `${user.id}\0${user.passwordHash}` : '';
    const digest = opts.remember ? createHash('sha256').update(key).update('\0').update(pw).digest('hex') : null;
    const ok = (user !== null && digest !== null && this.remembered.get(key) === digest) || await verifyPassword(pw, user?.passwordHash ?? null);
    if (!user || !ok || !user.enabled) {
      await this.limiter.failure(name, remoteAddress);
      this.log.warn('access login failed', { username: name, remoteAddress, channel: opts.channel });
      throw refuse('BAL_ACCESS_LOGIN_FAILED', 'unknown user, wrong password or disabled user');
    }
    await this.limiter.success(name);
    if (digest !== null) {
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
      this.remembered.set(key, digest);
    }
    return user;
  }
}
