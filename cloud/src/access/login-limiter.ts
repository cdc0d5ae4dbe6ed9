/**
 * Failed-login rate limit (OWASP authentication cheat sheet: throttle per account and per
 * source). A sliding window of failure times per username and per remote address: a login is
 * allowed while both windows hold fewer failures than their limit. A success clears the
 * username's window (not the address's: one address guessing many accounts stays throttled).
 * The windows live in the store (`storeFailureLog`: every API instance on one PostgreSQL counts
 * the same failures; `bal run` does this) or in this process (`memoryFailureLog`, bounded: at
 * most `maxKeys` windows per kind, the least recently touched evicted).
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Clock } from '../clock.js';
import type { AccessStore } from './types.js';

export interface LimitRule {
  /** Failures allowed inside the window; the next attempt is refused. */
  maxFailures: number;
  /** Window length, ms. */
  windowMs: number;
}

export interface LoginLimiterOptions {
  clock: Pick<Clock, 'now'>;
  /** Per username (case-insensitive); default 5 per 15 min. */
  perUser?: LimitRule;
  /** Per remote address; default 20 per 15 min. */
  perAddress?: LimitRule;
  /** Windows kept per kind; default 10,000. */
  maxKeys?: number;
}

/** Whether to try the password at all, and when to come back if not. */
export interface LoginDecision {
  allowed: boolean;
  /** Whole seconds until an attempt may be allowed again (0 when allowed). */
  retryAfterSec: number;
}

export interface LoginLimiter {
  /** Check before verifying the password (a refused attempt is not counted). */
  check(username: string, address: string): Promise<LoginDecision>;
  /** Rejects BAL_ACCESS_LOGIN_RATE_LIMITED (details.retryAfterSec) when `check` refuses. */
  assertAllowed(username: string, address: string): Promise<void>;
  /** Count a failed login (unknown user or wrong password alike). */
  failure(username: string, address: string): Promise<void>;
  /** A successful login: clears the username's failures. */
  success(username: string): Promise<void>;
}

/**
 * Where failure times are kept: in this process (`memoryFailureLog`), or in the store
 * (`storeFailureLog`) so that every API instance on it counts the same failures.
 */
export interface LoginFailureLog {
  add(key: string, atMs: number, forgetBeforeMs: number): Promise<void>;
  /** Failure times after `sinceMs`, ascending: the latest `limit`. */
  times(key: string, sinceMs: number, limit: number): Promise<number[]>;
  clear(key: string): Promise<void>;
}

export const DEFAULT_PER_USER: Readonly<LimitRule> = { maxFailures: 5, windowMs: 15 * 60_000 };
export const DEFAULT_PER_ADDRESS: Readonly<LimitRule> = { maxFailures: 20, windowMs: 15 * 60_000 };

/**
 * Failure times per key in this process, least recently touched first (Map insertion order);
 * at most `maxKeys` keys (the least recently touched evicted) of at most `keep` times each.
 */
export function memoryFailureLog(maxKeys: number, keep: number): LoginFailureLog & { readonly size: number } {
  const map = new Map<string, number[]>();
  return {
    async add(key, atMs, forgetBeforeMs) {
      const times = (map.get(key) ?? []).filter((t) => t > forgetBeforeMs);
      map.delete(key);
      times.push(atMs);
      if (times.length > keep) times.splice(0, times.length - keep);
      map.set(key, times);
      while (map.size > maxKeys) map.delete(map.keys().next().value!);
    },
    async times(key, sinceMs, limit) {
      const times = map.get(key);
      if (!times) return [];
      const live = times.filter((t) => t > sinceMs);
      if (live.length === 0) { map.delete(key); return []; }
      return live.slice(-limit);
    },
    async clear(key) { map.delete(key); },
    get size() { return map.size; },
  };
}

/** The store's failure log (AccessStore `addLoginFailure` / `loginFailures` / `clearLoginFailures`). */
export function storeFailureLog(store: Pick<AccessStore, 'addLoginFailure' | 'loginFailures' | 'clearLoginFailures'>): LoginFailureLog {
  return {
    add: (key, atMs, forgetBeforeMs) => store.addLoginFailure(key, atMs, forgetBeforeMs),
    times: (key, sinceMs, limit) => store.loginFailures(key, sinceMs, limit),
    clear: (key) => store.clearLoginFailures(key),
  };
}

/** Ms until the window's key may try again (0: now), from its failure times inside the window. */
function waitMs(times: readonly number[], rule: LimitRule, nowMs: number): number {
  // Refused while maxFailures lie in the window: until the oldest that keeps it full leaves.
  if (times.length < rule.maxFailures) return 0;
  return times[times.length - rule.maxFailures]! + rule.windowMs - nowMs;
}

/**
 * A failed-login limiter. Without `log` its windows live in this process (one per kind, at most
 * `maxKeys` keys each); with a store log (`storeFailureLog`) they live in the store, shared by
 * every instance on it.
 */
export function createLoginLimiter(opts: LoginLimiterOptions & { log?: LoginFailureLog }): LoginLimiter & { readonly trackedKeys: number } {
  const maxKeys = opts.maxKeys ?? 10_000;
  const perUser = opts.perUser ?? DEFAULT_PER_USER;
  const perAddress = opts.perAddress ?? DEFAULT_PER_ADDRESS;
  const memUsers = opts.log ? null : memoryFailureLog(maxKeys, perUser.maxFailures);
  const memAddresses = opts.log ? null : memoryFailureLog(maxKeys, perAddress.maxFailures);
  const users = opts.log ?? memUsers!;
  const addresses = opts.log ?? memAddresses!;
  const userKey = (u: string): string => `user:${u.toLowerCase()}`;
  const addressKey = (a: string): string => `addr:${a}`;

  const check = async (username: string, address: string): Promise<LoginDecision> => {
    const now = opts.clock.now();
    const [u, a] = await Promise.all([
      users.times(userKey(username), now - perUser.windowMs, perUser.maxFailures),
      addresses.times(addressKey(address), now - perAddress.windowMs, perAddress.maxFailures),
    ]);
    const wait = Math.max(waitMs(u, perUser, now), waitMs(a, perAddress, now));
    return wait > 0 ? { allowed: false, retryAfterSec: Math.ceil(wait / 1000) } : { allowed: true, retryAfterSec: 0 };
  };
  return {
    check,
    async assertAllowed(username, address) {
      const d = await check(username, address);
      if (!d.allowed) throw new LightNodeError('BAL_ACCESS_LOGIN_RATE_LIMITED', `too many failed logins; retry in ${d.retryAfterSec} s`, { retryAfterSec: d.retryAfterSec });
    },
    async failure(username, address) {
      const now = opts.clock.now();
      await Promise.all([
        users.add(userKey(username), now, now - perUser.windowMs),
        addresses.add(addressKey(address), now, now - perAddress.windowMs),
      ]);
    },
    success: (username) => users.clear(userKey(username)),
    get trackedKeys() { return (memUsers?.size ?? 0) + (memAddresses?.size ?? 0); },
  };
}
