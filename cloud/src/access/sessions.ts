/**
 * Bearer sessions of data users: a token is 32 random bytes (base64url, 43 characters) handed
 * out once; the store keeps only its SHA-256, so a leaked database holds no usable token.
 * Time comes from the injected clock (STYLE habit 3).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { AccessStore, UserRecord } from './types.js';

/** One hour. */
export const DEFAULT_SESSION_TTL_MS = 3_600_000;

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** The stored form of a token: SHA-256, lower-case hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface SessionsOptions {
  store: Pick<AccessStore, 'createSession' | 'sessionByTokenHash' | 'deleteSession' | 'deleteSessionsOf' | 'userById'>;
  clock: Pick<Clock, 'now'>;
  /** Session lifetime, ms; default 1 h. */
  ttlMs?: number;
}

/** A new session: give `token` to the client, once. */
export interface IssuedSession { token: string; expiresAtMs: number }

/** A live session's user. */
export interface ResolvedSession { user: UserRecord; expiresAtMs: number }

export interface Sessions {
  /** Start a session for a user (who has just logged in). */
  issue(userId: number): Promise<IssuedSession>;
  /** The session's user, or null when the token is malformed, unknown, expired, or its user is disabled or gone. */
  resolve(token: string): Promise<ResolvedSession | null>;
  /** The same, from the token's stored hash (`hashToken`): another instance's event ticket names only that. */
  resolveHash(tokenHash: string): Promise<ResolvedSession | null>;
  /** End one session (logout); unknown or malformed tokens are a no-op. */
  revoke(token: string): Promise<void>;
  /** End every session of a user (password change, disable). */
  revokeAllOf(userId: number): Promise<void>;
}

/** Sessions over an AccessStore. */
export function createSessions(opts: SessionsOptions): Sessions {
  const { store, clock } = opts;
  const ttlMs = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const resolveHash = async (tokenHash: string): Promise<ResolvedSession | null> => {
    if (typeof tokenHash !== 'string' || !/^[0-9a-f]{64}$/.test(tokenHash)) return null;
    const session = await store.sessionByTokenHash(tokenHash, clock.now());
    if (!session) return null;
    const user = await store.userById(session.userId);
    if (!user || !user.enabled) return null;
    return { user, expiresAtMs: session.expiresAtMs };
  };
  return {
    async issue(userId) {
      const token = randomBytes(32).toString('base64url');
      const expiresAtMs = clock.now() + ttlMs;
      await store.createSession({ tokenHash: hashToken(token), userId, expiresAtMs });
      return { token, expiresAtMs };
    },
    async resolve(token) {
      if (typeof token !== 'string' || !TOKEN_RE.test(token)) return null;
      return resolveHash(hashToken(token));
    },
    resolveHash,
    async revoke(token) {
      if (typeof token === 'string' && TOKEN_RE.test(token)) await store.deleteSession(hashToken(token));
    },
    async revokeAllOf(userId) { await store.deleteSessionsOf(userId); },
  };
}
